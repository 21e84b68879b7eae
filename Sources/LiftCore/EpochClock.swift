import Foundation

/// Wall-clock time as the contract counts it: epoch milliseconds, UTC.
///
/// Policy code takes one of these instead of reading the system clock, so tests set and advance time.
public struct EpochClock: Sendable {
    private let read: @Sendable () -> Int64

    public init(_ read: @escaping @Sendable () -> Int64) {
        self.read = read
    }

    /// Milliseconds since the Unix epoch, now.
    public func now() -> Int64 { read() }

    /// The system clock.
    public static let system = EpochClock { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// A clock that a test sets and advances.
    public static func manual(_ clock: ManualEpochClock) -> EpochClock {
        EpochClock { clock.now }
    }
}

/// A settable clock for tests and simulations.
public final class ManualEpochClock: @unchecked Sendable {
    // @unchecked: `value` is guarded by `lock`.
    private let lock = NSLock()
    private var value: Int64

    public init(_ start: Int64) { value = start }

    public var now: Int64 {
        lock.withLock { value }
    }

    public func set(_ time: Int64) { lock.withLock { value = time } }

    public func advance(byMilliseconds delta: Int64) { lock.withLock { value += delta } }

    /// An `EpochClock` reading this one.
    public var clock: EpochClock { .manual(self) }
}
