import CSV
import Foundation
import LiftCore

/// CSV files of the programme: annual targets (`year,place,approvals,construction_starts,completions`; a column may
/// be left empty) and place names (`code,name`). A bad row refuses the whole file, naming its line: targets are
/// few and are set together.
public enum ProgrammeCSV {
    public static let targetColumns = ["year", "place", "approvals", "construction_starts", "completions"]
    public static let nameColumns = ["code", "name"]

    static func rows(_ text: String, columns: [String]) throws -> [(line: Int, field: (String) -> String)] {
        let reader: CSVReader
        do { reader = try CSVReader(string: text, hasHeaderRow: true) } catch { throw RegistryError(.invalid, "not a CSV file: \(error)") }
        let header = (reader.headerRow ?? []).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let missing = columns.filter { !header.contains($0) }
        guard missing.isEmpty else { throw RegistryError(.invalid, "line 1: the header lacks \(missing.joined(separator: ", ")); expected \(columns.joined(separator: ","))") }
        let index = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var rows: [(Int, (String) -> String)] = []
        var line = 1
        while let row = reader.next() {
            line += 1
            if row.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            guard row.count == header.count else { throw RegistryError(.invalid, "line \(line): \(row.count) fields where the header has \(header.count)") }
            rows.append((line, { name in row[index[name]!].trimmingCharacters(in: .whitespaces) }))
        }
        if let error = reader.error { throw RegistryError(.invalid, "line \(line): unreadable CSV: \(error)") }
        return rows
    }

    /// Reads targets.
    public static func targets(_ text: String) throws -> [Programme.Target] {
        try rows(text, columns: targetColumns).map { line, field in
            func number(_ name: String) throws -> Int? {
                let value = field(name)
                if value.isEmpty { return nil }
                guard let n = Int(value) else { throw RegistryError(.invalid, "line \(line): \(name) \"\(value)\" is not a whole number") }
                return n
            }
            guard let year = try number("year") else { throw RegistryError(.invalid, "line \(line): year is required") }
            return Programme.Target(
                year: year, place: field("place"), approvals: try number("approvals"), constructionStarts: try number("construction_starts"),
                completions: try number("completions"))
        }
    }

    /// Reads place names.
    public static func names(_ text: String) throws -> [(code: String, name: String)] {
        try rows(text, columns: nameColumns).map { _, field in (field("code"), field("name")) }
    }
}
