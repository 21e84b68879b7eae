import LiftCore
import Testing

@Suite("Lease fencing")
struct LeaseMachineTests {
    let t0 = ContinuousClock.now
    let policy = LeaseMachine.Policy(ttl: .seconds(6))

    @Test func standbyDoesNothingUntilGranted() {
        var machine = LeaseMachine(policy: policy)
        #expect(machine.tick(now: t0 + .seconds(100)) == [])
        #expect(machine.lost(reason: "x") == [])
        #expect(machine.acquired(sentAt: t0) == [.act])
        #expect(machine.isActive)
        #expect(machine.acquired(sentAt: t0 + .seconds(1)) == [])
    }

    @Test func renewsEveryThirdOfTheLease() {
        var machine = LeaseMachine(policy: policy)
        _ = machine.acquired(sentAt: t0)
        #expect(machine.tick(now: t0 + .milliseconds(100)) == [.renew])
        #expect(machine.tick(now: t0 + .milliseconds(1_000)) == [])
        machine.renewed(sentAt: t0 + .milliseconds(100))
        #expect(machine.tick(now: t0 + .milliseconds(2_100)) == [.renew])
    }

    @Test func stepsDownTwoThirdsIntoTheLeaseWithoutConfirmation() {
        var machine = LeaseMachine(policy: policy)
        _ = machine.acquired(sentAt: t0)
        machine.renewed(sentAt: t0 + .seconds(2))
        #expect(machine.tick(now: t0 + .milliseconds(5_900)) == [.renew])
        let effects = machine.tick(now: t0 + .seconds(6))
        #expect(effects.count == 1)
        guard case .stopActing = effects.first, case .fenced = machine.phase else {
            Issue.record("expected to be fenced, got \(effects) in \(machine.phase)")
            return
        }
        // Fenced for good: a late confirmation does not bring it back.
        machine.renewed(sentAt: t0 + .seconds(5))
        #expect(!machine.isActive)
        #expect(machine.tick(now: t0 + .seconds(7)) == [])
    }

    /// The node stops before any other node can acquire: the service keeps the lease `ttl` after the request.
    @Test func stopsBeforeTheLeaseCanPassToAnotherNode() {
        var machine = LeaseMachine(policy: policy)
        _ = machine.acquired(sentAt: t0)
        var now = t0
        var stoppedAt: ContinuousClock.Instant?
        while stoppedAt == nil, now < t0 + .seconds(20) {
            now += .milliseconds(100)
            if machine.tick(now: now).contains(where: { if case .stopActing = $0 { true } else { false } }) { stoppedAt = now }
        }
        let stopped = try! #require(stoppedAt)
        #expect(stopped - t0 == .seconds(4))
        #expect(stopped < t0 + policy.ttl)
    }

    @Test func aLateAnswerNeverMovesTheConfirmationBack() {
        var machine = LeaseMachine(policy: policy)
        _ = machine.acquired(sentAt: t0)
        machine.renewed(sentAt: t0 + .seconds(3))
        machine.renewed(sentAt: t0 + .seconds(1))
        #expect(machine.phase == .active(since: t0, confirmedSentAt: t0 + .seconds(3)))
    }

    @Test func theServiceSayingTheLeaseIsGoneStopsAtOnce() {
        var machine = LeaseMachine(policy: policy)
        _ = machine.acquired(sentAt: t0)
        #expect(machine.lost(reason: "lease expired") == [.stopActing(reason: "lease expired")])
        #expect(machine.phase == .fenced(reason: "lease expired"))
    }

