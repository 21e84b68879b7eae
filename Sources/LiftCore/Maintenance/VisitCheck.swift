import Foundation

/// Why an electronic maintenance record (维保电子记录) looks like a visit that did not happen as recorded.
public enum VisitFlag: String, Sendable, Hashable, Codable, CaseIterable {
    /// Checked in and out faster than the level's items can be done (`VisitPolicy.minimumMinutes`).
    case tooShort = "too_short"
    /// The controller showed no sign of the visit (a `maintenance` event, or maintenance or inspection mode) between
    /// check-in and check-out.
    case noControllerEvidence = "no_controller_evidence"
    /// Checked in farther from the unit than `VisitPolicy.maximumDistanceMetres`.
    case farFromUnit = "far_from_unit"
    /// No check-in location was given, so the place cannot be checked.
    case noLocation = "no_location"
    /// One of its technicians has more visits that day than `VisitPolicy.maximumVisitsPerTechnicianDay`.
    case tooManyForTechnician = "too_many_for_technician"
    /// A photo another record names already, or one uploaded before the ticket opened: not taken on this visit.
    case photoReused = "photo_reused"
    /// Sent more than `VisitPolicy.lateSubmissionMs` (24 h) after its check-out: the times are the phone's word.
    case lateSubmission = "late_submission"
}

/// What makes a maintenance record suspect (configuration `maintenance.*`).
public struct VisitPolicy: Sendable, Hashable {
    /// The shortest believable visit per level, in minutes (half-monthly 30, quarterly 45, half-yearly 60, annual 90).
    public var minimumMinutes: [MaintenanceLevel: Int]
    public var maximumDistanceMetres: Double
    public var maximumVisitsPerTechnicianDay: Int
    /// A record sent later than this after its check-out is flagged `late_submission`.
    public var lateSubmissionMs: Int64 = 24 * 3_600_000

    public init(
        minimumMinutes: [MaintenanceLevel: Int] = [.halfMonth: 30, .quarter: 45, .halfYear: 60, .annual: 90], maximumDistanceMetres: Double = 500,
        maximumVisitsPerTechnicianDay: Int = 8
    ) {
        self.minimumMinutes = minimumMinutes
        self.maximumDistanceMetres = maximumDistanceMetres
        self.maximumVisitsPerTechnicianDay = maximumVisitsPerTechnicianDay
    }

    /// A point on the earth, in degrees.
    public struct Point: Sendable, Hashable, Codable {
        public var lat: Double
        public var lon: Double
        public init(lat: Double, lon: Double) {
            self.lat = lat
            self.lon = lon
        }

        /// Great-circle distance in metres (haversine, mean earth radius).
        public func metres(to other: Point) -> Double {
            let r = 6_371_000.0
            let dLat = (other.lat - lat) * .pi / 180
            let dLon = (other.lon - lon) * .pi / 180
            let a = sin(dLat / 2) * sin(dLat / 2) + cos(lat * .pi / 180) * cos(other.lat * .pi / 180) * sin(dLon / 2) * sin(dLon / 2)
            return 2 * r * asin(min(1, sqrt(a)))
        }
    }

    /// What the check knows about one visit.
    public struct Visit: Sendable, Hashable {
        public var level: MaintenanceLevel
        public var checkInAt: Int64
        public var checkOutAt: Int64
        public var checkIn: Point?
        public var unit: Point?
        public var controllerEvidence: Bool
        /// Per technician of the visit, their visits that day, this one included.
        public var visitsThatDay: [String: Int]
        /// Photos of the record that another record names, or that were uploaded before the ticket opened.
        public var reusedPhotos: Int = 0
        /// When the record reached LiftWatch.
        public var submittedAt: Int64? = nil

        public init(
            level: MaintenanceLevel, checkInAt: Int64, checkOutAt: Int64, checkIn: Point?, unit: Point?, controllerEvidence: Bool, visitsThatDay: [String: Int]
        ) {
            self.level = level
            self.checkInAt = checkInAt
            self.checkOutAt = checkOutAt
            self.checkIn = checkIn
            self.unit = unit
            self.controllerEvidence = controllerEvidence
            self.visitsThatDay = visitsThatDay
        }
    }

