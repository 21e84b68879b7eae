/// Statutory periodic inspection and self-testing by commissioning date (TSG T7001-2023, spec section 5).
///
/// Periodic inspection in years 1, 4, 7, 9, 11, 13 and 15 after commissioning and every year after 15;
/// the owner's self-testing in the years between. A ticket opens `openDaysBefore` the due date.
public struct InspectionRegime: Sendable, Hashable {
    public var openDaysBefore = 30

    public init(openDaysBefore: Int = 30) { self.openDaysBefore = openDaysBefore }

    public enum Kind: String, Sendable, Hashable, Codable {
        case periodicInspection = "periodic_inspection"
        case selfTest = "self_test"
    }

    /// One anniversary's obligation.
    public struct Due: Sendable, Hashable {
        public var year: Int
        public var kind: Kind
        public var due: CivilDate
        public var opensOn: CivilDate
    }

    static let inspectionYears: Set<Int> = [1, 4, 7, 9, 11, 13, 15]

    public func kind(year: Int) -> Kind {
        Self.inspectionYears.contains(year) || year > 15 ? .periodicInspection : .selfTest
    }

    /// The obligation of year `year` after commissioning.
    public func due(year: Int, commissioned: CivilDate) -> Due {
        let date = commissioned.adding(years: year)
        return Due(year: year, kind: kind(year: year), due: date, opensOn: date.adding(days: -openDaysBefore))
    }

    /// The first obligation due on or after `today` (an inspection or a self-test): what a sign in the car shows
    /// as valid until. Nil before commissioning.
    public func next(onOrAfter today: CivilDate, commissioned: CivilDate) -> Due? {
        guard commissioned <= today else { return nil }
        var year = max(1, today.year - commissioned.year)
        while commissioned.adding(years: year) < today { year += 1 }
        return due(year: year, commissioned: commissioned)
    }

    /// The obligations whose ticket should be open on `today`: opened `openDaysBefore` ahead and not yet past
    /// by more than `graceDays` (a scheduler down for a while still catches them).
    public func open(on today: CivilDate, commissioned: CivilDate, graceDays: Int = 30) -> [Due] {
        guard commissioned < today else { return [] }
        let years = max(1, today.year - commissioned.year - 1)...(today.year - commissioned.year + 1)
        return years.map { due(year: $0, commissioned: commissioned) }
            .filter { $0.opensOn <= today && today.days(to: $0.due) >= -graceDays }
    }
}
