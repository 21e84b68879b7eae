import Foundation
import Hummingbird
import LiftCore
import LiftScheduler
import LiftStore
import NIOCore

/// The `/api/v1` routes of spec section 9. Every route checks the caller's role and scope; errors come out in
/// the contract's shape through `ErrorShapeMiddleware`.
struct APIRoutes: Sendable {
    let context: APIContext

    /// Every route, as `METHOD path` with `{name}` parameters: what the OpenAPI document must list.
    static let all: [(method: String, path: String)] = [
        ("GET", "/api/v1/units"), ("GET", "/api/v1/units/{unit_id}"), ("PUT", "/api/v1/units/{unit_id}"),
        ("GET", "/api/v1/elevators"), ("GET", "/api/v1/elevators/{elevator_id}"), ("PUT", "/api/v1/elevators/{elevator_id}"),
        ("GET", "/api/v1/elevators/{elevator_id}/series"), ("GET", "/api/v1/elevators/{elevator_id}/dossier"),
        ("GET", "/api/v1/tickets"), ("GET", "/api/v1/tickets/{id}"), ("POST", "/api/v1/tickets/{id}/actions"),
        ("GET", "/api/v1/kpis"), ("GET", "/api/v1/dead-letters"), ("POST", "/api/v1/dead-letters/replay"),
        ("GET", "/api/v1/incidents"), ("GET", "/api/v1/stream"), ("GET", "/api/v1/openapi.yaml"),
    ] + ProgrammeRoutes.all + MapRoutes.all + PropertyManagerRoutes.all + MaintenanceRoutes.all

    var database: LiftDatabase { context.database }

    func register(on group: RouterGroup<LiftRequestContext>) {
        group.get("units", use: listUnits)
        group.get("units/:unit_id", use: getUnit)
        group.put("units/:unit_id", use: putUnit)
        group.get("elevators", use: listElevators)
        group.get("elevators/:elevator_id", use: getElevator)
        group.put("elevators/:elevator_id", use: putElevator)
        group.get("elevators/:elevator_id/series", use: series)
        group.get("elevators/:elevator_id/dossier", use: dossier)
        group.get("tickets", use: listTickets)
        group.get("tickets/:id", use: getTicket)
        group.post("tickets/:id/actions", use: ticketAction)
        group.get("kpis", use: kpis)
        group.get("dead-letters", use: deadLetters)
        group.post("dead-letters/replay", use: replayDeadLetters)
        group.get("incidents", use: incidents)
        group.get("stream", use: stream)
        ProgrammeRoutes(api: self).register(on: group)
        MapRoutes(api: self).register(on: group)
        PropertyManagerRoutes(api: self).register(on: group)
        MaintenanceRoutes(api: self).register(on: group)
    }

    // MARK: units

    func listUnits(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        let q = try Query(request, allowed: ["region", "rating", "stage", "cursor", "limit"])
        let region = try scopedRegion(q.regionPrefix("region"), caller)
        let rating = try q.enumeration("rating", SurveyRating.self)
        let stage = try q.enumeration("stage", LifecycleStage.self)
        let limit = try q.limit()
        var after = try Cursor.read(q["cursor"]).map(Cursor.unitPosition)
        var items: [UnitView] = []
        var lastAdded: UnitPosition?
        var next: String?
        // Contractors see the units of their elevators: filter page by page.
        while items.count < limit {
            let batch = try database.units(regionPrefix: region, rating: rating, stage: stage, after: after, limit: limit)
            for unit in batch {
                let elevators = try database.elevators(ofUnit: unit.unitID)
                if caller.role == .contractor, !elevators.contains(where: { caller.mayRead(place: $0.place, contractorID: $0.contractorID) }) { continue }
                items.append(view(unit, elevators: elevators))
                lastAdded = UnitPosition(place: unit.place, unitID: unit.unitID)
                if items.count == limit { break }
            }
            after = batch.last.map { UnitPosition(place: $0.place, unitID: $0.unitID) }
            if batch.count < limit { break }
        }
        if items.count == limit, let last = lastAdded { next = Cursor.make(last.place + "~" + last.unitID) }
        return try json(Page(items: items, next: next))
    }

