import Foundation
import GRDB
import LiftCore
import Testing
@testable import LiftStore

@Suite("Registry: units, stages, contracts, terminals")
struct RegistryTests {
    @Test("stage moves are dated and recorded with who made them; impossible moves are refused; forced moves keep the reason")
    func stageMovesAreRecorded() throws {
        let database = try LiftDatabase(path: try temporaryPath("lw.sqlite"))
        try database.upsertUnit(UnitRecord(unitID: "U1", region: "430102", rating: .suitable), at: 100, by: "cli:alice")
        // Approval needs the owners' vote and the joint approval on record (ProgrammeTests); forced here.
        #expect(throws: RegistryError.self) { try database.moveStage("U1", to: .approved, at: 150, by: "cli:alice") }
        try database.moveStage("U1", to: .approved, at: 200, by: "cli:alice", forcedReason: "approved before LiftWatch kept the record")
        #expect(throws: RegistryError.self) { try database.moveStage("U1", to: .inService, at: 250, by: "cli:alice") }
        try database.register(ElevatorRegistration(elevatorID: "E1", unitID: "U1", region: "430102", stage: "accepted"), at: 300, by: "cli:bob")
        #expect(try database.unit("U1")?.stage == .accepted, "the unit follows its elevator")
        try database.moveStage("E1", to: .registered, at: 400, by: "cli:bob")
        // Into service only with a property manager (使用单位) and its safety officer.
        #expect { try database.moveStage("E1", to: .inService, at: 450, by: "cli:bob") } throws: {
            ($0 as? RegistryError)?.kind == .refused && "\($0)".contains("property manager (使用单位)")
        }
        try database.putPropertyManager(PropertyManagerRecord(managerID: "PM1", name: "物业", safetyOfficer: "王安全"), at: 450, by: "cli:alice")
        _ = try database.setFieldRecords(elevatorID: "E1", propertyManagerID: .some("PM1"), rescueCode: nil, at: 450, by: "cli:alice")
        try database.moveStage("E1", to: .inService, at: 500, by: "cli:bob")
        try database.moveStage("E1", to: .suspended, at: 600, by: "cli:bob")
        try database.moveStage("E1", to: .inService, at: 700, by: "cli:bob")
        try database.moveStage("E1", to: .decommissioned, at: 800, by: "cli:bob")
        do {
            try database.moveStage("E1", to: .inService, at: 900, by: "cli:bob")
            Issue.record("a decommissioned elevator cannot go back into service unforced")
        } catch let error as RegistryError {
            #expect(error.kind == .refused && error.message.contains("decommissioned → in_service is not allowed"))
        }
        try database.moveStage("E1", to: .inService, at: 1000, by: "cli:admin", forcedReason: "decommissioned by mistake")
        let history = try database.stageHistory(unitID: "U1")
        #expect(history.map(\.to) == [.surveyed, .approved, .accepted, .registered, .inService, .suspended, .inService, .decommissioned, .inService])
        #expect(history.map(\.at) == [100, 200, 300, 400, 500, 600, 700, 800, 1000])
        #expect(history.last?.forced == true && history.last?.reason == "decommissioned by mistake" && history.last?.actor == "cli:admin")
        #expect(try database.elevator("E1")?.stage == "in_service" && database.unit("U1")?.stage == .inService)
        #expect(throws: RegistryError.self) { try database.moveStage("NOPE", to: .approved, at: 1, by: "x") }
    }

    @Test("many elevators register in one transaction: all of them, or none when one is refused")
    func registeringMany() throws {
        let database = try LiftDatabase(path: try temporaryPath("lw.sqlite"))
        let version = try database.registryVersion()
        let fleet = (1...3).map { ElevatorRegistration(elevatorID: "E\($0)", region: "430102", contractorID: "C1") }
        #expect(throws: RegistryError.self) {
            try database.registerElevators(fleet + [ElevatorRegistration(elevatorID: "bad id", region: "430102")], at: 100, by: "cli:alice")
        }
        #expect(try database.elevators().isEmpty && database.registryVersion() == version)
        #expect(try database.registerElevators(fleet, at: 200, by: "cli:alice") == [.created, .created, .created])
        #expect(try database.elevators().map(\.elevatorID) == ["E1", "E2", "E3"])
        #expect(try database.registryVersion() == version + 1, "one registry change for the whole batch")
        #expect(try database.registerElevators(fleet, at: 300, by: "cli:alice") == [.unchanged, .unchanged, .unchanged])
        #expect(try database.registryVersion() == version + 1)
    }

    @Test("the contractor of an elevator at any time comes from its contract history")
    func contractHistoryRoutesByTime() throws {
        let database = try LiftDatabase(path: try temporaryPath("lw.sqlite"))
        let commissioned = CivilDate("2024-01-10")!
        let now = CivilDate("2025-06-01")!.startEpochMs
        try database.register(
            ElevatorRegistration(elevatorID: "E1", region: "430102", contractorID: "C-A", commissionedOn: commissioned.description), at: now, by: "t")
        let handover = CivilDate("2025-07-01")!.startEpochMs
        try database.assignContractor("C-B", to: "E1", from: handover, at: now + 1, by: "cli:admin")
        #expect(try database.contractor(of: "E1", at: commissioned.startEpochMs) == "C-A", "a fault before registration finds the first contractor")
        #expect(try database.contractor(of: "E1", at: handover - 1) == "C-A")
        #expect(try database.contractor(of: "E1", at: handover) == "C-B")
        #expect(try database.contractor(of: "E1", at: commissioned.startEpochMs - 1) == nil)
        #expect(try database.elevator("E1")?.contractorID == "C-B")
        // Re-registering with another contractor closes the current contract at that moment.
        try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102", contractorID: "C-C", commissionedOn: commissioned.description), at: handover + 1000, by: "t")
        #expect(try database.contracts(of: "E1").map(\.contractorID) == ["C-A", "C-B", "C-C"])
        #expect(try database.contractor(of: "E1", at: handover + 999) == "C-B" && database.contractor(of: "E1", at: handover + 1000) == "C-C")
    }

    @Test("a replaced terminal keeps the elevator's identity: its seq numbers are placed after everything stored")
    func terminalReplacement() throws {
        let database = try LiftDatabase(path: try temporaryPath("lw.sqlite"))
        let key = try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102"), at: 0)
        var batch = IngestBatch()
        batch.events = (1...5).map { item(key, ElevatorEvent(seq: $0, ts: Int64($0), kind: .mode, code: "normal")) }
        batch.sequenceStates = [key: SequenceState(highSeq: 5)]
        _ = try database.commit(batch)
        let terminal = try database.replaceTerminal(of: "E1", with: "T-NEW", at: 1_000, by: "cli:tech", note: "lightning")
        #expect(terminal.seqOffset == 6)
        #expect(try database.elevator("E1")?.terminalID == "T-NEW" && database.elevator("E1")?.key == key)
        #expect(try database.ingestCounters("E1")?.highSeq == nil, "tracking restarts with the new terminal")
        #expect(try database.terminals(of: "E1").map(\.terminalID) == ["unrecorded", "T-NEW"])
        try database.replaceTerminal(of: "E1", with: "T-NEWER", at: 2_000, by: "cli:tech")
        #expect(try database.terminals(of: "E1").map(\.removedAt) == [1_000, 2_000, nil])
        #expect(throws: RegistryError.self) { try database.replaceTerminal(of: "NOPE", with: "T", at: 0, by: "x") }
    }

    @Test("a batch in flight during a terminal replacement writes the old gaps back; ingestion's reset clears them for good")
    func resetAfterARacingBatch() throws {
        let database = try LiftDatabase(path: try temporaryPath("lw.sqlite"))
        let key = try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102"), at: 0)
        try database.replaceTerminal(of: "E1", with: "T-NEW", at: 1_000, by: "cli:tech")
        // The old terminal's batch, committed just after the replacement.
        var late = IngestBatch()
        late.sequenceStates = [key: SequenceState(highSeq: 9, gaps: [SequenceGap(from: 4, to: 6, openedAt: 900)], gapsChanged: true)]
        _ = try database.commit(late)
        #expect(try database.ingestCounters("E1")?.openGaps.count == 1)
        // Ingestion sees the new offset and resets the elevator's tracking: persisted with its next batch.
        var reset = IngestBatch()
        reset.sequenceStates = [key: SequenceState(gapsChanged: true, isReset: true)]
        _ = try database.commit(reset)
        let counters = try #require(try database.ingestCounters("E1"))
        #expect(counters.openGaps.isEmpty && counters.highSeq == nil)
        #expect(try database.sequenceStates()[key] == nil, "the next start has nothing of the old terminal to track")
        // The new terminal's first message in the same batch as the reset: its seq is the new baseline.
        var first = IngestBatch()
        first.sequenceStates = [key: SequenceState(highSeq: 2_000_001, gapsChanged: true, isReset: true)]
        _ = try database.commit(first)
        #expect(try database.ingestCounters("E1")?.highSeq == 2_000_001)
    }
}

