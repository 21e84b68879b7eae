import Foundation
import Hummingbird
import LiftCore
import LiftStore
import NIOCore

/// The retrofit programme's routes: each unit's project record (steps, vote, documents, funding) and the monthly
/// progress figures. Reading follows the caller's place scope; recording is for administrators and officers inside
/// their prefix (`Principal.mayRecordProgramme`).
struct ProgrammeRoutes: Sendable {
    let api: APIRoutes

    static let all: [(method: String, path: String)] = [
        ("GET", "/api/v1/units/{unit_id}/project"), ("POST", "/api/v1/units/{unit_id}/project/steps"),
        ("POST", "/api/v1/units/{unit_id}/project/documents"), ("GET", "/api/v1/documents/{sha256}"), ("GET", "/api/v1/progress"),
    ]

    var database: LiftDatabase { api.database }

    func register(on group: RouterGroup<LiftRequestContext>) {
        group.get("units/:unit_id/project", use: project)
        group.post("units/:unit_id/project/steps", use: recordStep)
        group.post("units/:unit_id/project/documents", use: attach)
        group.get("documents/:sha256", use: document)
        group.get("progress", use: progress)
    }

    // MARK: monthly dispatch

    /// `year` and `month` (default: this month, Beijing time) of a progress report, or a 400.
    static func period(_ q: Query, now: Int64) throws -> (year: Int, month: Int) {
        let today = CivilDate(epochMs: now)
        let year = Int(try q.integer("year", range: 2000...2100) ?? Int64(today.year))
        let month = Int(try q.integer("month", range: 1...12) ?? Int64(year == today.year ? today.month : 12))
        return (year, month)
    }

