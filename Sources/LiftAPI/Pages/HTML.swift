import Foundation

/// Small helpers for server-rendered pages: escaping, and JSON safe to embed in a `<script>` element.
enum HTML {
    /// Escapes text for an element body or a quoted attribute.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// JSON of `value` that cannot close the surrounding `<script>` element: every `<` is written `\u003c`, which
    /// is still the same JSON (and the same JavaScript).
    static func scriptJSON(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        let json = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
        return json.replacingOccurrences(of: "<", with: "\\u003c")
    }

    /// A `<script type="application/json">` block holding `value`: data for the page's scripts, never executed.
    static func dataScript(_ id: String, _ value: some Encodable) -> String {
        "<script type=\"application/json\" id=\"\(escape(id))\">\(scriptJSON(value))</script>"
    }

    /// `dataScript` for JSON text read elsewhere (a GeoJSON file): parsed first, so only JSON goes in, and made safe
    /// to embed. Text that is not JSON becomes `null`.
    static func rawDataScript(_ id: String, _ json: String) -> String {
        let valid = (try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])) != nil
        // `<` only occurs inside JSON strings, where `\u003c` means the same.
        let body = valid ? json.replacingOccurrences(of: "<", with: "\\u003c") : "null"
        return "<script type=\"application/json\" id=\"\(escape(id))\">\(body)</script>"
    }

    /// An epoch-millisecond time as `YYYY-MM-DD HH:MM` China Standard Time.
    static func time(_ ms: Int64?) -> String {
        guard let ms else { return "—" }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
