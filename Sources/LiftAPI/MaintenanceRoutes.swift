import Foundation
import Hummingbird
import LiftCore
import LiftScheduler
import LiftStore
import NIOCore

/// Electronic maintenance records (维保电子记录): technicians and their certificates, photos stored by SHA-256, the
/// record that completes a maintenance ticket, and the property manager's confirmation.
struct MaintenanceRoutes: Sendable {
    let api: APIRoutes

    static let all: [(method: String, path: String)] = [
        ("GET", "/api/v1/technicians"), ("PUT", "/api/v1/technicians/{technician_id}"),
        ("POST", "/api/v1/photos"), ("GET", "/api/v1/photos/{sha256}"),
        ("GET", "/api/v1/tickets/{id}/maintenance-record"), ("POST", "/api/v1/tickets/{id}/maintenance-record"),
        ("POST", "/api/v1/tickets/{id}/maintenance-record/confirm"), ("POST", "/api/v1/elevators/{elevator_id}/maintenance-requests"),
    ]

    var context: APIContext { api.context }
    var database: LiftDatabase { context.database }

    func register(on group: RouterGroup<LiftRequestContext>) {
        group.get("technicians", use: technicians)
        group.put("technicians/:technician_id", use: putTechnician)
        group.post("photos", use: uploadPhoto)
        group.get("photos/:sha256", use: photo)
        group.get("tickets/:id/maintenance-record", use: record)
        group.post("tickets/:id/maintenance-record", use: submit)
        group.post("tickets/:id/maintenance-record/confirm", use: confirm)
        group.post("elevators/:elevator_id/maintenance-requests", use: requestMaintenance)
    }

