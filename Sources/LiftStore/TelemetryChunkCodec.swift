import LiftCore

/// A stored telemetry sample with its arrival time: what a compressed chunk holds.
public struct StoredSample: Sendable, Hashable {
    public var sample: TelemetrySample
    public var receivedAt: Int64

    public init(sample: TelemetrySample, receivedAt: Int64) {
        self.sample = sample
        self.receivedAt = receivedAt
    }
}

/// Compresses one elevator's samples of one period into a chunk, and back, bit-exact.
///
/// The encodings of Facebook's Gorilla paper (as Prometheus uses them): integers (`seq`, `ts`, arrival time)
/// as delta-of-delta with variable-length buckets, so a steady cadence costs one bit; every metric as the XOR
/// of its IEEE 754 bits with the previous value's, so an unchanged value costs one bit and a slowly changing
/// one its few meaningful bits. Enumerations and booleans become small numbers and go the same way. Each
/// column carries a presence mode (all present, all absent, or a bitmap), since every field but `seq` and
/// `ts` is optional.
public enum TelemetryChunkCodec {
    static let formatVersion: UInt64 = 1

    /// Encodes samples, which should be in `ts` order (any order round-trips; sorted compresses best).
    public static func encode(_ rows: [StoredSample]) -> [UInt8] {
        var writer = BitWriter(capacity: rows.count * 8 + 16)
        writer.write(formatVersion, bits: 8)
        writer.write(UInt64(rows.count), bits: 32)
        guard !rows.isEmpty else { return writer.bytes }
        writeIntegers(rows.map { Int64(bitPattern: $0.sample.seq) }, into: &writer)
        writeIntegers(rows.map(\.sample.ts), into: &writer)
        writeIntegers(rows.map { $0.receivedAt &- $0.sample.ts }, into: &writer)
        for column in Column.allCases {
            writeDoubles(rows.map { column.value(of: $0.sample) }, into: &writer)
        }
        return writer.bytes
    }

    /// Decodes a chunk made by `encode`.
    /// - Throws: `StoreError` when the bytes are not a chunk of a known format.
    public static func decode(_ bytes: [UInt8]) throws -> [StoredSample] {
        var reader = BitReader(bytes)
        guard let version = bytes.first, UInt64(version) == formatVersion else {
            throw StoreError(operation: "decode telemetry chunk", message: "unknown chunk format \(bytes.first.map(String.init) ?? "(empty)")")
        }
        do throws(BitReader.Failure) {
            _ = try reader.read(bits: 8)
            let count = Int(try reader.read(bits: 32))
            guard count > 0 else { return [] }
            let seqs = try readIntegers(count, from: &reader)
            let times = try readIntegers(count, from: &reader)
            let delays = try readIntegers(count, from: &reader)
            var rows = (0..<count).map { index in
                StoredSample(
                    sample: TelemetrySample(seq: UInt64(bitPattern: seqs[index]), ts: times[index]),
                    receivedAt: times[index] &+ delays[index])
            }
            for column in Column.allCases {
                let values = try readDoubles(count, from: &reader)
                for index in 0..<count { column.set(values[index], in: &rows[index].sample) }
            }
            return rows
        } catch {
            throw StoreError(operation: "decode telemetry chunk", message: "chunk is truncated")
        }
    }

    // MARK: Integers: delta-of-delta

