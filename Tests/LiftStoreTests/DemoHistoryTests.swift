import Foundation
import GRDB
import LiftCore
import Testing
@testable import LiftStore

/// Issue 25 item 5: a year of made-up history for the demo, and never beside real records.
@Suite("Demo history")
struct DemoHistoryTests {
    static func database() throws -> LiftDatabase {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = try LiftDatabase(path: directory.appendingPathComponent("lw.sqlite").path)
        for n in 1...20 {
            try database.upsertUnit(UnitRecord(unitID: "U\(n)", region: n <= 12 ? "430102" : "430202", address: "\(n) 号", lat: 28.2, lon: 113.0), at: 0, by: "test")
            _ = try database.register(
                ElevatorRegistration(elevatorID: "E\(n)", unitID: "U\(n)", region: n <= 12 ? "430102" : "430202", contractorID: "C1", stage: "in_service"),
                at: 0, by: "test")
        }
        return database
    }

    @Test("a year of history: faults each with its closed ticket and five steps, maintenance every 15 days, a storm; the same seed gives the same")
    func yearOfHistory() throws {
        let now = CivilDate("2026-12-07")!.startEpochMs
        let first = try Self.database(), second = try Self.database()
        let summary = try DemoHistory(days: 365, seed: 7, now: now, rollupsPlace: "430102").fill(first)
        #expect(try DemoHistory(days: 365, seed: 7, now: now, rollupsPlace: "430102").fill(second) == summary)
        #expect(summary.elevators == 20 && summary.inspections == 20)
        #expect(summary.maintenance >= 20 * 23 && summary.maintenance <= 20 * 25, "every 15 days for a year")
        #expect(summary.rollupRows == 12 * 365 * 4, "daily signals only for the place asked for")
        #expect(summary.storm?.hasPrefix("4301 on ") == true, "the storm over the city with the most elevators: \(summary.storm ?? "none")")
        let (tickets, steps, unlinked, open) = try first.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM tickets")!, try Int.fetchOne(db, sql: "SELECT count(*) FROM ticket_steps")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE fault IS NOT NULL AND ticket_id IS NULL")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM tickets WHERE status != 'closed'")!)
        }
        #expect(tickets == summary.tickets && steps == 5 * tickets, "each ticket opened, acknowledged, reached, resolved and closed")
        #expect(unlinked == 0, "no fault is left for the scheduler's sweep to ticket again")
        #expect(open == 0)
        #expect(try first.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE seq >= 0")! } == 0, "negative seq, apart from any controller's")
    }

    @Test("history goes only into a database without tickets or events, so never twice nor beside real records")
    func refusesARealDatabase() throws {
        let database = try Self.database()
        let history = DemoHistory(days: 30, seed: 1, now: CivilDate("2026-12-07")!.startEpochMs, rollupsPlace: nil)
        _ = try history.fill(database)
        #expect(throws: RegistryError.self) { try history.fill(database) }
    }
}