    func progress(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        guard caller.role != .contractor else { throw api.forbidden("the programme's progress is for administrators, regulators and officers") }
        let q = try Query(request, allowed: ["region", "year", "month", "format"])
        let region = try api.scopedRegion(q.regionPrefix("region"), caller) ?? ""
        let (year, month) = try Self.period(q, now: api.context.clock.now())
        let report = try database.programme.report(prefix: region, year: year, month: month)
        switch q["format"] {
        case nil, "json": return try api.json(report)
        case "csv":
            return Response(
                status: .ok,
                headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"progress-\(region.isEmpty ? "all" : region)-\(year)-\(month).csv\""],
                body: .init(byteBuffer: ByteBuffer(string: ProgressCSV.render(report))))
        case let other?: throw api.invalid("format", "expected json or csv, got \"\(other)\"")
        }
    }

    // MARK: project record

    /// The unit, when the caller may read its programme record (contractors may not: it is the owners' and the
    /// government's record).
    func readableUnit(_ ctx: LiftRequestContext) throws -> UnitRecord {
        let caller = try ctx.caller()
        let id = try ctx.parameters.require("unit_id")
        guard let unit = try database.unit(id) else { throw APIError(.notFound, code: "not_found", message: "no unit \"\(id)\"") }
        guard caller.role != .contractor, caller.mayRead(place: unit.place, contractorID: nil) else {
            throw api.forbidden("the project record of unit \(id) is outside your scope")
        }
        return unit
    }

    func project(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        _ = try Query(request, allowed: [])
        let unit = try readableUnit(ctx)
        return try api.json(try ProjectView(unit: unit, records: database.projects))
    }

    func recordStep(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        _ = try Query(request, allowed: [])
        let id = try ctx.parameters.require("unit_id")
        guard let unit = try database.unit(id) else { throw APIError(.notFound, code: "not_found", message: "no unit \"\(id)\"") }
        guard caller.mayRecordProgramme(place: unit.place) else {
            throw api.forbidden("only an administrator or an officer of the unit's place records its project")
        }
        let body = try await api.decode(StepBody.self, request, ctx)
        let step = try body.step(unitID: id)
        let (stored, moves) = try api.registry { try database.projects.record(step, by: caller.actor, at: api.context.clock.now()) }
        struct Answer: Encodable {
            var step: StepView
            var stageMoves: [StageMove]
            var stage: LifecycleStage
        }
        let stage = try database.unit(id)?.stage ?? unit.stage
        return try api.json(Answer(step: StepView(stored), stageMoves: moves, stage: stage), status: .created)
    }

    func attach(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        let q = try Query(request, allowed: ["name", "step"])
        let id = try ctx.parameters.require("unit_id")
        guard let unit = try database.unit(id) else { throw APIError(.notFound, code: "not_found", message: "no unit \"\(id)\"") }
        guard caller.mayRecordProgramme(place: unit.place) else {
            throw api.forbidden("only an administrator or an officer of the unit's place attaches documents")
        }
        guard let name = q["name"] else { throw api.invalid("name", "is required: the document's file name") }
        let step = try q.integer("step", range: 1...Int64.max)
        let declared = request.headers[.contentType].map { String($0.split(separator: ";")[0]).trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard ["application/pdf", "image/jpeg", "image/png"].contains(declared) else {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", message: "Content-Type must be application/pdf, image/jpeg or image/png")
        }
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: ProjectRecords.maximumDocumentBytes) } catch {
            throw APIError(.contentTooLarge, code: "body_too_large", message: "a document is at most \(ProjectRecords.maximumDocumentBytes / 1_048_576) MiB")
        }
        let document = try api.registry {
            try database.projects.attach(
                unitID: id, stepID: step, name: name, mediaType: declared, content: Array(buffer.readableBytesView), by: caller.actor,
                at: api.context.clock.now())
        }
        return try api.json(DocumentView(document), status: .created)
    }

    func document(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        _ = try Query(request, allowed: [])
        let sha = try ctx.parameters.require("sha256")
        guard sha.utf8.count == 64, sha.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw api.invalid("sha256", "expected 64 lower-case hexadecimal digits")
        }
        // Unknown and out of scope answer alike: a caller cannot learn whether some file is stored by its hash.
        let file = try database.projects.file(sha256: sha)
        let readable = try caller.role != .contractor && (file?.unitIDs ?? []).contains { id in
            try database.unit(id).map { caller.mayRead(place: $0.place, contractorID: nil) } ?? false
        }
        guard let file, readable else { throw APIError(.notFound, code: "not_found", message: "no document \(sha) in your scope") }
        return Response(
            status: .ok,
            headers: [
                .contentType: file.mediaType, .contentDisposition: "inline; filename=\"\(sha).\(file.mediaType.split(separator: "/")[1])\"",
                .cacheControl: "private, max-age=31536000, immutable", .init("X-Content-Type-Options")!: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: file.content)))
    }
}

/// A step as the API takes it: money in yuan (at most two decimals), areas in m² (at most two decimals).
struct StepBody: Decodable {
    var kind: String
    var date: String
    var number: String?
    var amountYuan: Decimal?
    var vote: VoteBody?
    var funding: FundingBody?
    var documentNumbers: [String]?
    var note: String?
    var corrects: Int64?

    struct VoteBody: Decodable {
        var ownersTotal: Int
        var ownersParticipating: Int
        var ownersConsenting: Int
        var areaTotalM2: Decimal
        var areaParticipatingM2: Decimal
        var areaConsentingM2: Decimal
        enum CodingKeys: String, CodingKey {
            case ownersTotal = "owners_total", ownersParticipating = "owners_participating", ownersConsenting = "owners_consenting"
            case areaTotalM2 = "area_total_m2", areaParticipatingM2 = "area_participating_m2", areaConsentingM2 = "area_consenting_m2"
        }
    }

    struct FundingBody: Decodable {
        var ownersYuan: Decimal?
        var providentFundYuan: Decimal?
        var maintenanceFundYuan: Decimal?
        var subsidyYuan: Decimal?
        enum CodingKeys: String, CodingKey {
            case ownersYuan = "owners_yuan", providentFundYuan = "provident_fund_yuan", maintenanceFundYuan = "maintenance_fund_yuan"
            case subsidyYuan = "subsidy_yuan"
        }
    }