    func getUnit(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        let id = try ctx.parameters.require("unit_id")
        guard let unit = try database.unit(id) else { throw APIError(.notFound, code: "not_found", message: "no unit \"\(id)\"") }
        let elevators = try database.elevators(ofUnit: id)
        let allowed = caller.role == .contractor
            ? elevators.contains { caller.mayRead(place: $0.place, contractorID: $0.contractorID) } : caller.mayRead(place: unit.place, contractorID: nil)
        guard allowed else { throw forbidden("unit \(id) is outside your scope") }
        return try json(view(unit, elevators: elevators))
    }

    func putUnit(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        guard caller.mayWrite else { throw forbidden("only an admin may change the registry") }
        let id = try ctx.parameters.require("unit_id")
        struct Body: Decodable {
            var region: String
            var address: String?
            var lat: Double?
            var lon: Double?
            var floors: Int?
            var rating: SurveyRating?
            var stage: LifecycleStage?
            var areaCode: Field<String>
            var estateID: Field<String>
            var estateName: Field<String>
            var building: Field<String>
            var unitNo: Field<String>
            var households: Field<Int>
            enum CodingKeys: String, CodingKey {
                case region, address, lat, lon, floors, rating, stage
                case areaCode = "area_code", estateID = "estate_id", estateName = "estate_name", building, unitNo = "unit_no", households
            }
            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                region = try c.decode(String.self, forKey: .region)
                address = try c.decodeIfPresent(String.self, forKey: .address)
                lat = try c.decodeIfPresent(Double.self, forKey: .lat)
                lon = try c.decodeIfPresent(Double.self, forKey: .lon)
                floors = try c.decodeIfPresent(Int.self, forKey: .floors)
                rating = try c.decodeIfPresent(SurveyRating.self, forKey: .rating)
                stage = try c.decodeIfPresent(LifecycleStage.self, forKey: .stage)
                areaCode = try Field(c, .areaCode)
                estateID = try Field(c, .estateID)
                estateName = try Field(c, .estateName)
                building = try Field(c, .building)
                unitNo = try Field(c, .unitNo)
                households = try Field(c, .households)
            }
        }
        let body = try await decode(Body.self, request, ctx)
        let existing = try database.unit(id)
        // The programme's fields: left out keeps what is stored, null clears.
        let unit = UnitRecord(
            unitID: id, region: body.region, address: body.address ?? existing?.address ?? "", lat: body.lat, lon: body.lon, floors: body.floors,
            rating: body.rating, stage: body.stage ?? existing?.stage ?? .surveyed, areaCode: body.areaCode.value(or: existing?.areaCode),
            estateID: body.estateID.value(or: existing?.estateID), estateName: body.estateName.value(or: existing?.estateName),
            building: body.building.value(or: existing?.building), unitNumber: body.unitNo.value(or: existing?.unitNumber),
            households: body.households.value(or: existing?.households))
        let change = try registry { try database.upsertUnit(unit, at: context.clock.now(), by: caller.actor, stageThroughPath: false, checkProgramme: true) }
        let stored = try database.unit(id)!
        return try json(view(stored, elevators: try database.elevators(ofUnit: id)), status: change == .created ? .created : .ok)
    }

    func view(_ unit: UnitRecord, elevators: [ElevatorRecord]) -> UnitView {
        UnitView(
            unitID: unit.unitID, region: unit.region, address: unit.address, lat: unit.lat, lon: unit.lon, floors: unit.floors, rating: unit.rating,
            stage: unit.stage, elevatorIDs: elevators.map(\.elevatorID), areaCode: unit.areaCode, estateID: unit.estateID,
            estateName: unit.estateName, building: unit.building, unitNumber: unit.unitNumber, households: unit.households)
    }

    // MARK: elevators

    func listElevators(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        let q = try Query(request, allowed: ["region", "contractor", "health", "stage", "cursor", "limit", "rescue_code"])
        let region = try scopedRegion(q.regionPrefix("region"), caller)
        let contractor = try scopedContractor(q.id("contractor"), caller)
        if let code = q["rescue_code"] {
            // The hotline's dispatcher: the elevator whose car shows the code the caller reads out.
            guard code.count <= 12, code.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw invalid("rescue_code", "expected 4 to 12 digits") }
            let now = context.clock.now()
            var items: [ElevatorView] = []
            if let found = try database.elevator(rescueCode: code), caller.mayRead(place: found.place, contractorID: found.contractorID) {
                items.append(try view(found, now: now))
            }
            return try json(Page(items: items, next: nil))
        }
        let health = try q.enumeration("health", Health.State.self)
        let stage = try q.enumeration("stage", LifecycleStage.self)
        let limit = try q.limit()
        var after = try Cursor.read(q["cursor"]) ?? ""
        let now = context.clock.now()
        var items: [ElevatorView] = []
        // Batches read by SQL in id order, their health assessed at once; the health filter may read several.
        let batchSize = health == nil ? limit : max(limit, 500)
        while items.count < limit {
            let batch = try database.elevators(placePrefix: region, contractorID: contractor, stage: stage, after: after, limit: batchSize)
            let readable = batch.filter { caller.mayRead(place: $0.place, contractorID: $0.contractorID) }
            let healths = try context.health.health(of: readable, now: now)
            for elevator in readable {
                guard let assessed = healths[elevator.elevatorID] else { continue }
                if let health, assessed.state != health { continue }
                items.append(try view(elevator, health: assessed, now: now))
                if items.count == limit { break }
            }
            guard batch.count == batchSize, let last = batch.last else { break }
            after = last.elevatorID
        }
        return try json(Page(items: items, next: items.count == limit ? items.last.map { Cursor.make($0.elevatorID) } : nil))
    }

    func getElevator(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let elevator = try readableElevator(ctx)
        return try json(view(elevator, now: context.clock.now()))
    }

    func putElevator(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        guard caller.mayWrite else { throw forbidden("only an admin may change the registry") }
        let id = try ctx.parameters.require("elevator_id")
        guard Identifier.isValidID(id) else { throw invalid("elevator_id", "\"\(id.prefix(64))\" is not [A-Za-z0-9_-]{1,64}") }
        /// A field left out keeps what is stored; `null` clears the fields that may be empty.
        struct Body: Decodable {
            var unitID: Field<String>
            var region: String?
            var contractorID: Field<String>
            var commissionedOn: Field<String>
            var stage: String?
            var onDemand: Bool?
            var platform: String?
            var forceReason: String?
            var propertyManagerID: Field<String>
            var rescueCode: Field<String>
            enum CodingKeys: String, CodingKey {
                case unitID = "unit_id", region, contractorID = "contractor_id", commissionedOn = "commissioned_on", stage, onDemand = "on_demand"
                case platform, forceReason = "force_reason", propertyManagerID = "property_manager_id", rescueCode = "rescue_code"
            }
            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                unitID = try Field(c, .unitID)
                region = try c.decodeIfPresent(String.self, forKey: .region)
                contractorID = try Field(c, .contractorID)
                commissionedOn = try Field(c, .commissionedOn)
                stage = try c.decodeIfPresent(String.self, forKey: .stage)
                onDemand = try c.decodeIfPresent(Bool.self, forKey: .onDemand)
                platform = try c.decodeIfPresent(String.self, forKey: .platform)
                forceReason = try c.decodeIfPresent(String.self, forKey: .forceReason)
                propertyManagerID = try Field(c, .propertyManagerID)
                rescueCode = try Field(c, .rescueCode)
            }
        }
        let body = try await decode(Body.self, request, ctx)
        let existing = try database.elevator(id)
        guard let region = body.region ?? existing?.region else {
            throw APIError(.badRequest, code: "invalid_field", message: "region: required for a new elevator")
        }
        let registration = ElevatorRegistration(
            elevatorID: id, unitID: body.unitID.value(or: existing?.unitID), region: region,
            contractorID: body.contractorID.value(or: existing?.contractorID), commissionedOn: body.commissionedOn.value(or: existing?.commissionedOn),
            stage: body.stage ?? existing?.stage ?? LifecycleStage.registered.rawValue, onDemand: body.onDemand ?? existing?.onDemand ?? false,
            platform: body.platform ?? existing?.platform ?? "default")
        let now = context.clock.now()
        // The property manager and the rescue code: checked before anything is stored, set before a stage move (an
        // elevator enters service only with a property manager) or after a new elevator is created.
        let manager = body.propertyManagerID.update
        let code = body.rescueCode.update
        if case .some(.some(let id)) = manager, !Identifier.isValidID(id) {
            throw APIError(.badRequest, code: "invalid_field", message: "property_manager_id: \"\(id.prefix(64))\" is not [A-Za-z0-9_-]{1,64}")
        }
        if case .some(.some(let text)) = code, let problem = context.rescueHotlines.codeProblem(text, place: existing?.place ?? region) {
            throw APIError(.badRequest, code: "invalid_field", message: "rescue_code: \(problem)")
        }
        // One transaction: the property manager and code are set before the stage moves, and nothing is kept when
        // any part is refused.
        let result = try registry {
            try database.putElevator(
                registration, platforms: context.platforms, forcedReason: body.forceReason, propertyManagerID: manager, rescueCode: code, at: now,
                by: caller.actor)
        }
        return try json(view(result.record, now: now), status: result.change == .created ? .created : .ok)
    }

    /// A JSON field that may be left out (keep), `null` (clear) or given.
    enum Field<Value: Decodable>: Decodable {
        case absent
        case null
        case value(Value)

        init<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws {
            if !container.contains(key) {
                self = .absent
            } else if try container.decodeNil(forKey: key) {
                self = .null
            } else {
                self = .value(try container.decode(Value.self, forKey: key))
            }
        }

        init(from decoder: any Decoder) throws { self = .value(try decoder.singleValueContainer().decode(Value.self)) }

        /// As an update: nil when left out (keep), `.some(nil)` to clear, `.some(value)` to set.
        var update: Value?? {
            switch self {
            case .absent: nil
            case .null: .some(nil)
            case .value(let value): .some(value)
            }
        }

        func value(or stored: Value?) -> Value? {
            switch self {
            case .absent: stored
            case .null: nil
            case .value(let value): value
            }
        }
    }

    func series(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let elevator = try readableElevator(ctx)
        let q = try Query(request, allowed: ["metric", "from", "to", "step"])
        guard let metricName = q["metric"] else { throw invalid("metric", "is required: one of \(Rollups.Metric.allCases.map(\.name).joined(separator: ", "))") }
        guard let metric = Rollups.Metric.allCases.first(where: { $0.name == metricName }) else {
            throw invalid("metric", "expected one of \(Rollups.Metric.allCases.map(\.name).joined(separator: ", ")), got \"\(metricName)\"")
        }
        let now = context.clock.now()
        let to = try q.time("to") ?? now
        let from = try q.time("from") ?? to - 86_400_000
        guard from < to else { throw invalid("from", "must be before to") }
        let span = to.subtractingReportingOverflow(from)
        let step = try q.integer("step", range: 1_000...31_536_000_000)
            ?? Rollups.defaultStep(from: from, to: to, minuteRollupsFrom: try database.retainedFrom().minuteRollups)
        guard !span.overflow, span.partialValue / step <= 10_000 else { throw invalid("step", "gives more than 10,000 points for this range; use a larger step") }
        struct Body: Encodable {
            var elevatorID: String, metric: String, from: Int64, to: Int64, step: Int64, points: [SeriesPoint]
            enum CodingKeys: String, CodingKey { case elevatorID = "elevator_id", metric, from, to, step, points }
        }
        let points: [SeriesPoint]
        do {
            points = try database.series(elevator.elevatorID, metric: metric, from: from, to: to, step: step)
        } catch let error as SeriesTooFine {
            throw invalid("step", error.description)
        }
        return try json(Body(elevatorID: elevator.elevatorID, metric: metric.name, from: from, to: to, step: step, points: points))
    }

    func dossier(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let elevator = try readableElevator(ctx)
        let q = try Query(request, allowed: ["format", "days"])
        let days = try q.integer("days", range: 1...3_650) ?? 365
        let dossier = try registry {
            try database.dossier(of: .elevator(elevator.elevatorID), now: context.clock.now(), historyDays: Int(days)).visible(to: try ctx.caller())
        }
        switch q["format"] ?? "json" {
        case "json": return try json(dossier)
        case "html":
            return html(DossierPage(dossier: dossier, chartScript: .url("/assets/chart.js/chart.min.js"), t: Localizer(request)).render())
        case let other: throw invalid("format", "expected json or html, got \"\(other)\"")
        }
    }

    func readableElevator(_ ctx: LiftRequestContext) throws -> ElevatorRecord {
        let caller = try ctx.caller()
        let id = try ctx.parameters.require("elevator_id")
        guard Identifier.isValidID(id) else { throw invalid("elevator_id", "\"\(id.prefix(64))\" is not [A-Za-z0-9_-]{1,64}") }
        guard let elevator = try database.elevator(id) else { throw APIError(.notFound, code: "not_found", message: "no elevator \"\(id)\"") }
        guard caller.mayRead(place: elevator.place, contractorID: elevator.contractorID, managerID: elevator.propertyManagerID) else {
            throw forbidden("elevator \(id) is outside your scope")
        }
        return elevator
    }

    func view(_ elevator: ElevatorRecord, now: Int64) throws -> ElevatorView {
        try view(elevator, health: try context.health.health(of: elevator, now: now), now: now)
    }

    func view(_ elevator: ElevatorRecord, health: Health, now: Int64) throws -> ElevatorView {
        ElevatorView(
            elevatorID: elevator.elevatorID, unitID: elevator.unitID, region: elevator.region, contractorID: elevator.contractorID,
            stage: elevator.stage, online: context.health.isOnline(elevator, now: now), lastSeen: elevator.lastSeen, health: health,
            openTickets: try database.activeTicketIDs(elevatorID: elevator.elevatorID), commissionedOn: elevator.commissionedOn,
            onDemand: elevator.onDemand, platform: elevator.platform, terminalID: elevator.terminalID, firmware: elevator.firmware,
            ingest: try database.ingestCounters(elevator.elevatorID), rescueCode: elevator.rescueCode, propertyManagerID: elevator.propertyManagerID)
    }

    // MARK: tickets

    func listTickets(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        let q = try Query(request, allowed: ["elevator", "contractor", "region", "status", "type", "from", "to", "cursor", "limit"])
        let elevator = try q.id("elevator")
        let contractor = try scopedContractor(q.id("contractor"), caller)
        let region = try scopedRegion(q.regionPrefix("region"), caller)
        let statuses = try q.enumerations("status", TicketStatus.self)
        let types = try q.enumerations("type", TicketType.self)
        let limit = try q.limit()
        let afterText = try Cursor.read(q["cursor"])
        guard let after = afterText.map({ Int64($0) }) ?? 0 else { throw invalid("cursor", "not a cursor this API returned") }
        let tickets = try database.tickets(TicketFilter(
            elevatorID: elevator, contractorID: contractor, regionPrefix: region, statuses: statuses, types: types,
            openedFrom: try q.time("from"), openedTo: try q.time("to"), afterID: after, limit: limit))
        let visible = tickets.filter { caller.mayRead($0) }
        return try json(Page(items: visible, next: tickets.count == limit ? tickets.last.map { Cursor.make(String($0.id)) } : nil))
    }

    func getTicket(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let ticket = try readableTicket(ctx)
        struct Body: Encodable {
            var ticket: Ticket
            var steps: [TicketStep]
            var checklist: [String]?
            func encode(to encoder: any Encoder) throws {
                try ticket.encode(to: encoder)
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(steps, forKey: .steps)
                try c.encodeIfPresent(checklist, forKey: .checklist)
            }
            enum Keys: String, CodingKey { case steps, checklist }
        }
        let checklist = ticket.type == .maintenance ? ticket.level.flatMap(MaintenanceLevel.init(rawValue:)).flatMap { context.checklists?.items(level: $0) } : nil
        return try json(Body(ticket: ticket, steps: try database.ticketSteps(ticket.id), checklist: checklist))
    }

    func ticketAction(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        let ticket = try readableTicket(ctx)
        // Refused before the body is read; the engine applies the same rule again to the ticket as it stands.
        guard caller.role != .regulator, caller.role != .officer else { throw forbidden("\(caller.role.rawValue)s read tickets; they do not move them") }
        /// A rescue's steps carry `passengers`, `injuries`, `cause` and `responder` (docs/tickets.md).
        struct Body: Decodable {
            var action: String
            var note: String?
            var passengers: Int?
            var injuries: Int?
            var cause: String?
            var responder: String?
        }
        let body = try await decode(Body.self, request, ctx)
        guard let action = TicketAction(rawValue: body.action) else {
            throw APIError(.badRequest, code: "invalid_field", message: "action: expected one of \(TicketAction.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(body.action)\"")
        }
        if let note = body.note, note.count > 2_000 { throw APIError(.badRequest, code: "invalid_field", message: "note: at most 2,000 characters") }
        var details = StepDetails(passengers: body.passengers, injuries: body.injuries)
        if let text = body.cause {
            guard let cause = RescueCause(rawValue: text) else {
                throw APIError(.badRequest, code: "invalid_field", message: "cause: expected one of \(RescueCause.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(text.prefix(64))\"")
            }
            details.cause = cause
        }
        if let text = body.responder {
            guard let responder = RescueResponder(rawValue: text) else {
                throw APIError(.badRequest, code: "invalid_field", message: "responder: expected one of \(RescueResponder.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(text.prefix(64))\"")
            }
            details.responder = responder
        }
        guard let engine = context.engine else { throw APIError(.serviceUnavailable, code: "unavailable", message: "the ticket engine is not running") }
        do {
            let updated = try await engine.perform(action, on: ticket.id, as: caller, note: body.note, details: details, at: context.clock.now())
            return try json(updated)
        } catch TicketEngineError.forbidden(let reason) {
            throw forbidden(reason)
        } catch TicketEngineError.refused(let error) where error.kind == .missingNote {
            throw APIError(.badRequest, code: "invalid_field", message: "note: \(error.description)")
        } catch TicketEngineError.refused(let error) where error.kind == .invalidDetails {
            throw APIError(.badRequest, code: "invalid_field", message: error.description)
        } catch TicketEngineError.refused(let error) {
            throw APIError(.conflict, code: "invalid_transition", message: error.description)
        } catch TicketEngineError.notFound(let id) {
            throw APIError(.notFound, code: "not_found", message: "no ticket \(id)")
        }
    }

    func readableTicket(_ ctx: LiftRequestContext) throws -> Ticket {
        let caller = try ctx.caller()
        let text = try ctx.parameters.require("id")
        guard let id = Int64(text), id > 0 else { throw APIError(.badRequest, code: "invalid_parameter", message: "id: expected a ticket number, got \"\(text)\"") }
        guard let ticket = try database.ticket(id) else { throw APIError(.notFound, code: "not_found", message: "no ticket \(id)") }
        let managerID = caller.role == .propertyManager ? try database.elevator(ticket.elevatorID)?.propertyManagerID : nil
        guard caller.mayRead(ticket, managerID: managerID) else { throw forbidden("ticket \(id) is outside your scope") }
        return ticket
    }

    // MARK: figures

    func kpis(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        let q = try Query(request, allowed: ["region", "contractor", "from", "to", "format"])
        let region = try scopedRegion(q.regionPrefix("region"), caller)
        let contractor = try scopedContractor(q.id("contractor"), caller)
        let now = context.clock.now()
        let to = try q.time("to") ?? now
        let from = try q.time("from") ?? to - 30 * 86_400_000
        guard from < to else { throw invalid("from", "must be before to") }
        let report = try database.kpis(KPIReport.Scope(region: region, contractor: contractor, from: from, to: to), now: now,
                                       offlineThresholdMs: context.offlineThresholdMs)
        let wantsCSV = q["format"] == "csv" || (q["format"] == nil && (request.headers[.accept] ?? "").contains("text/csv"))
        if let format = q["format"], format != "csv", format != "json" { throw invalid("format", "expected json or csv, got \"\(format)\"") }
        if wantsCSV {
            return Response(
                status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"kpis.csv\""],
                body: .init(byteBuffer: ByteBuffer(string: KPICSV.render(report))))
        }
        return try json(report)
    }

    // MARK: dead letters

    func deadLetters(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        guard caller.role != .contractor else { throw forbidden("dead letters are for administrators and regulators") }
        let q = try Query(request, allowed: ["reason", "pending", "cursor", "limit"])
        let limit = try q.limit()
        let afterText = try Cursor.read(q["cursor"])
        guard let after = afterText.map({ Int64($0) }) ?? 0 else { throw invalid("cursor", "not a cursor this API returned") }
        let pending: Bool
        switch q["pending"] {
        case nil, "false": pending = false
        case "true": pending = true
        case let other?: throw invalid("pending", "expected true or false, got \"\(other)\"")
        }
        let reason = q["reason"]
        if let reason, Rejection.Reason(rawValue: reason) == nil {
            throw invalid("reason", "expected one of \(Rejection.Reason.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(reason)\"")
        }
        let letters = try database.deadLetters(afterID: after, limit: limit, pendingOnly: pending, reason: reason)
        let visible = letters.filter { letter in
            // A letter's place is its topic's region: readable by scopes of that district or above.
            caller.role == .admin || LiftTopic.regionOf(letter.topic).map { caller.mayRead(place: $0, contractorID: nil) } == true
        }
        struct Item: Encodable {
            /// `payload` is the bytes as text (invalid UTF-8 shown as U+FFFD), `payload_base64` the bytes exactly.
            var id: Int64, topic: String, payload: String, payloadBase64: String, payloadBytes: Int, receivedAt: Int64, reason: String
            var message: String, elevatorID: String?, replayedAt: Int64?, replayOutcome: String?
            enum CodingKeys: String, CodingKey {
                case id, topic, payload, payloadBase64 = "payload_base64", payloadBytes = "payload_bytes", receivedAt = "received_at", reason
                case message, elevatorID = "elevator_id", replayedAt = "replayed_at", replayOutcome = "replay_outcome"
            }
        }
        let items = visible.map {
            Item(id: $0.id, topic: $0.topic, payload: String(decoding: $0.payload, as: UTF8.self), payloadBase64: Data($0.payload).base64EncodedString(),
                 payloadBytes: $0.payload.count, receivedAt: $0.receivedAt, reason: $0.reason, message: $0.message, elevatorID: $0.elevatorID,
                 replayedAt: $0.replayedAt, replayOutcome: $0.replayOutcome)
        }
        return try json(Page(items: items, next: letters.count == limit ? letters.last.map { Cursor.make(String($0.id)) } : nil))
    }

    func replayDeadLetters(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        guard caller.mayWrite else { throw forbidden("only an admin may replay dead letters") }
        struct Body: Decodable { var ids: [Int64]?; var reason: String? }
        let body = try await decode(Body.self, request, ctx, allowEmpty: true) ?? Body()
        if let reason = body.reason, Rejection.Reason(rawValue: reason) == nil {
            throw APIError(.badRequest, code: "invalid_field", message: "reason: expected one of \(Rejection.Reason.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(reason.prefix(100))\"")
        }
        guard let replay = context.replayDeadLetters else { throw APIError(.serviceUnavailable, code: "unavailable", message: "replay is not available") }
        let summary = try await replay(body.ids, body.reason, caller.actor)
        return try json(summary)
    }

    // MARK: area incidents

    func incidents(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        guard caller.role != .contractor else { throw forbidden("area incidents are for administrators and regulators") }
        let q = try Query(request, allowed: ["region", "open"])
        let region = q["region"]
        if let region, !Identifier.isValidRegionPrefix(region) { throw invalid("region", "expected 2 to 6 digits, got \"\(region)\"") }
        // Incidents are per district: a street or community office sees its district's.
        let scope = caller.scopePrefix.map { String($0.prefix(6)) }
        if let region, let scope, !region.hasPrefix(scope) { throw forbidden("region \(region) is outside your scope") }
        let openOnly: Bool
        switch q["open"] {
        case nil, "false": openOnly = false
        case "true": openOnly = true
        case let other?: throw invalid("open", "expected true or false, got \"\(other)\"")
        }
        let items = try database.incidents(regionPrefix: region ?? scope).filter { !openOnly || $0.closedAt == nil }
        return try json(Page(items: items, next: nil))
    }

    // MARK: live stream

    func stream(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        _ = try Query(request, allowed: [])
        guard let hub = context.events else { throw APIError(.serviceUnavailable, code: "unavailable", message: "the live stream is not running") }
        let events: AsyncStream<EventHub.Event>
        do { events = try hub.subscribe(principal: caller.tokenID) } catch {
            switch error {
            case .tooManyForPrincipal(let limit):
                throw APIError(.tooManyRequests, code: "too_many_streams", message: "at most \(limit) live streams per token; close one first")
            case .tooMany(let limit):
                throw APIError(.serviceUnavailable, code: "too_many_streams", message: "the server holds its maximum of \(limit) live streams")
            case .closed:
                throw APIError(.serviceUnavailable, code: "unavailable", message: "the server is shutting down")
            }
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: .init { writer in
                try await writer.write(ByteBuffer(string: ": LiftWatch live stream for \(caller.role.rawValue)\n\n"))
                // Heartbeats keep proxies from closing an idle stream and let a dead client be noticed.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // Bounded like the hub's stream: a client that cannot take what is written is cut off.
                    let (merged, input) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingOldest(hub.bufferPerStream))
                    group.addTask {
                        for await event in events where caller.mayRead(place: event.place, contractorID: event.contractorID) {
                            if case .dropped = input.yield("event: \(event.name)\ndata: \(event.data)\n\n") { break }
                        }
                        input.finish()
                    }
                    group.addTask {
                        while !Task.isCancelled {
                            try await Task.sleep(for: .seconds(15))
                            if case .dropped = input.yield(": heartbeat\n\n") { input.finish() }
                        }
                    }
                    for await chunk in merged { try await writer.write(ByteBuffer(string: chunk)) }
                    group.cancelAll()
                }
                try await writer.finish(nil)
            })
    }

    // MARK: helpers

    func scopedRegion(_ requested: String?, _ caller: Principal) throws -> String? {
        guard let own = caller.scopePrefix else { return requested }
        guard let requested else { return own }
        guard requested.hasPrefix(own) else { throw forbidden("region \(requested) is outside your scope \(own)") }
        return requested
    }

    func scopedContractor(_ requested: String?, _ caller: Principal) throws -> String? {
        guard caller.role == .contractor else { return requested }
        if let requested, requested != caller.contractorID { throw forbidden("contractor \(requested) is not you") }
        return caller.contractorID
    }

    func registry<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as RegistryError {
            switch error.kind {
            case .notFound: throw APIError(.notFound, code: "not_found", message: error.message)
            case .invalid: throw APIError(.badRequest, code: "invalid_field", message: error.message)
            case .refused: throw APIError(.conflict, code: "invalid_transition", message: error.message)
            }
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ ctx: LiftRequestContext) async throws -> T {
        guard let value = try await decode(type, request, ctx, allowEmpty: false) else {
            throw APIError(.badRequest, code: "invalid_body", message: "a JSON body is required")
        }
        return value
    }

    func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ ctx: LiftRequestContext, allowEmpty: Bool) async throws -> T? {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: ctx.maxUploadSize) } catch {
            throw APIError(.contentTooLarge, code: "body_too_large", message: "the body is over \(ctx.maxUploadSize / 1024) KiB")
        }
        if buffer.readableBytes == 0 && allowEmpty { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIError(.badRequest, code: "invalid_body", message: "\(key.stringValue): required")
        } catch let DecodingError.typeMismatch(_, context) {
            throw APIError(.badRequest, code: "invalid_body", message: "\(context.codingPath.map(\.stringValue).joined(separator: ".")): wrong type")
        } catch let DecodingError.dataCorrupted(context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw APIError(.badRequest, code: "invalid_body", message: path.isEmpty ? "not valid JSON" : "\(path): \(context.debugDescription)")
        } catch {
            throw APIError(.badRequest, code: "invalid_body", message: "not a valid JSON body: \(error)")
        }
    }

    func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder.snakeCase.encode(value))))
    }

    func forbidden(_ message: String) -> APIError { APIError(.forbidden, code: "forbidden", message: message) }
    func invalid(_ name: String, _ message: String) -> APIError { APIError(.badRequest, code: "invalid_parameter", message: "\(name): \(message)") }
}
