import Foundation
import Hummingbird
import HummingbirdTesting
import LiftCore
import LiftScheduler
import LiftStore
import Prometheus
import Testing
@testable import LiftAPI

/// A small registry with tickets, events and counters whose figures are computed by hand in docs/kpis.md,
/// and a token for each kind of caller.
struct APIFixture {
    static let day: Int64 = 86_400_000
    static let minute: Int64 = 60_000
    /// The window is [t0, t0 + 30 days); now is its end.
    static let t0: Int64 = CivilDate("2026-10-01")!.startEpochMs
    static let now: Int64 = t0 + 30 * day

    let database: LiftDatabase
    let context: APIContext
    var tokens: [String: String] = [:]
    var ticketIDs: [String: Int64] = [:]

    init() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        database = try LiftDatabase(path: directory.appendingPathComponent("lw.sqlite").path)
        let t0 = Self.t0, day = Self.day, minute = Self.minute, now = Self.now
        for (unit, region) in [("U1", "430102"), ("U2", "430102"), ("U3", "430102"), ("U4", "430102"), ("U9", "430202")] {
            try database.upsertUnit(UnitRecord(unitID: unit, region: region, address: "\(unit) 号", lat: 28.2, lon: 113.0, floors: 6, rating: .suitable), at: 0, by: "fixture")
        }
        var keys: [String: Int64] = [:]
        for (id, unit, region, contractor, stage) in [
            ("E1", "U1", "430102", "C1", "in_service"), ("E2", "U2", "430102", "C1", "in_service"), ("E3", "U3", "430102", "C2", "in_service"),
            ("E4", "U4", "430102", "C1", "suspended"), ("E9", "U9", "430202", "C2", "in_service"),
        ] {
            keys[id] = try database.register(
                ElevatorRegistration(elevatorID: id, unitID: unit, region: region, contractorID: contractor, commissionedOn: "2024-01-01", stage: stage),
                at: 0, by: "fixture")
        }
        // Connectivity now: E1 online and fresh; E2 offline (will); E3 online but silent for 10 minutes.
        var batch = IngestBatch()
        batch.lastSeen = [keys["E1"]!: now - minute, keys["E2"]!: now - minute, keys["E3"]!: now - 10 * minute, keys["E9"]!: now]
        func status(_ id: String, _ state: StatusReport.State, _ at: Int64) -> IngestBatch.Item<StatusReport> {
            IngestBatch.Item(elevator: keys[id]!, elevatorID: id, region: "430102", value: StatusReport(state: state), receivedAt: at)
        }
        batch.statuses = [status("E1", .online, now - minute), status("E2", .offline, now - minute), status("E3", .online, now - 10 * minute), status("E9", .online, now)]
        var seq: UInt64 = 0
        func fault(_ id: String, _ key: FaultKey, _ ts: Int64, state: FaultState = .raised) -> IngestBatch.Item<ElevatorEvent> {
            seq += 1
            return IngestBatch.Item(elevator: keys[id]!, elevatorID: id, region: "430102",
                value: ElevatorEvent(seq: seq, ts: ts, kind: .fault, code: key.rawValue, fault: key, state: state), receivedAt: ts)
        }
        batch.events = [
            fault("E1", .entrapmentAtFloor, t0 + day), fault("E1", .entrapmentAtFloor, t0 + 8 * day), fault("E1", .doorCloseFailure, t0 + 9 * day),
            fault("E1", .doorCloseFailure, t0 + 9 * day + minute, state: .cleared), fault("E1", .overspeed, t0 - day),
            fault("E2", .brakeFault, t0 + 3 * day), fault("E3", .buttonStuck, t0 + 4 * day), fault("E9", .entrapmentAtFloor, t0 + 2 * day),
        ]
        func trips(_ id: String, _ ts: Int64, _ value: Int64) -> IngestBatch.Item<CounterStats> {
            seq += 1
            return IngestBatch.Item(elevator: keys[id]!, elevatorID: id, region: "430102", value: CounterStats(seq: seq, ts: ts, trips: value), receivedAt: ts)
        }
        batch.stats = [
            trips("E1", t0 - day, 1000), trips("E1", t0 + 5 * day, 1200), trips("E1", t0 + 20 * day, 1500),
            trips("E2", t0 + day, 200), trips("E2", t0 + 2 * day, 300),
            trips("E3", t0 - 2 * day, 50), trips("E3", t0 + 3 * day, 10), trips("E3", t0 + 4 * day, 60),
        ]
        _ = try database.commit(batch)