    enum CodingKeys: String, CodingKey {
        case kind, date, number, amountYuan = "amount_yuan", vote, funding, documentNumbers = "document_numbers", note, corrects
    }

    /// Hundredths of `value` exactly, or a 400 naming `field`.
    static func hundredths(_ value: Decimal, _ field: String) throws -> Int64 {
        var scaled = value * 100
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        guard rounded == scaled, rounded >= 0, rounded <= 100_000_000_000 else {
            throw APIError(.badRequest, code: "invalid_field", message: "\(field): expected a number from 0 with at most two decimals")
        }
        return NSDecimalNumber(decimal: rounded).int64Value
    }

    func step(unitID: String) throws -> ProjectStep {
        guard let kind = ProjectStepKind(rawValue: kind) else {
            throw APIError(.badRequest, code: "invalid_field", message: "kind: expected one of \(ProjectStepKind.allNames), got \"\(self.kind)\"")
        }
        guard let date = CivilDate(date) else { throw APIError(.badRequest, code: "invalid_field", message: "date: expected YYYY-MM-DD, got \"\(self.date)\"") }
        let vote = try vote.map { v in
            OwnersVote(
                ownersTotal: v.ownersTotal, ownersParticipating: v.ownersParticipating, ownersConsenting: v.ownersConsenting,
                areaTotalCentiM2: try Self.hundredths(v.areaTotalM2, "vote.area_total_m2"),
                areaParticipatingCentiM2: try Self.hundredths(v.areaParticipatingM2, "vote.area_participating_m2"),
                areaConsentingCentiM2: try Self.hundredths(v.areaConsentingM2, "vote.area_consenting_m2"))
        }
        let funding = try funding.map { f in
            Funding(
                ownersFen: try Self.hundredths(f.ownersYuan ?? 0, "funding.owners_yuan"),
                providentFundFen: try Self.hundredths(f.providentFundYuan ?? 0, "funding.provident_fund_yuan"),
                maintenanceFundFen: try Self.hundredths(f.maintenanceFundYuan ?? 0, "funding.maintenance_fund_yuan"),
                subsidyFen: try Self.hundredths(f.subsidyYuan ?? 0, "funding.subsidy_yuan"))
        }
        return ProjectStep(
            unitID: unitID, kind: kind, date: date, number: number, amountFen: try amountYuan.map { try Self.hundredths($0, "amount_yuan") },
            vote: vote, funding: funding, documentNumbers: documentNumbers ?? [], note: note, corrects: corrects)
    }
}

/// Money and areas written back as numbers with two decimals at most.
func yuan(_ fen: Int64) -> Decimal { Decimal(fen) / 100 }

struct StepView: Encodable {
    var id: Int64
    var kind: ProjectStepKind
    var kindName: String
    var date: String
    var number: String?
    var amountYuan: Decimal?
    var vote: VoteView?
    var funding: FundingView?
    var documentNumbers: [String]
    var note: String?
    /// A correction's target; absent on other steps.
    var corrects: Int64?
    /// The correction that voided this step: it then counts nowhere.
    var correctedBy: Int64?
    var recordedAt: Int64
    var recordedBy: String

    init(_ step: ProjectStep) {
        id = step.id
        kind = step.kind
        kindName = step.kind.chineseName
        date = step.date.description
        number = step.number
        amountYuan = step.amountFen.map(yuan)
        vote = step.vote.map(VoteView.init)
        funding = step.funding.map(FundingView.init)
        documentNumbers = step.documentNumbers
        note = step.note
        corrects = step.corrects
        correctedBy = step.correctedBy
        recordedAt = step.recordedAt
        recordedBy = step.actor
    }
}

struct VoteView: Encodable {
    var ownersTotal: Int
    var ownersParticipating: Int
    var ownersConsenting: Int
    var areaTotalM2: Decimal
    var areaParticipatingM2: Decimal
    var areaConsentingM2: Decimal
    var participationMet: Bool
    var consentMet: Bool
    var passed: Bool