    private static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }
    private static func unzigzag(_ value: UInt64) -> Int64 { Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1) }

    /// `secondOrder`: delta-of-delta (regular cadences: timestamps, counters); otherwise plain deltas (sensor
    /// values that wander).
    private static func writeIntegers(_ values: [Int64], secondOrder: Bool = true, into writer: inout BitWriter) {
        writer.write(UInt64(bitPattern: values[0]), bits: 64)
        var previous = values[0]
        var previousDelta: Int64 = 0
        for value in values.dropFirst() {
            let delta = value &- previous
            let z = zigzag(secondOrder ? delta &- previousDelta : delta)
            switch z {
            case 0: writer.write(0b0, bits: 1)
            case ..<(1 << 7): writer.write(0b10, bits: 2); writer.write(z, bits: 7)
            case ..<(1 << 9): writer.write(0b110, bits: 3); writer.write(z, bits: 9)
            case ..<(1 << 12): writer.write(0b1110, bits: 4); writer.write(z, bits: 12)
            case ..<(1 << 32): writer.write(0b11110, bits: 5); writer.write(z, bits: 32)
            default: writer.write(0b11111, bits: 5); writer.write(z, bits: 64)
            }
            previous = value
            previousDelta = delta
        }
    }

    private static func readIntegers(_ count: Int, secondOrder: Bool = true, from reader: inout BitReader) throws(BitReader.Failure) -> [Int64] {
        var values = [Int64(bitPattern: try reader.read(bits: 64))]
        values.reserveCapacity(count)
        var previousDelta: Int64 = 0
        while values.count < count {
            var width = 0
            var ones = 0
            while ones < 5, try reader.readBit() { ones += 1 }
            switch ones {
            case 0: width = 0
            case 1: width = 7
            case 2: width = 9
            case 3: width = 12
            case 4: width = 32
            default: width = 64
            }
            let difference = width == 0 ? 0 : unzigzag(try reader.read(bits: width))
            let delta = secondOrder ? previousDelta &+ difference : difference
            values.append(values[values.count - 1] &+ delta)
            previousDelta = delta
        }
        return values
    }

    // MARK: Doubles: XOR, with presence

    static func writeDoubles(_ values: [Double?], into writer: inout BitWriter) {
        let present = values.compactMap { $0 }
        if present.count == values.count {
            writer.write(0, bits: 2)
        } else if present.isEmpty {
            writer.write(1, bits: 2)
            return
        } else {
            writer.write(2, bits: 2)
            for value in values { writer.write(bit: value != nil) }
        }
        // Sensors report with a fixed resolution (0.1 °C, 0.01 m/s): such a column is stored as scaled
        // integers when every value comes back bit-exact from them, else as Gorilla XOR.
        if let (exponent, integers) = decimal(present) {
            writer.write(1, bits: 1)
            writer.write(UInt64(exponent), bits: 2)
            writeIntegers(integers, secondOrder: false, into: &writer)
            return
        }
        writer.write(0, bits: 1)
        var previous = present[0].bitPattern
        writer.write(previous, bits: 64)
        var leading = 64
        var trailing = 64
        for value in present.dropFirst() {
            let bits = value.bitPattern
            let xor = bits ^ previous
            previous = bits
            if xor == 0 {
                writer.write(bit: false)
                continue
            }
            writer.write(bit: true)
            let newLeading = min(xor.leadingZeroBitCount, 31)
            let newTrailing = xor.trailingZeroBitCount
            if leading != 64, newLeading >= leading, newTrailing >= trailing {
                writer.write(bit: false)
                writer.write(xor >> UInt64(trailing), bits: 64 - leading - trailing)
            } else {
                leading = newLeading
                trailing = newTrailing
                let meaningful = 64 - leading - trailing
                writer.write(bit: true)
                writer.write(UInt64(leading), bits: 5)
                writer.write(UInt64(meaningful & 63), bits: 6)  // 64 is written as 0
                writer.write(xor >> UInt64(trailing), bits: meaningful)
            }
        }
    }

    static func readDoubles(_ count: Int, from reader: inout BitReader) throws(BitReader.Failure) -> [Double?] {
        let mode = try reader.read(bits: 2)
        if mode == 1 { return Array(repeating: nil, count: count) }
        var presence = Array(repeating: true, count: count)
        if mode == 2 {
            for index in 0..<count { presence[index] = try reader.readBit() }
        }
        let presentCount = presence.filter { $0 }.count
        if try reader.readBit() {
            let scale = scales[Int(try reader.read(bits: 2))]
            let integers = try readIntegers(presentCount, secondOrder: false, from: &reader)
            var iterator = integers.makeIterator()
            return presence.map { $0 ? Double(iterator.next()!) / scale : nil }
        }
        var present: [Double] = []
        present.reserveCapacity(presentCount)
        var previous = try reader.read(bits: 64)
        present.append(Double(bitPattern: previous))
        var leading = 0
        var trailing = 0
        while present.count < presentCount {
            if try reader.readBit() {
                if try reader.readBit() {
                    leading = Int(try reader.read(bits: 5))
                    var meaningful = Int(try reader.read(bits: 6))
                    if meaningful == 0 { meaningful = 64 }
                    trailing = 64 - leading - meaningful
                }
                let meaningful = 64 - leading - trailing
                previous ^= try reader.read(bits: meaningful) << UInt64(trailing)
            }
            present.append(Double(bitPattern: previous))
        }
        var iterator = present.makeIterator()
        return presence.map { $0 ? iterator.next() : nil }
    }

    static let scales: [Double] = [1, 10, 100, 1_000]

    /// The smallest decimal exponent (0…3) at which every value is an integer `n` with `Double(n) / 10^e`
    /// giving back the very same bits; nil when there is none.
    private static func decimal(_ values: [Double]) -> (Int, [Int64])? {
        exponents: for exponent in 0..<scales.count {
            let scale = scales[exponent]
            var integers: [Int64] = []
            integers.reserveCapacity(values.count)
            for value in values {
                let scaled = (value * scale).rounded()
                guard abs(scaled) < 1e15, (Double(Int64(scaled)) / scale).bitPattern == value.bitPattern else { continue exponents }
                integers.append(Int64(scaled))
            }
            return (exponent, integers)
        }
        return nil
    }

    /// The metric columns of a sample, each as a Double.
    enum Column: CaseIterable {
        case floor, direction, speed, loadKg, door, mode, occupied, motorTempC, cabinTempC, vibrationMg, levelErrorMm, doorCloseMs, power

        func value(of sample: TelemetrySample) -> Double? {
            switch self {
            case .floor: sample.floor.map(Double.init)
            case .direction: sample.direction.map { Double(Direction.allCases.firstIndex(of: $0)!) }
            case .speed: sample.speed
            case .loadKg: sample.loadKg
            case .door: sample.door.map { Double(DoorState.allCases.firstIndex(of: $0)!) }
            case .mode: sample.mode.map { Double(ServiceMode.allCases.firstIndex(of: $0)!) }
            case .occupied: sample.occupied.map { $0 ? 1 : 0 }
            case .motorTempC: sample.motorTempC
            case .cabinTempC: sample.cabinTempC
            case .vibrationMg: sample.vibrationMg
            case .levelErrorMm: sample.levelErrorMm
            case .doorCloseMs: sample.doorCloseMs
            case .power: sample.power.map { Double(PowerSource.allCases.firstIndex(of: $0)!) }
            }
        }

        func set(_ value: Double?, in sample: inout TelemetrySample) {
            guard let value else { return }
            switch self {
            case .floor: sample.floor = Int(value)
            case .direction: sample.direction = Direction.allCases[Int(value)]
            case .speed: sample.speed = value
            case .loadKg: sample.loadKg = value
            case .door: sample.door = DoorState.allCases[Int(value)]
            case .mode: sample.mode = ServiceMode.allCases[Int(value)]
            case .occupied: sample.occupied = value != 0
            case .motorTempC: sample.motorTempC = value
            case .cabinTempC: sample.cabinTempC = value
            case .vibrationMg: sample.vibrationMg = value
            case .levelErrorMm: sample.levelErrorMm = value
            case .doorCloseMs: sample.doorCloseMs = value
            case .power: sample.power = PowerSource.allCases[Int(value)]
            }
        }
    }
}
