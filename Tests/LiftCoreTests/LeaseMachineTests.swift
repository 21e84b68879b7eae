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
