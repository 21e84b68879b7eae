import Foundation
import LiftCore
import LiftStore

/// What a technician's phone sends to complete a maintenance ticket (`POST /tickets/{id}/maintenance-record`).
public struct MaintenanceSubmission: Sendable, Hashable {
    /// The phone's key for this record (a UUID it made when the form was filled): sent again after a lost answer
    /// or from an offline queue, it is recognised and nothing is stored twice.
    public var clientKey: String
    public var technicians: [String]
    public var checkInAt: Int64
    public var checkOutAt: Int64
    public var checkIn: VisitPolicy.Point?
    public var items: [ChecklistEntry]
    public var photos: [String]

    public init(
        clientKey: String, technicians: [String], checkInAt: Int64, checkOutAt: Int64, checkIn: VisitPolicy.Point?, items: [ChecklistEntry], photos: [String]
    ) {
        self.clientKey = clientKey
        self.technicians = technicians
        self.checkInAt = checkInAt
        self.checkOutAt = checkOutAt
        self.checkIn = checkIn
        self.items = items
        self.photos = photos
    }
}

extension TicketEngine {
    /// Completes a maintenance ticket through its electronic record: the technicians (certified on the day), check-in
    /// and check-out, where, every item of the level's checklist, the photos. The ticket takes the steps it still
    /// needs (acknowledged and arrived at check-in, resolved at check-out) in the record's transaction; the record is
    /// checked against the elevator's own evidence and flagged where it looks false (`VisitPolicy`).
    ///
    /// - Parameter checklist: the level's items; each must have exactly one entry, numbered from 1.
    /// - Returns: the ticket and its record, and whether this call stored it (false: the same `clientKey` was stored
    ///   before, and nothing changed).
    /// - Throws: `TicketEngineError.notFound`, `.forbidden`, or `.refused` with `.invalidDetails` (a bad record) or
    ///   `.outOfOrder` (the ticket has another record or is resolved).
    public func submitMaintenanceRecord(
        _ submission: MaintenanceSubmission, ticketID: Int64, checklist: [String]?, as caller: Principal, at now: Int64
    ) async throws -> (ticket: Ticket, record: MaintenanceRecord, stored: Bool) {
        func refuse(_ message: String, _ kind: TicketActionError.Kind = .invalidDetails, status: TicketStatus = .open) -> TicketEngineError {
            .refused(TicketActionError(action: .resolve, status: status, expected: nil, message: message, kind: kind))
        }
        let (result, messages) = try database.ticketTransaction("the maintenance record of ticket \(ticketID)") { tx -> (TicketMachine.Outcome?, MaintenanceRecord) in
            guard let ticket = try tx.ticket(ticketID) else { throw TicketEngineError.notFound(ticketID) }
            if let refusal = caller.refusal(of: .resolve, on: ticket) { throw TicketEngineError.forbidden(refusal) }
            guard ticket.type == .maintenance else {
                throw refuse("a maintenance record completes a maintenance ticket; ticket \(ticketID) is a \(ticket.type.rawValue) ticket", .notApplicable, status: ticket.status)
            }
            if let existing = try tx.maintenanceRecord(ticketID: ticketID) {
                guard existing.clientKey == submission.clientKey else {
                    throw refuse("ticket \(ticketID) has its record already (submitted by \(existing.submittedBy))", .outOfOrder, status: ticket.status)
                }
                return (nil, existing)
            }
            // A record queued on a phone may arrive after someone resolved the ticket: it is still the visit's proof.
            guard ticket.status.isActive || ticket.status == .resolved else {
                throw refuse("ticket \(ticketID) is \(ticket.status.rawValue): it takes no record", .outOfOrder, status: ticket.status)
            }
            guard let contractor = ticket.contractorID else { throw refuse("ticket \(ticketID) has no contractor") }

            // Times: inside the ticket's life, not in the future (5 minutes of a phone's clock allowed), at most 12 hours.
            let s = submission
            guard s.checkInAt >= ticket.openedAt else { throw refuse("check_in_at: before the ticket opened") }
            guard s.checkOutAt > s.checkInAt else { throw refuse("check_out_at: must be after check_in_at") }
            guard s.checkOutAt <= now + 300_000 else { throw refuse("check_out_at: in the future") }
            guard s.checkOutAt - s.checkInAt <= 12 * 3_600_000 else { throw refuse("check_out_at: more than 12 hours after check_in_at") }
            if let point = s.checkIn, !((-90...90).contains(point.lat) && (-180...180).contains(point.lon)) {
                throw refuse("location: not a latitude and longitude")
            }
            // Technicians: the contractor's own, certified on the day of the visit.
            let ids = Array(Set(s.technicians)).sorted()
            guard (1...10).contains(ids.count), ids.count == s.technicians.count else { throw refuse("technicians: 1 to 10 different technician ids") }
            let known = try tx.technicians(ids)
            let day = CivilDate(epochMs: s.checkInAt)
            for id in ids {
                guard let technician = known[id], technician.contractorID == contractor else { throw refuse("technicians: \(id) is not a technician of \(contractor)") }
                guard technician.certified(on: day) else {
                    throw refuse("technicians: the certificate \(technician.certificateNo) of \(id) expired on \(technician.certificateExpiresOn)")
                }
            }
            // The checklist, item by item.
            if let checklist {
                let numbers = s.items.map(\.no)
                guard Set(numbers).count == numbers.count, Set(numbers) == Set(1...max(1, checklist.count)), numbers.count == checklist.count else {
                    throw refuse("items: one entry for each of the \(checklist.count) items of the \(ticket.level ?? "") checklist, numbered 1 to \(checklist.count)")
                }
            } else if s.items.isEmpty {
                throw refuse("items: the checklist's results are required")
            }
            if let long = s.items.first(where: { ($0.note?.count ?? 0) > MaintenanceLimits.noteLength }) {
                throw refuse("items: the note of item \(long.no) is over \(MaintenanceLimits.noteLength) characters")
            }
            // Photos: this contractor's uploads.
            guard Set(s.photos).count == s.photos.count else { throw refuse("photos: each photo once") }
            guard (1...MaintenanceLimits.photosPerRecord).contains(s.photos.count) else {
                throw refuse("photos: 1 to \(MaintenanceLimits.photosPerRecord) photos (SHA-256 of POST /api/v1/photos)")
            }
            let uploaded = try tx.uploadedPhotos(s.photos, contractorID: contractor)
            if let missing = s.photos.first(where: { !uploaded.contains($0) }) { throw refuse("photos: \(missing.prefix(64)) is not a photo \(contractor) uploaded") }

            // The checks against the elevator's own evidence.
            let level = MaintenanceLevel(rawValue: ticket.level ?? "") ?? .halfMonth
            let evidence = try database.hasMaintenanceEvidence(elevatorID: ticket.elevatorID, from: s.checkInAt, to: s.checkOutAt)
            let dayStart = day.startEpochMs
            var visits = try tx.visits(of: ids, dayStart: dayStart)
            for id in ids { visits[id, default: 0] += 1 }
            var visit = VisitPolicy.Visit(
                level: level, checkInAt: s.checkInAt, checkOutAt: s.checkOutAt, checkIn: s.checkIn, unit: try tx.unitLocation(elevatorID: ticket.elevatorID),
                controllerEvidence: evidence, visitsThatDay: visits)
            visit.reusedPhotos = try tx.reusedPhotos(s.photos, contractorID: contractor, openedAt: ticket.openedAt, ticketID: ticketID)
            visit.submittedAt = now
            let found = visitPolicy.flags(visit)

            // The steps it still needs, at the record's times.
            var current = ticket
            var effects: [TicketMachine.Effect] = []
            func step(_ action: TicketAction, at time: Int64, note: String) throws {
                let outcome: TicketMachine.Outcome
                do { outcome = try machine.apply(action, to: current, at: time, by: caller.actor) } catch { throw TicketEngineError.refused(error) }
                try tx.update(outcome.ticket, from: current, step: action.rawValue, by: caller.actor, note: note, at: time)
                for effect in outcome.effects where !effects.contains(effect) { effects.append(effect) }
                current = outcome.ticket
            }
            if current.status == .open { try step(.acknowledge, at: s.checkInAt, note: "maintenance record: check-in") }
            if current.status == .acknowledged { try step(.arrive, at: max(s.checkInAt, current.acknowledgedAt ?? 0), note: "maintenance record: check-in") }
            let summary = "maintenance record: \(s.items.count) items, \(s.photos.count) photos, \(ids.joined(separator: ", "))"
                + (found.isEmpty ? "" : "; flagged " + found.map(\.flag.rawValue).joined(separator: ", "))
            // `unverified` stays the close's decision (spec section 5); the record carries its own flag.
            if current.status == .onSite {
                try step(.resolve, at: min(now, max(s.checkOutAt, current.onSiteAt ?? 0)), note: summary)
            } else {
                try tx.update(current, from: current, step: "record", by: caller.actor, note: summary, at: now)
            }
            let record = MaintenanceRecord(
                ticketID: ticketID, clientKey: s.clientKey, contractorID: contractor, technicians: ids, checkInAt: s.checkInAt, checkOutAt: s.checkOutAt,
                lat: s.checkIn?.lat, lon: s.checkIn?.lon, items: s.items.sorted { $0.no < $1.no }, photos: s.photos, flags: found.map(\.flag),
                flagReasons: found.map(\.reason), submittedAt: now, submittedBy: caller.actor)
            try tx.insert(record)
            try tx.deliver(effects, of: current, at: now)
            return (TicketMachine.Outcome(ticket: current, effects: effects, changed: true), record)
        }
        guard let outcome = result.0 else {
            guard let ticket = try database.ticket(ticketID) else { throw TicketEngineError.notFound(ticketID) }
            return (ticket, result.1, false)
        }
        after(outcome, messages)
        return (try database.ticket(ticketID) ?? outcome.ticket, result.1, true)
    }
}