    init(_ vote: OwnersVote) {
        ownersTotal = vote.ownersTotal
        ownersParticipating = vote.ownersParticipating
        ownersConsenting = vote.ownersConsenting
        areaTotalM2 = yuan(vote.areaTotalCentiM2)
        areaParticipatingM2 = yuan(vote.areaParticipatingCentiM2)
        areaConsentingM2 = yuan(vote.areaConsentingCentiM2)
        participationMet = vote.participationMet
        consentMet = vote.consentMet
        passed = vote.passed
    }
}

struct FundingView: Encodable {
    var ownersYuan: Decimal
    var providentFundYuan: Decimal
    var maintenanceFundYuan: Decimal
    var subsidyYuan: Decimal
    var totalYuan: Decimal

    init(_ funding: Funding) {
        ownersYuan = yuan(funding.ownersFen)
        providentFundYuan = yuan(funding.providentFundFen)
        maintenanceFundYuan = yuan(funding.maintenanceFundFen)
        subsidyYuan = yuan(funding.subsidyFen)
        totalYuan = yuan(funding.totalFen)
    }
}

struct DocumentView: Encodable {
    var sha256: String
    var name: String
    var mediaType: String
    var size: Int
    var stepID: Int64?
    var attachedAt: Int64
    var attachedBy: String
    var url: String

    init(_ document: ProjectDocument) {
        sha256 = document.sha256
        name = document.name
        mediaType = document.mediaType
        size = document.size
        stepID = document.stepID
        attachedAt = document.attachedAt
        attachedBy = document.actor
        url = "/api/v1/documents/\(document.sha256)"
    }
}

/// A unit's project record as the API and the dossier show it.
struct ProjectView: Encodable {
    var unitID: String
    var stage: LifecycleStage
    var steps: [StepView]
    /// The latest vote, with the thresholds checked; null before any.
    var vote: VoteView?
    var approvalNumber: String?
    var acceptanceNumber: String?
    var registrationCertificate: String?
    var subsidyAppliedYuan: Decimal
    var subsidyGrantedYuan: Decimal
    /// The latest funding step; null before any.
    var funding: FundingView?
    var documents: [DocumentView]
    /// What the next stage needs, in words; null when nothing is missing or the unit is past approval and acceptance.
    var nextStageNeeds: String?

    init(unit: UnitRecord, records: ProjectRecords) throws {
        let steps = try records.steps(unitID: unit.unitID)
        unitID = unit.unitID
        stage = unit.stage
        self.steps = steps.map(StepView.init)
        let summary = ProjectSummary(steps: steps)
        vote = summary.vote.map(VoteView.init)
        approvalNumber = summary.approvalNumber
        acceptanceNumber = summary.acceptanceNumber
        registrationCertificate = summary.registrationCertificate
        subsidyAppliedYuan = yuan(summary.subsidyAppliedFen)
        subsidyGrantedYuan = yuan(summary.subsidyGrantedFen)
        funding = summary.funding.map(FundingView.init)
        documents = try records.documents(unitID: unit.unitID).map(DocumentView.init)
        nextStageNeeds = ProjectSummary.nextStageNeeds(stage: unit.stage, steps: steps)
    }
}

/// The programme's inputs and views for the command line, in the API's shapes.
public enum ProgrammeInput {
    /// A step from the API's JSON body.
    /// - Throws: `APIError` naming the field.
    public static func step(json: Data, unitID: String) throws -> ProjectStep {
        let body: StepBody
        do { body = try JSONDecoder().decode(StepBody.self, from: json) } catch {
            throw APIError(.badRequest, code: "invalid_body", message: "not a step: \(error)")
        }
        return try body.step(unitID: unitID)
    }

    /// A unit's project record as `GET /api/v1/units/{id}/project` gives it.
    public static func projectJSON(unitID: String, database: LiftDatabase) throws -> Data {
        guard let unit = try database.unit(unitID) else { throw APIError(.notFound, code: "not_found", message: "no unit \"\(unitID)\"") }
        return try JSONEncoder.snakeCase.encode(try ProjectView(unit: unit, records: database.projects))
    }
}
