import Foundation
import Hummingbird
import LiftCore
import LiftStore

/// Property managers (使用单位): their record and safety officer, their elevators, their duties (日管控、周排查、
/// 月调度) and hazard register; and, for regulators, who has missed what. Administrators write records; the
/// property manager records its own duties and hazards; regulators and officers read.
struct PropertyManagerRoutes: Sendable {
    let api: APIRoutes

    static let all: [(method: String, path: String)] = [
        ("GET", "/api/v1/property-managers"),
        ("GET", "/api/v1/property-managers/{manager_id}"), ("PUT", "/api/v1/property-managers/{manager_id}"),
        ("GET", "/api/v1/property-managers/{manager_id}/duties"), ("POST", "/api/v1/property-managers/{manager_id}/duties"),
        ("GET", "/api/v1/property-managers/{manager_id}/hazards"), ("POST", "/api/v1/property-managers/{manager_id}/hazards"),
        ("POST", "/api/v1/property-managers/{manager_id}/hazards/{hazard_id}/fix"),
    ]

    var context: APIContext { api.context }
    var database: LiftDatabase { context.database }

    func register(on group: RouterGroup<LiftRequestContext>) {
        group.get("property-managers", use: oversight)
        group.get("property-managers/:manager_id", use: get)
        group.put("property-managers/:manager_id", use: put)
        group.get("property-managers/:manager_id/duties", use: duties)
        group.post("property-managers/:manager_id/duties", use: recordDuty)
        group.get("property-managers/:manager_id/hazards", use: hazards)
        group.post("property-managers/:manager_id/hazards", use: addHazard)
        group.post("property-managers/:manager_id/hazards/:hazard_id/fix", use: fixHazard)
    }

    /// The manager named in the path, after checking the caller may read it: an administrator, the manager itself,
    /// or a regulator or officer with one of its elevators in scope.
    func readable(_ ctx: LiftRequestContext) throws -> (PropertyManagerRecord, [ElevatorRecord], Principal) {
        let caller = try ctx.caller()
        let id = try ctx.parameters.require("manager_id")
        guard Identifier.isValidID(id) else { throw api.invalid("manager_id", "\"\(id.prefix(64))\" is not [A-Za-z0-9_-]{1,64}") }
        guard let manager = try database.propertyManager(id) else { throw APIError(.notFound, code: "not_found", message: "no property manager \(id)") }
        let elevators = try database.elevators(propertyManagerID: id)
        let allowed = switch caller.role {
        case .admin: true
        case .propertyManager: caller.managerID == id
        case .regulator, .officer: elevators.contains { caller.mayRead(place: $0.place, contractorID: nil) }
        case .contractor: false
        }
        guard allowed else { throw api.forbidden("property manager \(id) is outside your scope") }
        return (manager, elevators, caller)
    }

    struct ManagerView: Encodable {
        var manager: PropertyManagerRecord
        var elevators: [Lift]
        struct Lift: Encodable {
            var elevatorID: String
            var stage: String
            var rescueCode: String?
            var openTickets: [Int64]
            enum CodingKeys: String, CodingKey { case elevatorID = "elevator_id", stage, rescueCode = "rescue_code", openTickets = "open_tickets" }
        }
    }

    func get(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let (manager, elevators, caller) = try readable(ctx)
        let visible = caller.role == .regulator || caller.role == .officer ? elevators.filter { caller.mayRead(place: $0.place, contractorID: nil) } : elevators
        let lifts = try visible.map {
            ManagerView.Lift(elevatorID: $0.elevatorID, stage: $0.stage, rescueCode: $0.rescueCode, openTickets: try database.activeTicketIDs(elevatorID: $0.elevatorID))
        }
        return try api.json(ManagerView(manager: manager, elevators: lifts))
    }

