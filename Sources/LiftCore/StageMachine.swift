import Foundation

/// The lifecycle state machine: which stage moves are allowed, and what a move records.
///
/// Pure: it decides and returns the change to record; the registry stores it. A refused move names the
/// moves that are allowed from where the elevator is. An administrator may force any move with a reason.
public struct StageMachine: Sendable {
    public init() {}

    /// The stages one ordinary move can reach from `stage`.
    public func allowedMoves(from stage: LifecycleStage) -> [LifecycleStage] {
        switch stage {
        case .surveyed: [.approved]
        case .approved: [.underConstruction]
        case .underConstruction: [.accepted]
        case .accepted: [.registered]
        case .registered: [.inService]
        case .inService: [.suspended, .decommissioned]
        case .suspended: [.inService, .decommissioned]
        case .decommissioned: []
        }
    }

    /// Checks a move and returns the steps to record.
    ///
    /// - Parameters:
    ///   - throughPath: accept a jump forward along the path (`approved` → `in_service`), recording each step
    ///     passed through; used by imports that catch up with records kept elsewhere.
    ///   - forcedReason: an administrator's reason; any move to a different stage is then allowed and marked forced.
    /// - Returns: the moves in order (one, or several along the path); empty when `to` is the current stage.
    public func move(
        from: LifecycleStage, to: LifecycleStage, throughPath: Bool = false, forcedReason: String? = nil
    ) throws(StageMoveError) -> [StageMove] {
        if from == to { return [] }
        if let reason = forcedReason {
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw StageMoveError(from: from, to: to, allowed: allowedMoves(from: from), message: "a forced move needs a reason")
            }
            return [StageMove(from: from, to: to, forced: true, reason: reason)]
        }
        if allowedMoves(from: from).contains(to) { return [StageMove(from: from, to: to, forced: false, reason: nil)] }
        if throughPath, let path = forwardPath(from: from, to: to) {
            return zip([from] + path.dropLast(), path).map { StageMove(from: $0, to: $1, forced: false, reason: nil) }
        }
        throw StageMoveError(from: from, to: to, allowed: allowedMoves(from: from), message: nil)
    }

    /// The stages passed through going forward from `from` to `to` (excluding `from`), or nil when `to` is
    /// not ahead on the main path.
    func forwardPath(from: LifecycleStage, to: LifecycleStage) -> [LifecycleStage]? {
        var path: [LifecycleStage] = []
        var current = from
        while current != to {
            // The main path goes on by the first allowed move; suspension is not on the way anywhere.
            guard let next = allowedMoves(from: current).first(where: { $0 != .suspended }) else { return nil }
            path.append(next)
            current = next
        }
        return path
    }
}

/// One recorded stage change.
public struct StageMove: Sendable, Hashable, Codable {
    public var from: LifecycleStage
    public var to: LifecycleStage
    public var forced: Bool
    public var reason: String?

    public init(from: LifecycleStage, to: LifecycleStage, forced: Bool, reason: String?) {
        self.from = from
        self.to = to
        self.forced = forced
        self.reason = reason
    }
}

/// A stage move the lifecycle does not allow.
public struct StageMoveError: Error, Sendable, Hashable, CustomStringConvertible {
    public var from: LifecycleStage
    public var to: LifecycleStage
    public var allowed: [LifecycleStage]
    var message: String?

    public var description: String {
        if let message { return "stage \(from.rawValue) → \(to.rawValue): \(message)" }
        let next = allowed.isEmpty ? "none (final stage)" : allowed.map(\.rawValue).joined(separator: " or ")
        return "stage \(from.rawValue) → \(to.rawValue) is not allowed; from \(from.rawValue) the next stage is \(next) (an administrator may force a move with a reason)"
    }
}
