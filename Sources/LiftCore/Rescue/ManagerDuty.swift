/// A property manager's recurring duty (日管控、周排查、月调度), each due by the end of its period, China Standard Time.
public enum ManagerDuty: String, Sendable, Hashable, Codable, CaseIterable {
    /// 日管控: each in-service elevator checked every day.
    case dailyCheck = "daily_check"
    /// 周排查: a hazard review of all its elevators every week (Monday to Sunday).
    case weeklyReview = "weekly_review"
    /// 月调度: a safety meeting every month.
    case monthlyMeeting = "monthly_meeting"

    /// Whether the duty is per elevator (else per property manager).
    public var perElevator: Bool { self == .dailyCheck }

    static let day: Int64 = 86_400_000
    static let offset: Int64 = 8 * 3_600_000

    /// A period of a duty: its name (`2026-12-07`, `2026-12-07/w` for the week starting that Monday, `2026-12`)
    /// and its bounds in epoch ms, `[start, end)`; the duty is due by `end`.
    public struct Period: Sendable, Hashable, Codable {
        public var name: String
        public var start: Int64
        public var end: Int64
    }

    /// The period containing `time`.
    public func period(containing time: Int64) -> Period {
        let localDay = Int(floorDiv(time + Self.offset, Self.day))
        switch self {
        case .dailyCheck:
            let start = Int64(localDay) * Self.day - Self.offset
            return Period(name: Self.date(localDay).description, start: start, end: start + Self.day)
        case .weeklyReview:
            // 1970-01-01 was a Thursday: Monday is 3 days before.
            let monday = localDay - ((localDay + 3) % 7 + 7) % 7
            let start = Int64(monday) * Self.day - Self.offset
            return Period(name: Self.date(monday).description + "/w", start: start, end: start + 7 * Self.day)
        case .monthlyMeeting:
            let date = Self.date(localDay)
            let first = CivilDate(year: date.year, month: date.month, day: 1)
            let next = date.month == 12 ? CivilDate(year: date.year + 1, month: 1, day: 1) : CivilDate(year: date.year, month: date.month + 1, day: 1)
            let name = "\(date.year)-" + (date.month < 10 ? "0" : "") + "\(date.month)"
            return Period(name: name, start: first.startEpochMs, end: next.startEpochMs)
        }
    }

    /// The periods that ended inside `[from, to)`: those whose duty is overdue when not recorded.
    public func periodsEnded(from: Int64, to: Int64) -> [Period] {
        guard from < to else { return [] }
        var result: [Period] = []
        var period = self.period(containing: from)
        while period.end <= to {
            if period.end > from { result.append(period) }
            period = self.period(containing: period.end)
        }
        return result
    }

    static func date(_ localDay: Int) -> CivilDate { CivilDate(epochMs: Int64(localDay) * day - offset) }

    private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
}