    func put(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        guard caller.mayWrite else { throw api.forbidden("only an admin may change the registry") }
        let id = try ctx.parameters.require("manager_id")
        struct Body: Decodable {
            var name: String
            var phone: String?
            var safetyOfficer: String
            var safetyOfficerPhone: String?
            enum CodingKeys: String, CodingKey { case name, phone, safetyOfficer = "safety_officer", safetyOfficerPhone = "safety_officer_phone" }
        }
        let body = try await api.decode(Body.self, request, ctx)
        let record = PropertyManagerRecord(
            managerID: id, name: body.name, phone: body.phone, safetyOfficer: body.safetyOfficer, safetyOfficerPhone: body.safetyOfficerPhone)
        let existed = try database.propertyManager(id) != nil
        try api.registry { try database.putPropertyManager(record, at: context.clock.now(), by: caller.actor) }
        return try api.json(record, status: existed ? .ok : .created)
    }

    /// A window from `from`/`to` (default: the last 30 days up to now).
    func window(_ q: Query) throws -> (from: Int64, to: Int64) {
        let now = context.clock.now()
        let to = try q.time("to") ?? now
        let from = try q.time("from") ?? to - 30 * 86_400_000
        guard from < to else { throw api.invalid("from", "must be before to") }
        guard to - from <= 366 * 86_400_000 else { throw api.invalid("from", "a window of at most 366 days") }
        return (from, min(to, now))
    }

    func duties(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let (manager, _, caller) = try readable(ctx)
        let q = try Query(request, allowed: ["from", "to"])
        let (from, to) = try window(q)
        let result = try database.duties(managerID: manager.managerID, from: from, to: to, placePrefix: caller.scopePrefix ?? "")
        struct Answer: Encodable {
            var done: [DutyRecord]
            var missed: [MissedDuty]
        }
        return try api.json(Answer(done: result.done, missed: result.missed))
    }

