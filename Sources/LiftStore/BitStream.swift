/// Appends values bit by bit, most significant bit first.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    /// Free bits left in the last byte (0 when a new byte is needed).
    private var free = 0

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    mutating func write(_ value: UInt64, bits: Int) {
        precondition(bits >= 0 && bits <= 64)
        var remaining = bits
        while remaining > 0 {
            if free == 0 {
                bytes.append(0)
                free = 8
            }
            let take = min(free, remaining)
            let shifted = take == 64 ? value : (value >> UInt64(remaining - take)) & ((1 << UInt64(take)) - 1)
            bytes[bytes.count - 1] |= UInt8(truncatingIfNeeded: shifted << UInt64(free - take))
            free -= take
            remaining -= take
        }
    }

    mutating func write(bit: Bool) { write(bit ? 1 : 0, bits: 1) }
}

/// Reads what `BitWriter` wrote.
struct BitReader {
    let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    enum Failure: Error { case truncated }

    mutating func read(bits: Int) throws(Failure) -> UInt64 {
        guard position + bits <= bytes.count * 8 else { throw .truncated }
        var value: UInt64 = 0
        var remaining = bits
        while remaining > 0 {
            let byte = bytes[position >> 3]
            let offset = position & 7
            let available = 8 - offset
            let take = min(available, remaining)
            let chunk = (UInt64(byte) >> UInt64(available - take)) & ((1 << UInt64(take)) - 1)
            value = take == 64 ? chunk : (value << UInt64(take)) | chunk
            position += take
            remaining -= take
        }
        return value
    }

    mutating func readBit() throws(Failure) -> Bool { try read(bits: 1) == 1 }
}