        var ids: [String: Int64] = [:]
        let database = self.database
        func ticket(_ name: String, _ id: String, _ contractor: String, _ type: TicketType, opened: Int64, edit: (inout Ticket) -> Void) throws {
            var t = Ticket(elevatorID: id, region: id == "E9" ? "430202" : "430102", unitID: "U" + id.dropFirst(), contractorID: contractor, type: type, openedAt: opened, reason: name)
            edit(&t)
            ids[name] = try #require(try database.insertTicket(t, by: "fixture", at: opened)).id
        }
        try ticket("R1", "E1", "C1", .rescue, opened: t0 + day) {
            $0.fault = .entrapmentAtFloor; $0.status = .closed
            $0.acknowledgedAt = t0 + day + 2 * minute; $0.onSiteAt = t0 + day + 20 * minute; $0.resolvedAt = t0 + day + 25 * minute; $0.closedAt = t0 + day + 30 * minute
        }
        try ticket("R2", "E1", "C1", .rescue, opened: t0 + 8 * day) {
            $0.fault = .entrapmentAtFloor; $0.status = .resolved; $0.repeat = true
            $0.acknowledgedAt = t0 + 8 * day + 4 * minute; $0.onSiteAt = t0 + 8 * day + 40 * minute; $0.resolvedAt = t0 + 8 * day + 50 * minute
        }
        try ticket("M1", "E1", "C1", .maintenance, opened: t0 + 7 * day) {
            $0.level = "half_month"; $0.dueAt = t0 + 10 * day; $0.status = .closed; $0.resolvedAt = t0 + 9 * day; $0.closedAt = t0 + 9 * day; $0.unverified = true
        }
        try ticket("M2", "E2", "C1", .maintenance, opened: t0 + 9 * day) {
            $0.level = "half_month"; $0.dueAt = t0 + 12 * day; $0.status = .closed; $0.resolvedAt = t0 + 13 * day; $0.closedAt = t0 + 13 * day
        }
        try ticket("M3", "E3", "C2", .maintenance, opened: t0 + 17 * day) { $0.level = "quarter"; $0.dueAt = t0 + 20 * day; $0.overdue = true }
        try ticket("M4", "E2", "C1", .maintenance, opened: t0 + 14 * day) { $0.level = "half_month"; $0.dueAt = t0 + 17 * day; $0.status = .cancelled }
        try ticket("CB", "E2", "C1", .repair, opened: t0 + 3 * day) { $0.fault = .doorCloseFailure; $0.callback = true; $0.status = .acknowledged }
        try ticket("IN", "E3", "C2", .inspection, opened: t0) { $0.level = "periodic_inspection"; $0.dueAt = t0 + 28 * day }
        try ticket("X9", "E9", "C2", .repair, opened: t0 + 2 * day) { $0.fault = .doorOpenFailure; $0.overdue = true }

        ticketIDs = ids
        // E1's property manager (使用单位).
        try database.putPropertyManager(PropertyManagerRecord(managerID: "PM1", name: "长沙某物业", safetyOfficer: "王安全"), at: 0, by: "fixture")
        _ = try database.setFieldRecords(elevatorID: "E1", propertyManagerID: .some("PM1"), rescueCode: nil, at: 0, by: "fixture")
        var random = SplitMix64(seed: 42)
        var tokens: [String: String] = [:]
        for (name, role, region, contractor) in [
            ("admin", Role.admin, nil as String?, nil as String?), ("regulator", .regulator, "4301", nil), ("regulator-other", .regulator, "4302", nil),
            ("contractor", .contractor, nil, "C1"), ("contractor-other", .contractor, nil, "C2"),
        ] {
            tokens[name] = try database.createToken(role: role, regionPrefix: region, contractorID: contractor, label: name, at: 0, by: "fixture", using: &random).token
        }
        self.tokens = tokens
        let engine = TicketEngine(database: database, outbox: nil)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        context = APIContext(
            database: database, mqttState: { "connected" }, mqttConnected: { true }, metricsRegistry: PrometheusCollectorRegistry(), version: "test",
            clock: EpochClock { now }, engine: engine, events: EventHub(),
            replayDeadLetters: { _, _, _ in ReplaySummary(replayed: 0, accepted: 0, rejectedAgain: 0) },
            checklists: try? MaintenanceChecklists.load(root.appendingPathComponent("config/maintenance-checklists.json").path),
            openAPIPath: root.appendingPathComponent("docs/openapi.yaml").path,
            outlinesDirectory: root.appendingPathComponent("config/geo").path)
    }

    var application: some ApplicationProtocol { Application(router: LiftHTTPServer.router(context)) }

    func headers(_ who: String?) -> HTTPFields {
        var fields = HTTPFields()
        if let who { fields[.authorization] = "Bearer \(tokens[who] ?? "lw_" + String(repeating: "0", count: 64))" }
        fields[.contentType] = "application/json"
        return fields
    }
}

extension TestClientProtocol {
    /// A request answered as `(status, JSON object or nil, text)`.
    func call(_ method: HTTPRequest.Method, _ uri: String, _ headers: HTTPFields, body: String? = nil) async throws -> (HTTPResponse.Status, [String: Any]?, String) {
        try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            let text = String(buffer: response.body)
            return (response.status, (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any], text)
        }
    }
}