@Suite("Registry CSV import and export")
struct RegistryCSVTests {
    static let units = """
        unit_id,region,address,lat,lon,floors,rating,stage
        U1,430102,"芙蓉区五一路1号, 1栋1单元",28.19,113.02,6,suitable,in_service
        U2,430102,芙蓉区五一路2号,28.19,113.03,6,difficult,surveyed
        U3,4301,bad region,28.1,113.0,6,suitable,surveyed
        U4,430103,天心区,95.0,113.0,6,suitable,surveyed
        U5,430103,天心区,28.1,113.0,six,suitable,surveyed
        U6,430103,天心区,28.1,113.0,6,excellent,surveyed
        U7,430103,天心区,28.1,113.0,6,suitable,built
        U8,430103,too few fields
        bad id!,430103,天心区,28.1,113.0,6,suitable,surveyed
        U10,430104,岳麓区,,,7,unsuitable,

        """

    @Test("bad rows are reported with line number and reason while the good rows go in; a re-import creates no duplicates")
    func importReportsBadRowsAndIsIdempotent() throws {
        let database = try LiftDatabase(path: try temporaryPath("lw.sqlite"))
        let csv = RegistryCSV(database: database, platforms: ["default", "municipal-b"])
        var progress: [Int] = []
        let first = try csv.importUnits(Self.units, at: 1_000, by: "import:units.csv") { done, _ in progress.append(done) }
        #expect(first.created == 3 && first.rows == 10)
        #expect(first.errors.map(\.line) == [4, 5, 6, 7, 8, 9, 10])
        #expect(first.errors[0].reason.contains("region \"4301\" is not 6 digits"))
        #expect(first.errors[1].reason.contains("lat 95.0 is outside"))
        #expect(first.errors[2].reason.contains("floors \"six\""))
        #expect(first.errors[3].reason.contains("rating \"excellent\""))
        #expect(first.errors[4].reason.contains("stage \"built\""))
        #expect(first.errors[5].reason.contains("3 fields where the header has 8"))
        #expect(first.errors[6].reason.contains("unit_id \"bad id!\""))
        #expect(progress.last == 10)
        #expect(try database.unit("U1")?.address == "芙蓉区五一路1号, 1栋1单元")
        #expect(try database.unit("U10")?.lat == nil && database.unit("U10")?.stage == .surveyed)
        // A new unit starts its record at the stage it is imported with.
        #expect(try database.stageHistory(unitID: "U1").map(\.to) == [.inService])

        let again = try csv.importUnits(Self.units, at: 2_000, by: "import:units.csv")
        #expect(again.created == 0 && again.updated == 0 && again.unchanged == 3 && again.errors.count == 7)
        #expect(try database.units().count == 3)

        let changed = Self.units.replacingOccurrences(of: "U2,430102,芙蓉区五一路2号,28.19,113.03,6,difficult,surveyed", with: "U2,430102,芙蓉区五一路2号,28.19,113.03,7,difficult,approved")
        let third = try csv.importUnits(changed, at: 3_000, by: "import:units.csv")
        #expect(third.updated == 1 && third.unchanged == 2)
        #expect(try database.unit("U2")?.floors == 7 && database.unit("U2")?.stage == .approved)
        let backwards = Self.units.replacingOccurrences(of: "6,suitable,in_service", with: "6,suitable,approved")
        let fourth = try csv.importUnits(backwards, at: 4_000, by: "import:units.csv")
        #expect(fourth.errors.first?.line == 2 && fourth.errors.first?.reason.contains("in_service → approved is not allowed") == true)
    }

