import Foundation
import GRDB
import LiftCore
import Testing
@testable import LiftStore

@Suite("A cluster node's term on a restored store")
struct TermStartTests {
    func sequence(_ database: LiftDatabase, _ table: String) throws -> [Int64] {
        try database.read { try Int64.fetchAll($0, sql: "SELECT seq FROM sqlite_sequence WHERE name = ?", arguments: [table]) }
    }

    /// Ids the previous node published in its last, unreplicated second can never name a new ticket.
    @Test func publishedIdSequencesMoveOnByTheGapEachTerm() throws {
        let database = try LiftDatabase(path: try temporaryPath("lw.sqlite"))
        try database.upsertUnit(UnitRecord(unitID: "U1", region: "430102", rating: .suitable, stage: .registered), at: 1, by: "cli:alice")
        let moved = try TermStart(database: database).skipIdentifiers()
        #expect(moved == TermStart.publishedIdentifierTables)
        #expect(try sequence(database, "tickets") == [TermStart.gap])
        try TermStart(database: database).skipIdentifiers()
        // One row per table (sqlite_sequence has no unique name), moved again.
        #expect(try sequence(database, "tickets") == [2 * TermStart.gap])
        #expect(try sequence(database, "ticket_steps") == [2 * TermStart.gap])
    }
}
