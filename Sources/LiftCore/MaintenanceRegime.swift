/// When the next maintenance visit is due and of which level (spec section 5, TSG T5002). Pure.
///
/// Half-monthly: 15 days after the last completed visit; with none on record, 15 days after the later of
/// commissioning and registration. A visit is `quarter` when, by its due date, the last visit of level
/// `quarter` or higher (or the start, with none) is 3 months old or more; likewise `half_year` at 6 and
/// `annual` at 12. An elevator approved for on-demand maintenance stretches the interval to its approved
/// maximum while it is online, healthy and without a safety fault for 30 days; otherwise 15 days. The first visit
/// (none on record) is at 15 days for every elevator, on-demand or not: an interval is stretched only after a visit
/// has shown the elevator's condition.
public struct MaintenanceRegime: Sendable, Hashable {
    /// The statutory interval.
    public var intervalDays = 15
    /// A maintenance ticket opens this many days before its due date.
    public var openDaysBefore = 3
    /// The approved maximum for on-demand elevators that name none.
    public var defaultOnDemandMaximumDays = 30

    public init(intervalDays: Int = 15, openDaysBefore: Int = 3, defaultOnDemandMaximumDays: Int = 30) {
        self.intervalDays = intervalDays
        self.openDaysBefore = openDaysBefore
        self.defaultOnDemandMaximumDays = defaultOnDemandMaximumDays
    }

    /// A completed visit.
    public struct Visit: Sendable, Hashable {
        public var date: CivilDate
        public var level: MaintenanceLevel
        public init(date: CivilDate, level: MaintenanceLevel) {
            self.date = date
            self.level = level
        }
    }

    /// Whether an on-demand elevator may stretch its interval now, and if not, why.
    public struct OnDemandConditions: Sendable, Hashable {
        public var approved: Bool
        public var maximumDays: Int?
        /// Conditions that fail now (`offline`, `not healthy: …`, `safety fault on …`); empty when all hold.
        public var failing: [String]
        public init(approved: Bool, maximumDays: Int? = nil, failing: [String] = []) {
            self.approved = approved
            self.maximumDays = maximumDays
            self.failing = failing
        }
        public static let notApproved = OnDemandConditions(approved: false)
    }

    /// The next visit: when, which level, the interval used and why.
    public struct NextVisit: Sendable, Hashable {
        public var due: CivilDate
        public var level: MaintenanceLevel
        public var intervalDays: Int
        public var reason: String
        /// The day the ticket opens.
        public var opensOn: CivilDate
    }

    /// - Parameters:
    ///   - start: the later of commissioning and registration.
    ///   - visits: completed visits, any order.
    ///   - today: the scheduler's today; a drop back from a stretched interval is never due before it.
    public func next(start: CivilDate, visits: [Visit], onDemand: OnDemandConditions, today: CivilDate) -> NextVisit {
        let last = visits.max { $0.date < $1.date }
        var interval = intervalDays
        var why: String
        let base = last?.date ?? start
        let from = last.map { "the visit of \($0.date)" } ?? "the start of service on \(start)"
        if onDemand.approved && last == nil {
            why = "first visit: \(intervalDays) days after \(from) (on-demand intervals apply from the first visit on)"
        } else if onDemand.approved {
            let maximum = onDemand.maximumDays ?? defaultOnDemandMaximumDays
            if onDemand.failing.isEmpty {
                interval = max(intervalDays, maximum)
                why = "on-demand maintenance: \(interval) days after \(from) (online, healthy, no safety fault in 30 days)"
            } else {
                why = "on-demand approved but back to \(intervalDays) days after \(from): \(onDemand.failing.joined(separator: "; "))"
            }
        } else {
            why = "half-monthly: \(intervalDays) days after \(from)"
        }
        var due = base.adding(days: interval)
        if onDemand.approved && !onDemand.failing.isEmpty && due < today && last != nil {
            // Dropping back must not make a visit overdue the moment a condition fails.
            due = today
            why += " (due today: the stretched interval no longer applies)"
        }
        let level = self.level(due: due, start: start, visits: visits)
        if level != .halfMonth { why += "; \(level.rawValue) level: the last \(level.rawValue) or higher visit is \(level.months)+ months old" }
        return NextVisit(due: due, level: level, intervalDays: interval, reason: why, opensOn: due.adding(days: -openDaysBefore))
    }

    /// The level of a visit due on `due`.
    public func level(due: CivilDate, start: CivilDate, visits: [Visit]) -> MaintenanceLevel {
        for level in [MaintenanceLevel.annual, .halfYear, .quarter] {
            let reference = visits.filter { $0.level >= level && $0.date <= due }.map(\.date).max() ?? start
            if reference.adding(months: level.months) <= due { return level }
        }
        return .halfMonth
    }
}