    @Test func aStoreRefusingEveryWriteHandsTheLeaseOnAfterItsLimit() {
        var machine = LeaseMachine(policy: .init(ttl: .seconds(6), storeFailureLimit: .seconds(30)))
        _ = machine.acquired(sentAt: t0)
        machine.renewed(sentAt: t0 + .seconds(29))
        #expect(machine.tick(now: t0 + .seconds(29), storeFailingSince: t0 + .seconds(1)) == [.renew], "28 s of failures: still acting")
        #expect(machine.isActive)
        let effects = machine.tick(now: t0 + .seconds(31), storeFailingSince: t0 + .seconds(1))
        #expect(effects.count == 1)
        guard case .stopActing(let reason) = effects.first else {
            Issue.record("expected the node to stop acting, got \(effects)")
            return
        }
        #expect(reason.contains("store has refused every write"))
        #expect(machine.tick(now: t0 + .seconds(32), storeFailingSince: nil) == [], "fenced for good")
    }
}

@Suite("Replica lag")
struct ReplicaLagTests {
    let t0 = ContinuousClock.now

    @Test("a steady stream of writes, each shipped before the next look, is never behind")
    func shippedBetweenLooks() {
        var lag = ReplicaLag(alertAfter: .seconds(30))
        for second in 1...100 {
            let written = Int64(second) * 1_000
            #expect(lag.observe(lastWrite: written, lastShipped: written - 800, now: t0 + .seconds(second)) == .zero)
        }
        #expect(lag.rememberedWrites == 1)
    }

    @Test("behind since the look that saw the oldest write still unshipped, until the replica has it")
    func lagFollowsTheOldestUnshippedWrite() {
        var lag = ReplicaLag(alertAfter: .seconds(30))
        #expect(lag.observe(lastWrite: 1_000, lastShipped: 1_050, now: t0) == .zero, "shipped after the last write")
        #expect(lag.observe(lastWrite: 2_000, lastShipped: 1_050, now: t0 + .seconds(1)) == .zero)
        #expect(lag.observe(lastWrite: 3_000, lastShipped: 1_050, now: t0 + .seconds(2)) == .seconds(1))
        #expect(lag.observe(lastWrite: 40_000, lastShipped: 1_050, now: t0 + .seconds(40)) == .seconds(39))
        #expect(lag.lag(now: t0 + .seconds(41)) == .seconds(40))
        // Part shipped: the write seen at +2 s is now the oldest unshipped.
        #expect(lag.observe(lastWrite: 41_000, lastShipped: 2_500, now: t0 + .seconds(42)) == .seconds(40))
        #expect(lag.observe(lastWrite: 41_000, lastShipped: 41_000, now: t0 + .seconds(43)) == .zero, "caught up")
        #expect(lag.lag(now: t0 + .seconds(50)) == .zero)
    }

    @Test("a replica without a file yet is behind a written store; nothing known of the store is not behind")
    func emptyReplicaAndUnknownStore() {
        var lag = ReplicaLag(alertAfter: .seconds(5))
        #expect(lag.observe(lastWrite: nil, lastShipped: nil, now: t0) == .zero)
        _ = lag.observe(lastWrite: 1_000, lastShipped: nil, now: t0 + .seconds(1))
        #expect(lag.observe(lastWrite: 1_000, lastShipped: nil, now: t0 + .seconds(7)) == .seconds(6))
        #expect(lag.lag(now: t0 + .seconds(7)) > lag.alertAfter)
    }

    @Test("at its bound it remembers the oldest unshipped write: a long stall is never understated")
    func boundedMemory() {
        var lag = ReplicaLag(alertAfter: .seconds(30))
        let looks = ReplicaLag.remembered + 500
        for second in 1...looks {
            _ = lag.observe(lastWrite: Int64(second) * 1_000, lastShipped: 0, now: t0 + .seconds(second))
        }
        #expect(lag.rememberedWrites == ReplicaLag.remembered)
        #expect(lag.lag(now: t0 + .seconds(looks)) == .seconds(looks - 1))
        // The replica catches up to the middle of the stall: the lag is never more than the oldest write's.
        let middle = lag.observe(lastWrite: Int64(looks) * 1_000, lastShipped: Int64(looks / 2) * 1_000, now: t0 + .seconds(looks))
        #expect(middle <= .seconds(looks / 2))
        #expect(middle > .zero)
    }
}