    /// The flags a visit raises, in `VisitFlag` order, each with the reason in words.
    public func flags(_ visit: Visit) -> [(flag: VisitFlag, reason: String)] {
        var found: [(VisitFlag, String)] = []
        let minutes = Double(visit.checkOutAt - visit.checkInAt) / 60_000
        let minimum = minimumMinutes[visit.level] ?? 0
        if minutes < Double(minimum) {
            found.append((.tooShort, "\(Int(minutes)) min on site; a \(visit.level.rawValue) visit takes at least \(minimum) min"))
        }
        if !visit.controllerEvidence {
            found.append((.noControllerEvidence, "the controller showed no maintenance or inspection mode between check-in and check-out"))
        }
        if let point = visit.checkIn, let unit = visit.unit {
            let distance = point.metres(to: unit)
            if distance > maximumDistanceMetres {
                found.append((.farFromUnit, "checked in \(Int(distance.rounded())) m from the unit (at most \(Int(maximumDistanceMetres)) m)"))
            }
        } else if visit.checkIn == nil {
            found.append((.noLocation, "no check-in location"))
        }
        let busy = visit.visitsThatDay.filter { $0.value > maximumVisitsPerTechnicianDay }.sorted { $0.key < $1.key }
        if !busy.isEmpty {
            let names = busy.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
            found.append((.tooManyForTechnician, "\(names): more than \(maximumVisitsPerTechnicianDay) visits that day"))
        }
        if visit.reusedPhotos > 0 {
            found.append((.photoReused, "\(visit.reusedPhotos) photo(s) named by another record or uploaded before the ticket opened"))
        }
        if let submitted = visit.submittedAt, submitted - visit.checkOutAt > lateSubmissionMs {
            found.append((.lateSubmission, "sent \((submitted - visit.checkOutAt) / 3_600_000) h after its check-out"))
        }
        return found
    }
}

/// The outcome of one checklist item in a maintenance record.
public enum ChecklistResult: String, Sendable, Hashable, Codable, CaseIterable {
    /// Checked, in order.
    case ok
    /// Checked and adjusted (cleaned, lubricated, set).
    case adjusted
    /// A part replaced.
    case replaced
    /// A fault found and left to repair (a repair ticket's work).
    case fault
    /// Does not apply to this elevator.
    case notApplicable = "not_applicable"
}

/// The electronic maintenance records of a scope and window (`GET /kpis` → `maintenance_records`; docs/kpis.md):
/// records checked in inside the window.
public struct MaintenanceRecordFigures: Sendable, Hashable, Codable {
    public var records: Int
    /// Records with at least one flag, and their share.
    public var flagged: Int
    public var shareFlagged: Double?
    /// Records raising each flag; every flag present.
    public var byFlag: [String: Int]
    /// Share confirmed by the property manager.
    public var shareConfirmed: Double?
    /// Maintenance tickets resolved in the window through `POST /tickets/{id}/actions` with no record: visits nothing
    /// proves (the spec's steps stay open to every client; this shows who skips the record).
    public var resolvedWithoutRecord: Int

    enum CodingKeys: String, CodingKey {
        case records, flagged, shareFlagged = "share_flagged", byFlag = "by_flag", shareConfirmed = "share_confirmed"
        case resolvedWithoutRecord = "resolved_without_record"
    }

    /// From each record's flags and whether it is confirmed.
    public init(_ records: [(flags: [VisitFlag], confirmed: Bool)], resolvedWithoutRecord: Int = 0) {
        self.resolvedWithoutRecord = resolvedWithoutRecord
        self.records = records.count
        flagged = records.filter { !$0.flags.isEmpty }.count
        shareFlagged = records.isEmpty ? nil : Double(flagged) / Double(records.count)
        var counts = Dictionary(uniqueKeysWithValues: VisitFlag.allCases.map { ($0.rawValue, 0) })
        for record in records { for flag in Set(record.flags) { counts[flag.rawValue, default: 0] += 1 } }
        byFlag = counts
        shareConfirmed = records.isEmpty ? nil : Double(records.filter(\.confirmed).count) / Double(records.count)
    }
}
