import Foundation

/// A platform's numbering of the fault taxonomy: which number means which key.
///
/// The default numbering is the one of spec section 4. Other platforms' maps are JSON files in
/// `config/fault-codes/` of the form `{"platform": "name", "codes": {"1": "overtravel_top", …}}`.
public struct FaultCodeMap: Sendable, Hashable {
    public var platform: String
    public var keysByNumber: [Int: FaultKey]

    public init(platform: String, keysByNumber: [Int: FaultKey]) {
        self.platform = platform
        self.keysByNumber = keysByNumber
    }

    /// The numbering of spec section 4 (1 = `overtravel_top` … 22 = `battery_low`).
    public static let standard = FaultCodeMap(
        platform: "default",
        keysByNumber: Dictionary(uniqueKeysWithValues: FaultKey.allCases.map { ($0.standardNumber, $0) }))

    /// Resolves a fault code as received: a taxonomy key, or a number of this platform (as a JSON number or
    /// a string of digits). Nil when it is neither.
    public func resolve(_ code: JSONScalar) -> FaultKey? {
        switch code {
        case .string(let text):
            if let key = FaultKey(rawValue: text) { return key }
            if let number = Int(text) { return keysByNumber[number] }
            return nil
        case .integer(let number):
            return keysByNumber[Int(number)]
        default:
            return nil
        }
    }

    /// The number this platform gives a key, if any.
    public func number(of key: FaultKey) -> Int? {
        keysByNumber.first { $0.value == key }?.key
    }

    private struct File: Decodable {
        var platform: String
        var codes: [String: String]
    }

    /// Reads a map file.
    /// - Throws: `FaultCodeMapError` naming the file and the bad entry.
    public init(contentsOf url: URL) throws {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
        } catch {
            throw FaultCodeMapError(file: url.path, message: "not a fault-code map: \(error)")
        }
        var keys: [Int: FaultKey] = [:]
        for (numberText, keyText) in file.codes {
            guard let number = Int(numberText) else {
                throw FaultCodeMapError(file: url.path, message: "code \"\(numberText)\" is not a number")
            }
            guard let key = FaultKey(rawValue: keyText) else {
                throw FaultCodeMapError(file: url.path, message: "code \(number) names unknown fault key \"\(keyText)\"")
            }
            keys[number] = key
        }
        self.init(platform: file.platform, keysByNumber: keys)
    }

    /// Reads every `*.json` map in a directory, keyed by platform name; the standard map is always present.
    public static func loadDirectory(_ path: String) throws -> [String: FaultCodeMap] {
        var maps = ["default": FaultCodeMap.standard]
        let url = URL(fileURLWithPath: path)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for name in files.sorted() where name.hasSuffix(".json") {
            let map = try FaultCodeMap(contentsOf: url.appendingPathComponent(name))
            maps[map.platform] = map
        }
        return maps
    }
}

/// A fault-code map file that cannot be used.
public struct FaultCodeMapError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var message: String
    public var description: String { "\(file): \(message)" }
}