    func recordDuty(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let (manager, _, caller) = try readable(ctx)
        guard caller.mayRecordDuties(of: manager.managerID) else { throw api.forbidden("only the property manager (or an admin) records its duties") }
        struct Body: Decodable {
            var kind: String
            var elevatorID: String?
            var note: String?
            enum CodingKeys: String, CodingKey { case kind, elevatorID = "elevator_id", note }
        }
        let body = try await api.decode(Body.self, request, ctx)
        guard let kind = ManagerDuty(rawValue: body.kind) else {
            throw APIError(.badRequest, code: "invalid_field", message: "kind: expected one of \(ManagerDuty.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let record = try api.registry {
            try database.recordDuty(kind, managerID: manager.managerID, elevatorID: body.elevatorID, note: body.note, at: context.clock.now(), by: caller.actor)
        }
        return try api.json(record, status: .created)
    }

    /// A page of the register, newest first; `cursor` continues it. A regulator sees its scope's elevators only.
    func hazards(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let (manager, _, caller) = try readable(ctx)
        let q = try Query(request, allowed: ["cursor", "limit"])
        let limit = try q.limit()
        let before = try Cursor.read(q["cursor"]).map { text -> Int64 in
            guard let id = Int64(text) else { throw api.invalid("cursor", "not a cursor this API returned") }
            return id
        } ?? .max
        let items = try database.hazards(managerID: manager.managerID, now: context.clock.now(), placePrefix: caller.scopePrefix ?? "", before: before, limit: limit)
        return try api.json(Page(items: items, next: items.count == limit ? items.last.map { Cursor.make(String($0.id)) } : nil))
    }

    func addHazard(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let (manager, _, caller) = try readable(ctx)
        guard caller.mayRecordDuties(of: manager.managerID) else { throw api.forbidden("only the property manager (or an admin) keeps its hazard register") }
        struct Body: Decodable {
            var elevatorID: String
            var description: String
            var fixBy: Int64
            enum CodingKeys: String, CodingKey { case elevatorID = "elevator_id", description, fixBy = "fix_by" }
        }
        let body = try await api.decode(Body.self, request, ctx)
        let hazard = try api.registry {
            try database.addHazard(
                managerID: manager.managerID, elevatorID: body.elevatorID, description: body.description, fixBy: body.fixBy, at: context.clock.now(),
                by: caller.actor)
        }
        return try api.json(hazard, status: .created)
    }

    func fixHazard(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let (manager, _, caller) = try readable(ctx)
        guard caller.mayRecordDuties(of: manager.managerID) else { throw api.forbidden("only the property manager (or an admin) keeps its hazard register") }
        let text = try ctx.parameters.require("hazard_id")
        guard let id = Int64(text), id > 0 else { throw api.invalid("hazard_id", "expected a number") }
        struct Body: Decodable { var note: String? }
        let body = try await api.decode(Body.self, request, ctx, allowEmpty: true)
        try api.registry { try database.fixHazard(id, managerID: manager.managerID, note: body?.note, at: context.clock.now(), by: caller.actor) }
        return try api.json(try database.hazards(managerID: manager.managerID, now: context.clock.now(), id: id).first)
    }

    /// For regulators: the property managers of elevators in scope, with the duties each missed over the window and
    /// its hazards past their fix-by date now.
    func oversight(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        guard caller.role != .contractor, caller.role != .propertyManager else { throw api.forbidden("the oversight of property managers is for regulators") }
        let q = try Query(request, allowed: ["region", "from", "to"])
        let region = try api.scopedRegion(q.regionPrefix("region"), caller) ?? ""
        let (from, to) = try window(q)
        struct Row: Encodable {
            var managerID: String
            var dutiesMissed: Int
            var hazardsOverdue: Int
            enum CodingKeys: String, CodingKey { case managerID = "manager_id", dutiesMissed = "duties_missed", hazardsOverdue = "hazards_overdue" }
        }
        let rows = try database.managerOversight(placePrefix: region, from: from, to: to, now: context.clock.now())
            .map { Row(managerID: $0.managerID, dutiesMissed: $0.missed, hazardsOverdue: $0.hazardsOverdue) }
        return try api.json(Page(items: rows, next: nil))
    }
}

/// What a property manager may reach: its own elevators and tickets, the steps it takes, and its own record,
/// duties and hazards, and its page (`/manager`). Every other route and page answers 403 for it.
enum PropertyManagerGate {
    static func refusal(_ caller: Principal, _ request: Request) -> String? {
        guard caller.role == .propertyManager else { return nil }
        let parts = request.uri.path.split(separator: "/").map(String.init)
        let own = caller.managerID ?? ""
        let allowed: Bool
        switch (request.method, parts.count) {
        case (.get, 4) where parts[0...2] == ["api", "v1", "elevators"]: allowed = true
        case (.get, 4) where parts[0...2] == ["api", "v1", "tickets"]: allowed = true
        case (.post, 5) where parts[0...2] == ["api", "v1", "tickets"] && parts[4] == "actions": allowed = true
        case (.get, 5) where parts[0...2] == ["api", "v1", "tickets"] && parts[4] == "maintenance-record": allowed = true
        case (.get, 4) where parts[0...2] == ["api", "v1", "photos"]: allowed = true
        case (.post, 5) where parts[0...2] == ["api", "v1", "elevators"] && parts[4] == "maintenance-requests": allowed = true
        case (.post, 6) where parts[0...2] == ["api", "v1", "tickets"] && parts[4] == "maintenance-record" && parts[5] == "confirm": allowed = true
        case (_, 4...) where parts[0...2] == ["api", "v1", "property-managers"] && parts[3] == own: allowed = true
        case (.get, 1) where parts[0] == "manager": allowed = true
        case (.get, 0): allowed = true  // `/` sends it to its page
        default: allowed = false
        }
        return allowed ? nil : "a property manager reads its own elevators and tickets and keeps its records under /api/v1/property-managers/\(own)"
    }
}
