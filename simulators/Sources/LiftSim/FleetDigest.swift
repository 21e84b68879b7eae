/// A running FNV-1a digest of a fleet's outputs, to show that a scenario is deterministic.
public struct FleetDigest: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    public private(set) var count = 0

    public init() {}

    public mutating func add(_ output: FleetOutput, at second: Int64) {
        for byte in Self.line(output, at: second).utf8 {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01B3
        }
        count += 1
    }

    public var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// One output as a line: `SECOND publish MEMBER TOPIC PAYLOAD`, `SECOND cut MEMBER`, `SECOND resume MEMBER`.
    public static func line(_ output: FleetOutput, at second: Int64) -> String {
        switch output {
        case .publish(let member, let message):
            let payload = message.payload.count > 400 ? "<\(message.payload.count) bytes>" : message.payloadString
            return "\(second) publish \(member) \(message.topic)\(message.retain ? " (retained)" : "") \(payload)"
        case .cut(let member): return "\(second) cut \(member)"
        case .resume(let member): return "\(second) resume \(member)"
        }
    }
}