    /// An unscheduled visit (临时维保) asked for by an administrator or the elevator's property manager: a maintenance
    /// ticket of `level` (default `half_month`) due at the end of the day `due_in_days` (1…15, default 3) from now.
    /// One maintenance ticket is open per elevator at a time (409 otherwise); a visit done this way counts for the
    /// schedule like any other.
    func requestMaintenance(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        let elevator = try api.readableElevator(ctx)
        guard caller.role == .admin || (caller.role == .propertyManager && elevator.propertyManagerID == caller.managerID) else {
            throw api.forbidden("an administrator or the elevator's property manager asks for a visit")
        }
        struct Body: Decodable {
            var level: String?
            var dueInDays: Int?
            var reason: String?
            enum CodingKeys: String, CodingKey { case level, dueInDays = "due_in_days", reason }
        }
        let body = try await api.decode(Body.self, request, ctx, allowEmpty: true) ?? Body()
        guard let level = MaintenanceLevel(rawValue: body.level ?? "half_month") else {
            throw APIError(.badRequest, code: "invalid_field", message: "level: expected one of \(MaintenanceLevel.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let days = body.dueInDays ?? 3
        guard (1...15).contains(days) else { throw APIError(.badRequest, code: "invalid_field", message: "due_in_days: 1 to 15") }
        guard elevator.stage == LifecycleStage.inService.rawValue else {
            throw APIError(.conflict, code: "conflict", message: "\(elevator.elevatorID) is \(elevator.stage): maintenance is asked for an elevator in service")
        }
        let now = context.clock.now()
        guard try database.contractor(of: elevator.elevatorID, at: now) != nil else {
            throw APIError(.conflict, code: "conflict", message: "\(elevator.elevatorID) has no maintenance contractor")
        }
        if caller.role == .propertyManager {
            // A property manager asks for a routine visit with the contractor's usual notice, at most every 15 days:
            // it cannot manufacture urgent or overdue work against the contractor.
            guard level == .halfMonth, days >= 3 else {
                throw api.forbidden("a property manager asks for a half-monthly visit due in 3 days or more; other levels are an administrator's")
            }
            let recent = try database.tickets(TicketFilter(elevatorID: elevator.elevatorID, types: [.maintenance], openedFrom: now - 15 * 86_400_000, limit: 50))
            if try recent.contains(where: { try database.ticketSteps($0.id).first?.actor == caller.actor }) {
                throw APIError(.conflict, code: "conflict", message: "\(elevator.elevatorID): a visit was asked for in the last 15 days")
            }
        }
        let reason = String((body.reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines).prefix(200))
        guard let engine = context.engine else { throw APIError(.serviceUnavailable, code: "unavailable", message: "the ticket engine is not running") }
        let due = CivilDate(epochMs: now).adding(days: days + 1).startEpochMs - 1
        let ticket = Ticket(
            elevatorID: elevator.elevatorID, region: elevator.region, unitID: elevator.unitID,
            contractorID: try database.contractor(of: elevator.elevatorID, at: now), type: .maintenance, openedAt: now,
            deadlines: SLAPolicy.Deadlines(due: due), level: level.rawValue,
            reason: "\(level.rawValue) maintenance asked for by \(caller.actor)" + (reason.isEmpty ? "" : ": \(reason)"))
        guard let opened = try await engine.open(ticket, by: caller.actor, now: now) else {
            throw APIError(.conflict, code: "conflict", message: "\(elevator.elevatorID) has an open maintenance ticket already")
        }
        return try api.json(opened, status: .created)
    }

    // MARK: technicians

    func technicians(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        let q = try Query(request, allowed: ["contractor"])
        guard caller.role != .propertyManager else { throw api.forbidden("technicians are read by administrators, regulators and their contractor") }
        let contractor = try api.scopedContractor(q.id("contractor"), caller)
        return try api.json(Page(items: try database.technicians(contractorID: contractor), next: nil))
    }

    /// An administrator's: a contractor does not certify its own staff.
    func putTechnician(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        guard caller.mayWrite else { throw api.forbidden("only an admin records technicians and their certificates") }
        let id = try ctx.parameters.require("technician_id")
        struct Body: Decodable {
            var contractorID: String
            var name: String
            var certificateNo: String
            var certificateExpiresOn: String
            enum CodingKeys: String, CodingKey {
                case contractorID = "contractor_id", name, certificateNo = "certificate_no", certificateExpiresOn = "certificate_expires_on"
            }
        }
        let body = try await api.decode(Body.self, request, ctx)
        let record = TechnicianRecord(
            technicianID: id, contractorID: body.contractorID, name: body.name, certificateNo: body.certificateNo, certificateExpiresOn: body.certificateExpiresOn)
        try api.registry { try database.putTechnician(record, at: context.clock.now(), by: caller.actor) }
        return try api.json(record)
    }

    // MARK: photos

    /// A contractor's photo (JPEG or PNG, at most 2 MiB), stored once by its SHA-256; an admin names the contractor.
    func uploadPhoto(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        let q = try Query(request, allowed: ["contractor"])
        let contractor: String
        switch caller.role {
        case .contractor: contractor = caller.contractorID ?? ""
        case .admin:
            guard let named = try q.id("contractor") else { throw api.invalid("contractor", "an admin names the contractor the photo is for") }
            contractor = named
        case .regulator, .officer, .propertyManager: throw api.forbidden("photos of maintenance visits are uploaded by contractors")
        }
        let declared = request.headers[.contentType].map { String($0.split(separator: ";")[0]).trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard ["image/jpeg", "image/png"].contains(declared) else {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", message: "Content-Type must be image/jpeg or image/png")
        }
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: MaintenanceLimits.photoBytes) } catch {
            throw APIError(.contentTooLarge, code: "body_too_large", message: "a photo is at most \(MaintenanceLimits.photoBytes / 1_048_576) MiB")
        }
        let stored = try api.registry {
            try database.storePhoto(Array(buffer.readableBytesView), contractorID: contractor, at: context.clock.now(), by: caller.actor)
        }
        struct Answer: Encodable { var sha256: String; var size: Int }
        return try api.json(Answer(sha256: stored.sha256, size: stored.size), status: .created)
    }

    /// The photo's bytes: for administrators, the contractor that uploaded it, and whoever may read a ticket whose
    /// record names it (regulators of its place, its contractor, its elevator's property manager).
    func photo(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        let sha = try ctx.parameters.require("sha256")
        guard sha.count == 64, sha.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { throw api.invalid("sha256", "64 lowercase hex digits") }
        // Unknown and not yours answer alike: a caller cannot learn by its hash whether some photo is stored.
        let photo = try database.photo(sha)
        // The uploader; else whoever may read a ticket whose record names it (its elevator's property manager too).
        let allowed = try photo != nil && (caller.role == .admin || (caller.role == .contractor && photo!.uploaders.contains(caller.contractorID ?? ""))
            || database.photoOwners(sha).contains { caller.mayRead(place: $0.place, contractorID: $0.contractorID, managerID: $0.managerID) })
        guard let photo, allowed else { throw APIError(.notFound, code: "not_found", message: "no photo \(sha) in your scope") }
        return Response(
            status: .ok,
            headers: [.contentType: photo.mediaType, .cacheControl: "private, max-age=31536000, immutable", .init("X-Content-Type-Options")!: "nosniff"],
            body: .init(byteBuffer: ByteBuffer(bytes: photo.content)))
    }

    // MARK: records

    /// `{"ticket":{…},"record":{…}}`, `record` null before one is submitted.
    struct RecordAnswer: Encodable {
        var ticket: Ticket
        var record: MaintenanceRecord?
        enum CodingKeys: String, CodingKey { case ticket, record }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(ticket, forKey: .ticket)
            try c.encode(record, forKey: .record)
        }
    }