    @Test("elevators import against their units; export writes back what import reads")
    func elevatorsImportAndRoundTrip() throws {
        let database = try LiftDatabase(path: try temporaryPath("lw.sqlite"))
        let csv = RegistryCSV(database: database, platforms: ["default", "municipal-b"])
        _ = try csv.importUnits(Self.units, at: 1_000, by: "t")
        let elevators = """
            elevator_id,unit_id,region,contractor_id,commissioned_on,stage,on_demand,platform
            E1,U1,430102,C-01,2023-05-04,in_service,true,municipal-b
            E2,U404,430102,C-01,2023-05-04,in_service,false,default
            E3,U2,430103,C-01,2023-05-04,in_service,false,default
            E4,U2,430102,C-01,2023-02-30,in_service,false,default
            E5,U2,430102,C-01,2023-05-04,in_service,maybe,default
            E6,U2,430102,C-01,2023-05-04,in_service,false,chongqing
            E7,U2,430102,C-02,2024-01-01,registered,false,default
            """
        let report = try csv.importElevators(elevators, at: 2_000, by: "t")
        #expect(report.created == 2)
        #expect(report.errors.map(\.line) == [3, 4, 5, 6, 7])
        #expect(report.errors.map(\.reason)[0].contains("unit_id \"U404\" is not in the registry"))
        #expect(report.errors.map(\.reason)[1].contains("region 430103 is not the region 430102 of unit U2"))
        #expect(report.errors.map(\.reason)[2].contains("commissioned_on \"2023-02-30\""))
        #expect(report.errors.map(\.reason)[3].contains("on_demand \"maybe\""))
        #expect(report.errors.map(\.reason)[4].contains("platform \"chongqing\""))
        let e1 = try #require(try database.elevator("E1"))
        #expect(e1.onDemand && e1.platform == "municipal-b" && e1.contractorID == "C-01" && e1.commissionedOn == "2023-05-04")

        let exported = try csv.exportElevators()
        let other = try LiftDatabase(path: try temporaryPath("copy.sqlite"))
        let otherCSV = RegistryCSV(database: other)
        _ = try otherCSV.importUnits(try csv.exportUnits(), at: 5, by: "t")
        let copied = try otherCSV.importElevators(exported, at: 5, by: "t")
        #expect(copied.errors.isEmpty && copied.created == 2)
        #expect(try otherCSV.exportElevators() == exported && otherCSV.exportUnits() == csv.exportUnits())
    }

