import LiftCore

/// The figures regulators read (spec section 7) for a scope and a window. Definitions: docs/kpis.md.
public struct KPIReport: Sendable, Hashable, Codable {
    /// What the figures cover.
    public struct Scope: Sendable, Hashable, Codable {
        /// Region prefix (2, 4 or 6 digits), or nil for everything.
        public var region: String?
        /// Contractor, or nil.
        public var contractor: String?
        public var from: Int64
        public var to: Int64
        public init(region: String? = nil, contractor: String? = nil, from: Int64, to: Int64) {
            self.region = region
            self.contractor = contractor
            self.from = from
            self.to = to
        }
    }

    /// One line of a top list.
    public struct Ranked: Sendable, Hashable, Codable {
        public var id: String
        public var count: Int
    }

    public var scope: Scope
    public var now: Int64
    /// Elevators at stage `in_service`, less those out of service under an open safety repair.
    public var elevatorsInService: Int
    /// Elevators at stage `in_service` under an open (not yet resolved) safety repair: out of service until then.
    public var elevatorsOutOfServiceForSafety: Int
    /// Share of in-service elevators online now, 0…1 (nil with none in service).
    public var shareOnline: Double?
    /// Elevator-months of the window: in-service elevators × window length / 30 days.
    public var elevatorMonths: Double
    public var faults: Int
    public var faultsByClass: [String: Int]
    /// Faults per 100 elevators per month, overall and by class.
    public var faultsPer100ElevatorMonths: Double?
    public var faultsPer100ElevatorMonthsByClass: [String: Double]
    public var entrapments: Int
    /// 困人率: entrapments per 100 elevators per month.
    public var entrapmentsPer100ElevatorMonths: Double?
    public var rescueTickets: Int
    /// Rescue tickets opened in the window and cancelled (only an administrator may, with a reason).
    public var rescueTicketsCancelled: Int
    /// Means in seconds, over the rescue tickets opened in the window that reached the step.
    public var rescueMeanSecondsToAcknowledge: Double?
    public var rescueMeanSecondsToArrive: Double?
    /// Share of rescue tickets (not cancelled) on site within 30 minutes of opening.
    public var rescueShareOnSiteWithin30Minutes: Double?
    public var rescueMeanSecondsToResolve: Double?
    /// How rescues were dispatched and ended: response rate, time to release, hours, causes, escalation, the
    /// property managers' answers.
    public var rescueDispatch: RescueFigures
    /// Maintenance tickets due in the window: done by their due date / all (not cancelled).
    public var maintenanceDue: Int
    public var maintenanceOnTime: Int
    public var maintenanceOnTimeRate: Double?
    /// Tickets flagged overdue and still active now.
    public var overdueTicketsNow: Int
    /// Electronic maintenance records checked in inside the window, and those flagged as looking false.
    public var maintenanceRecords: MaintenanceRecordFigures
    /// Maintenance tickets closed in the window without evidence from the elevator.
    public var unverifiedClosures: Int
    /// Elevators with a ticket flagged repeat opened in the window.
    public var repeatFaultElevators: Int
    /// Tickets flagged callback opened in the window.
    public var callbacks: Int
    /// Statutory periodic inspections still open after their due date.
    public var inspectionsOverdue: Int
    /// The owner's self-tests (the years between inspections) still open after their due date.
    public var selfTestsOverdue: Int
    /// Trips in the window (from the cumulative counters) and faults per 10,000 of them.
    public var trips: Int
    public var faultsPer10000Trips: Double?
    public var topElevatorsByEntrapments: [Ranked]
    public var topElevatorsByFaults: [Ranked]
    public var topUnitsByEntrapments: [Ranked]
    public var topUnitsByFaults: [Ranked]
    public var topContractorsByEntrapments: [Ranked]
    public var topContractorsByFaults: [Ranked]

    /// snake_case names, numbers set apart (`faults_per_100_elevator_months`).
    enum CodingKeys: String, CodingKey {
        case scope = "scope"
        case now = "now"
        case elevatorsInService = "elevators_in_service"
        case elevatorsOutOfServiceForSafety = "elevators_out_of_service_for_safety"
        case shareOnline = "share_online"
        case elevatorMonths = "elevator_months"
        case faults = "faults"
        case faultsByClass = "faults_by_class"
        case faultsPer100ElevatorMonths = "faults_per_100_elevator_months"
        case faultsPer100ElevatorMonthsByClass = "faults_per_100_elevator_months_by_class"
        case entrapments = "entrapments"
        case entrapmentsPer100ElevatorMonths = "entrapments_per_100_elevator_months"
        case rescueTickets = "rescue_tickets"
        case rescueTicketsCancelled = "rescue_tickets_cancelled"
        case rescueMeanSecondsToAcknowledge = "rescue_mean_seconds_to_acknowledge"
        case rescueMeanSecondsToArrive = "rescue_mean_seconds_to_arrive"
        case rescueShareOnSiteWithin30Minutes = "rescue_share_on_site_within_30_minutes"
        case rescueMeanSecondsToResolve = "rescue_mean_seconds_to_resolve"
        case rescueDispatch = "rescue_dispatch"
        case maintenanceDue = "maintenance_due"
        case maintenanceOnTime = "maintenance_on_time"
        case maintenanceOnTimeRate = "maintenance_on_time_rate"
        case overdueTicketsNow = "overdue_tickets_now"
        case unverifiedClosures = "unverified_closures"
        case maintenanceRecords = "maintenance_records"
        case repeatFaultElevators = "repeat_fault_elevators"
        case callbacks = "callbacks"
        case inspectionsOverdue = "inspections_overdue"
        case selfTestsOverdue = "self_tests_overdue"
        case trips = "trips"
        case faultsPer10000Trips = "faults_per_10000_trips"
        case topElevatorsByEntrapments = "top_elevators_by_entrapments"
        case topElevatorsByFaults = "top_elevators_by_faults"
        case topUnitsByEntrapments = "top_units_by_entrapments"
        case topUnitsByFaults = "top_units_by_faults"
        case topContractorsByEntrapments = "top_contractors_by_entrapments"
        case topContractorsByFaults = "top_contractors_by_faults"
    }
}
