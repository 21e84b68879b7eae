import Foundation
import Hummingbird

/// A page language. zh-CN is the default; English is one click away.
public enum PageLanguage: String, Sendable, CaseIterable {
    case zh = "zh-CN"
    case en

    /// The name of the cookie that keeps the reader's choice.
    static let cookieName = "lw_lang"

    /// The reader's language: the cookie set by the toggle, else the first of `zh`/`en` in `Accept-Language` by
    /// weight, else zh-CN.
    static func negotiate(cookie: String?, acceptLanguage: String?) -> PageLanguage {
        if let cookie, let chosen = PageLanguage(rawValue: cookie) { return chosen }
        guard let acceptLanguage else { return .zh }
        var best: (PageLanguage, Double)?
        for part in acceptLanguage.split(separator: ",").prefix(32) {
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = fields.first?.lowercased() else { continue }
            let weight = fields.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            let language: PageLanguage? = tag == "zh" || tag.hasPrefix("zh-") ? .zh : tag == "en" || tag.hasPrefix("en-") ? .en : nil
            if let language, weight > 0, weight > (best?.1 ?? -1) { best = (language, weight) }
        }
        return best?.0 ?? .zh
    }

    static func of(_ request: Request) -> PageLanguage {
        negotiate(cookie: request.cookies[cookieName]?.value, acceptLanguage: request.headers[.acceptLanguage])
    }

    /// The other language, for the toggle.
    var other: PageLanguage { self == .zh ? .en : .zh }
}

/// The page catalogues: one flat JSON object per language (`Catalogue/zh-CN.json`, `Catalogue/en.json`), keys
/// shared, values with `{name}` placeholders. Every label, message and unit a page shows comes from here.
public enum Catalogue {
    static let texts: [PageLanguage: [String: String]] = [
        .zh: decode(PackageResources.zh_CN_json), .en: decode(PackageResources.en_json),
    ]

    static func decode(_ bytes: [UInt8]) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(bytes))) ?? [:]
    }
}

/// Looks texts up in one language's catalogue. A key missing from it shows as `⟦key⟧`, which the
/// missing-translation test looks for, never as the other language.
public struct Localizer: Sendable {
    public let language: PageLanguage
    /// The page's own path and query, for the language toggle's way back.
    let here: String

    public init(_ language: PageLanguage, here: String = "/") {
        self.language = language
        self.here = here
    }

    init(_ request: Request) {
        let query = request.uri.query.map { "?" + $0 } ?? ""
        self.init(PageLanguage.of(request), here: request.uri.path + query)
    }

    /// The text of `key`, with each `{name}` replaced by `args[name]` (as given: escape it first where HTML).
    public func callAsFunction(_ key: String, _ args: [String: String] = [:]) -> String {
        guard let text = Catalogue.texts[language]?[key] else { return "⟦\(key)⟧" }
        guard !args.isEmpty else { return text }
        // One pass over the catalogue's text: a value that itself holds `{name}` (an address) stays as it is.
        var out = "", rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}"), let value = args[String(rest[rest.index(after: open)..<close])] else {
                out.append("{")
                rest = rest[rest.index(after: open)...]
                continue
            }
            out += value
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    /// `callAsFunction`, HTML-escaped.
    func html(_ key: String, _ args: [String: String] = [:]) -> String { HTML.escape(self(key, args)) }

    /// The name of an enumerated value (a stage, a ticket type, a fault code…): `prefix.raw`, or the raw value
    /// itself where the catalogue has none (a platform's own fault code).
    func name(_ prefix: String, _ raw: String) -> String {
        Catalogue.texts[language]?["\(prefix).\(raw)"] ?? raw
    }

    /// What a page's scripts may show (`lw-i18n`): the texts under `js.` and the names of ratings, stages and health states.
    var scriptTexts: [String: String] {
        (Catalogue.texts[language] ?? [:]).filter { key, _ in ["js.", "rating.", "stage.", "health."].contains { key.hasPrefix($0) } }
    }
}
