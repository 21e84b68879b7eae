/// The rescue dispatch figures of a scope and window (`GET /kpis` → `rescue_dispatch`; docs/kpis.md).
///
/// Over the rescue tickets opened in the window and not cancelled. Shares are 0…1, nil with nothing to count.
public struct RescueFigures: Sendable, Hashable, Codable {
    /// One rescue ticket, as the figures read it.
    public struct Rescue: Sendable, Hashable {
        public var openedAt: Int64
        public var acknowledgedAt: Int64?
        public var resolvedAt: Int64?
        public var status: TicketStatus
        public var record: RescueRecord?
        public init(openedAt: Int64, acknowledgedAt: Int64?, resolvedAt: Int64?, status: TicketStatus, record: RescueRecord?) {
            self.openedAt = openedAt
            self.acknowledgedAt = acknowledgedAt
            self.resolvedAt = resolvedAt
            self.status = status
            self.record = record
        }
    }

    /// Rescues counted (opened in the window, not cancelled).
    public var rescues: Int
    /// 3-minute response rate: acknowledged within 180 s of opening (an unacknowledged rescue counts as not).
    public var shareAcknowledgedWithin3Minutes: Double?
    /// Mean time from opening to passengers released, over the released ones.
    public var meanSecondsToRelease: Double?
    /// Rescues by the hour of day they opened, China Standard Time (UTC+8): 24 counts, 00:00–00:59 first.
    public var byHour: [Int]
    /// Rescues by cause (`misuse`, `maintenance_quality`, `power_cut`, `equipment`, and `unclassified` while no cause
    /// is recorded); every key present.
    public var byCause: [String: Int]
    /// Share of rescues escalated past the maintainer (rescue station or fire brigade), and the counts of each level.
    public var shareEscalated: Double?
    public var escalatedToRescueStation: Int
    public var escalatedToFireBrigade: Int
    /// The property manager's answer rate: of the rescues whose property manager was called, the share answered
    /// within `managerAnswerWindowMs` (5 minutes) of the call.
    public var propertyManagerAnswerRate: Double?
    public var passengersReleased: Int
    public var injuries: Int
    /// Share of released rescues with the follow-up call recorded.
    public var shareFollowedUp: Double?

    public static let managerAnswerWindowMs: Int64 = 5 * 60_000
    public static let responseWindowMs: Int64 = 3 * 60_000
    /// China Standard Time, for hours of day.
    public static let utcOffsetMs: Int64 = 8 * 3_600_000
    public static let unclassified = "unclassified"

    enum CodingKeys: String, CodingKey {
        case rescues, shareAcknowledgedWithin3Minutes = "share_acknowledged_within_3_minutes", meanSecondsToRelease = "mean_seconds_to_release"
        case byHour = "by_hour", byCause = "by_cause", shareEscalated = "share_escalated", escalatedToRescueStation = "escalated_to_rescue_station"
        case escalatedToFireBrigade = "escalated_to_fire_brigade", propertyManagerAnswerRate = "property_manager_answer_rate"
        case passengersReleased = "passengers_released", injuries, shareFollowedUp = "share_followed_up"
    }

    public init(_ tickets: [Rescue]) {
        let counted = tickets.filter { $0.status != .cancelled }
        func share(_ part: Int, of whole: Int) -> Double? { whole > 0 ? Double(part) / Double(whole) : nil }
        rescues = counted.count
        shareAcknowledgedWithin3Minutes = share(
            // A ticket acknowledged before it became a rescue (a minor repair escalated) was taken at once.
            counted.filter { r in r.acknowledgedAt.map { max(0, $0 - r.openedAt) <= Self.responseWindowMs } ?? false }.count, of: counted.count)
        let released = counted.compactMap { r in r.resolvedAt.map { $0 - r.openedAt } }
        meanSecondsToRelease = released.isEmpty ? nil : Double(released.reduce(0, +)) / Double(released.count) / 1000
        var hours = [Int](repeating: 0, count: 24)
        for r in counted {
            let local = r.openedAt + Self.utcOffsetMs
            let ms = ((local % 86_400_000) + 86_400_000) % 86_400_000
            hours[Int(ms / 3_600_000)] += 1
        }
        byHour = hours
        var causes = Dictionary(uniqueKeysWithValues: (RescueCause.allCases.map(\.rawValue) + [Self.unclassified]).map { ($0, 0) })
        for r in counted { causes[r.record?.cause?.rawValue ?? Self.unclassified, default: 0] += 1 }
        byCause = causes
        let levels = counted.map { $0.record?.escalationLevel ?? .maintainer }
        escalatedToRescueStation = levels.filter { $0 >= .rescueStation }.count
        escalatedToFireBrigade = levels.filter { $0 == .fireBrigade }.count
        shareEscalated = share(escalatedToRescueStation, of: counted.count)
        let called = counted.compactMap { r in r.record?.managerCalledAt.map { (called: $0, answered: r.record?.managerAnsweredAt) } }
        propertyManagerAnswerRate = share(
            called.filter { c in c.answered.map { $0 - c.called <= Self.managerAnswerWindowMs } ?? false }.count, of: called.count)
        passengersReleased = counted.compactMap { $0.record?.passengersReleased }.reduce(0, +)
        injuries = counted.compactMap { $0.record?.injuries }.reduce(0, +)
        let releasedTickets = counted.filter { $0.resolvedAt != nil }
        shareFollowedUp = share(releasedTickets.filter { $0.record?.followUpAt != nil }.count, of: releasedTickets.count)
    }
}