    @Test("the programme's unit columns are optional: an older file imports and leaves them as stored; export writes them")
    func programmeColumns() throws {
        let database = try LiftDatabase(path: try temporaryPath("lw.sqlite"))
        let csv = RegistryCSV(database: database)
        let full = """
            unit_id,region,address,lat,lon,floors,rating,stage,area_code,estate_id,estate_name,building,unit_no,households
            U1,430102,"芙蓉区五一路1号, 1栋1单元",28.19,113.03,6,suitable,surveyed,430102001001,EST-1,五一小区,1,1,12
            U2,430102,芙蓉区五一路2号,28.19,113.03,6,difficult,surveyed,430103001,EST-1,五一小区,2,1,10
            U3,430102,芙蓉区五一路3号,28.19,113.03,6,difficult,surveyed,,,,,,-4
            """
        let report = try csv.importUnits(full, at: 1_000, by: "t")
        #expect(report.created == 1 && report.errors.map(\.line) == [3, 4])
        #expect(report.errors.first?.reason.contains("area_code \"430103001\" is not a street (9 digits) or community (12) code starting with the region 430102") == true)
        #expect(report.errors.last?.reason.contains("households -4 is outside") == true)
        let u1 = try #require(try database.unit("U1"))
        #expect(u1.areaCode == "430102001001" && u1.estateID == "EST-1" && u1.estateName == "五一小区" && u1.building == "1" && u1.unitNumber == "1")
        #expect(u1.households == 12 && u1.place == "430102001001")

        // The contract's eight columns only, the floors changed: the programme's fields stay.
        let old = "unit_id,region,address,lat,lon,floors,rating,stage\nU1,430102,\"芙蓉区五一路1号, 1栋1单元\",28.19,113.03,7,suitable,surveyed\n"
        let again = try csv.importUnits(old, at: 2_000, by: "t")
        #expect(again.updated == 1 && again.errors.isEmpty)
        #expect(try database.unit("U1")?.floors == 7 && database.unit("U1")?.areaCode == "430102001001" && database.unit("U1")?.households == 12)

        // An older file moving the unit to another district: the old district's community is cleared, not refused.
        let moved = "unit_id,region,address,lat,lon,floors,rating,stage\nU1,430103,天心区,28.19,113.03,7,suitable,surveyed\n"
        #expect(try csv.importUnits(moved, at: 3_000, by: "t").errors.isEmpty)
        #expect(try database.unit("U1")?.areaCode == nil && database.unit("U1")?.place == "430103" && database.unit("U1")?.estateID == "EST-1")
        _ = try csv.importUnits(full, at: 4_000, by: "t")

        let exported = try csv.exportUnits()
        #expect(exported.hasPrefix("unit_id,region,address,lat,lon,floors,rating,stage,area_code,estate_id,estate_name,building,unit_no,households\n"))
        let other = try LiftDatabase(path: try temporaryPath("copy.sqlite"))
        _ = try RegistryCSV(database: other).importUnits(exported, at: 5, by: "t")
        #expect(try RegistryCSV(database: other).exportUnits() == exported)
        #expect(try RegistryCSV(database: other).exportUnits(regionPrefix: "430102001") == exported, "a street prefix filters by area code")
        #expect(try RegistryCSV(database: other).exportUnits(regionPrefix: "430102002").split(separator: "\n").count == 1, "the header alone")
    }