    func record(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let ticket = try api.readableTicket(ctx)
        return try api.json(RecordAnswer(ticket: ticket, record: try database.maintenanceRecord(ticketID: ticket.id)))
    }

    /// The technician's record: 201 when stored, 200 when the same `client_key` was stored before (a phone sending
    /// its queue again), 409 when the ticket has another record or is done.
    func submit(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        let ticket = try api.readableTicket(ctx)
        guard caller.role == .admin || caller.role == .contractor else { throw api.forbidden("maintenance records are the contractor's") }
        struct Body: Decodable {
            var clientKey: String
            var technicians: [String]
            var checkInAt: Int64
            var checkOutAt: Int64
            var lat: Double?
            var lon: Double?
            var items: [Item]
            var photos: [String]
            struct Item: Decodable {
                var no: Int
                var result: String
                var note: String?
            }
            enum CodingKeys: String, CodingKey {
                case clientKey = "client_key", technicians, checkInAt = "check_in_at", checkOutAt = "check_out_at", lat, lon, items, photos
            }
        }
        let body = try await api.decode(Body.self, request, ctx)
        guard (8...64).contains(body.clientKey.count), body.clientKey.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw APIError(.badRequest, code: "invalid_field", message: "client_key: 8 to 64 letters, digits or dashes (a UUID the phone makes for the record)")
        }
        guard body.items.count <= 500, body.technicians.count <= 10, body.photos.count <= MaintenanceLimits.photosPerRecord else {
            throw APIError(.badRequest, code: "invalid_field", message: "items, technicians or photos: too many")
        }
        var items: [ChecklistEntry] = []
        for item in body.items {
            guard let result = ChecklistResult(rawValue: item.result) else {
                throw APIError(.badRequest, code: "invalid_field", message: "items: result of item \(item.no) must be one of \(ChecklistResult.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            items.append(ChecklistEntry(no: item.no, result: result, note: item.note))
        }
        let location: VisitPolicy.Point? = switch (body.lat, body.lon) {
        case (let lat?, let lon?): VisitPolicy.Point(lat: lat, lon: lon)
        case (nil, nil): nil
        default: throw APIError(.badRequest, code: "invalid_field", message: "lat and lon: both or neither")
        }
        let level = MaintenanceLevel(rawValue: ticket.level ?? "")
        let checklist = level.flatMap { context.checklists?.items(level: $0) }
        guard let engine = context.engine else { throw APIError(.serviceUnavailable, code: "unavailable", message: "the ticket engine is not running") }
        let submission = MaintenanceSubmission(
            clientKey: body.clientKey, technicians: body.technicians, checkInAt: body.checkInAt, checkOutAt: body.checkOutAt, checkIn: location,
            items: items, photos: body.photos)
        do {
            let result = try await engine.submitMaintenanceRecord(submission, ticketID: ticket.id, checklist: checklist, as: caller, at: context.clock.now())
            return try api.json(RecordAnswer(ticket: result.ticket, record: result.record), status: result.stored ? .created : .ok)
        } catch TicketEngineError.forbidden(let reason) {
            throw api.forbidden(reason)
        } catch TicketEngineError.refused(let error) where error.kind == .invalidDetails {
            throw APIError(.badRequest, code: "invalid_field", message: error.description)
        } catch TicketEngineError.refused(let error) {
            throw APIError(.conflict, code: "invalid_transition", message: error.description)
        }
    }

    /// The property manager's confirmation (or an administrator's).
    func confirm(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try ctx.caller()
        let ticket = try api.readableTicket(ctx)
        let manager = try database.elevator(ticket.elevatorID)?.propertyManagerID
        let allowed = caller.role == .admin || (caller.role == .propertyManager && manager != nil && caller.managerID == manager)
        guard allowed else { throw api.forbidden("the elevator's property manager confirms its maintenance records") }
        let record = try api.registry { try database.confirmMaintenanceRecord(ticketID: ticket.id, at: context.clock.now(), by: caller.actor) }
        return try api.json(RecordAnswer(ticket: ticket, record: record))
    }
}