    @Test("a header without the contract's columns is refused as a whole")
    func missingColumns() throws {
        let database = try LiftDatabase(path: try temporaryPath("lw.sqlite"))
        #expect {
            try RegistryCSV(database: database).importUnits("unit_id,region\nU1,430102\n", at: 0, by: "t")
        } throws: { error in
            "\(error)".contains("lacks the columns address, lat, lon, floors, rating, stage")
        }
    }
}


@Suite("Dossier")
struct DossierTests {
    @Test("a unit's dossier gathers the unit, its elevator, stages, contracts, terminals, faults, visits and health history")
    func dossierContents() throws {
        let database = try LiftDatabase(path: try temporaryPath("lw.sqlite"))
        let day = Rollups.day
        let now = 20 * day + 3_600_000
        try database.upsertUnit(UnitRecord(unitID: "U1", region: "430102", address: "五一路1号", lat: 28.19, lon: 113.02, floors: 6, rating: .suitable, stage: .registered), at: 0, by: "t")
        let key = try database.register(ElevatorRegistration(elevatorID: "E1", unitID: "U1", region: "430102", contractorID: "C1", stage: "registered"), at: day, by: "t")
        try database.putPropertyManager(PropertyManagerRecord(managerID: "PM1", name: "物业", safetyOfficer: "王安全"), at: day, by: "t")
        _ = try database.setFieldRecords(elevatorID: "E1", propertyManagerID: .some("PM1"), rescueCode: nil, at: day, by: "t")
        try database.moveStage("E1", to: .inService, at: 2 * day, by: "t")
        try database.assignContractor("C2", to: "E1", from: 10 * day, at: 10 * day, by: "t")
        try database.replaceTerminal(of: "E1", with: "T2", at: 11 * day, by: "t")
        var batch = IngestBatch()
        batch.events = [
            item(key, ElevatorEvent(seq: 100, ts: 12 * day, kind: .fault, code: "7", fault: .entrapmentAtFloor, state: .raised, floor: 3)),
            item(key, ElevatorEvent(seq: 101, ts: 13 * day, kind: .maintenance, code: "visit_start", technician: "W-01")),
        ]
        batch.telemetry = (0..<30).map { i in item(key, TelemetrySample(seq: 200 + UInt64(i), ts: 15 * day + Int64(i) * 60_000, doorCloseMs: 3000 + Double(i))) }
        _ = try database.commit(batch)
        _ = try database.updateRollups()

        let ticket = try #require(try database.insertTicket(
            Ticket(elevatorID: "E1", region: "430102", unitID: "U1", contractorID: "C2", type: .rescue, openedAt: 12 * day, fault: .entrapmentAtFloor, reason: "trapped"),
            by: "liftwatch", at: 12 * day))
        let dossier = try database.dossier("E1", now: now)
        #expect(dossier.elevators.first?.tickets.map(\.id) == [ticket.id])
        #expect(dossier.unit?.unitID == "U1" && dossier.unit?.rating == .suitable)
        #expect(dossier.unitStageHistory.map(\.to) == [.registered])
        #expect(file0(dossier).stageHistory.map(\.to) == [.registered, .inService])
        let file = try #require(dossier.elevators.first)
        #expect(file.contracts.map(\.contractorID) == ["C1", "C2"])
        #expect(file.terminals.map(\.terminalID) == ["unrecorded", "T2"])
        #expect(file.faults.map(\.fault) == [.entrapmentAtFloor] && file.maintenanceVisits.map(\.technician) == ["W-01"])
        let doors = try #require(file.healthHistory["door_close_ms"])
        #expect(doors.count == 1 && doors[0].count == 30 && abs(doors[0].mean - 3014.5) < 1e-9)
        #expect(file.audit.map(\.action) == ["elevator.register", "stage.move", "contract.assign", "terminal.replace"])
        #expect(try database.auditEntries().last?.action == "ticket.open")
        #expect(throws: RegistryError.self) { try database.dossier("NOPE", now: now) }
        #expect(try database.dossier("U1", now: now).elevators.map(\.elevator.elevatorID) == ["E1"])
    }
}

private func file0(_ dossier: Dossier) -> Dossier.ElevatorFile { dossier.elevators[0] }
