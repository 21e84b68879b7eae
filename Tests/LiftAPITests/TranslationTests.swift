import Foundation
import Hummingbird
import HummingbirdTesting
import LiftCore
import LiftStore
import Testing
@testable import LiftAPI

/// Issue 25 item 1: every page in Chinese first, English one click away, every text from one catalogue per language.
@Suite("Pages in Chinese and English, from one catalogue per language")
struct TranslationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("both catalogues hold the same keys, none empty, with the same placeholders")
    func cataloguesMatch() throws {
        let zh = try #require(Catalogue.texts[.zh]), en = try #require(Catalogue.texts[.en])
        #expect(zh.count > 300)
        #expect(Set(zh.keys).subtracting(en.keys).isEmpty, "only in zh-CN: \(Set(zh.keys).subtracting(en.keys).sorted())")
        #expect(Set(en.keys).subtracting(zh.keys).isEmpty, "only in en: \(Set(en.keys).subtracting(zh.keys).sorted())")
        func placeholders(_ text: String) -> Set<String> {
            Set(text.matches(of: /\{([a-z_]+)\}/).map { String($0.output.1) })
        }
        for (key, text) in zh {
            #expect(!text.trimmingCharacters(in: .whitespaces).isEmpty, "zh-CN \(key) is empty")
            #expect(!(en[key] ?? "").trimmingCharacters(in: .whitespaces).isEmpty, "en \(key) is empty")
            #expect(placeholders(text) == placeholders(en[key] ?? ""), "\(key): placeholders differ")
        }
    }

    @Test("every enumerated value a page shows has a name in both languages")
    func enumerationsNamed() throws {
        var keys: [String] = []
        keys += LifecycleStage.allCases.map { "stage.\($0.rawValue)" }
        keys += (SurveyRating.allCases.map(\.rawValue) + ["unrated"]).map { "rating.\($0)" }
        keys += (Health.State.allCases.map(\.rawValue) + ["none"]).map { "health.\($0)" }
        keys += TicketType.allCases.map { "type.\($0.rawValue)" }
        keys += TicketStatus.allCases.map { "status.\($0.rawValue)" }
        keys += TicketAction.allCases.map { "action.\($0.rawValue)" }
        keys += (MaintenanceLevel.allCases.map(\.rawValue) + ["periodic_inspection", "self_test"]).map { "level.\($0)" }
        keys += FaultKey.allCases.map { "fault.\($0.rawValue)" }
        keys += FaultClass.allCases.map { "class.\($0.rawValue)" }
        keys += FaultState.allCases.map { "event_state.\($0.rawValue)" }
        keys += ServiceMode.allCases.map { "mode.\($0.rawValue)" }
        keys += TrendSignal.allCases.map { "signal.\($0.rawValue)" }
        keys += Rollups.Metric.allCases.map { "metric.\($0.name)" }
        keys += ProjectStepKind.allCases.map { "step.\($0.rawValue)" }
        keys += Health.Finding.Kind.allCases.map { "health.reason.\($0.rawValue)" }
        keys += PlaceCode.Level.allCases.map { "level.\(String(describing: $0))" }
        keys += ["acknowledge", "on_site", "resolve", "due"].map { "breach.\($0)" }
        keys += ["overdue", "repeat", "callback", "unverified"].map { "flag.\($0)" }
        for language in PageLanguage.allCases {
            let missing = keys.filter { Catalogue.texts[language]?[$0] == nil }
            #expect(missing.isEmpty, "\(language.rawValue) lacks \(missing)")
        }
    }

    @Test("every key the pages' code and scripts name is in the catalogues")
    func sourceKeysExist() throws {
        let pages = Self.root.appendingPathComponent("Sources/LiftAPI/Pages"), assets = Self.root.appendingPathComponent("Sources/LiftAPI/Assets")
        var named: Set<String> = []
        for directory in [pages, assets] {
            for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) where file.hasSuffix(".swift") || file.hasSuffix(".js") {
                let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
                // A key closed by its quote: `t('js.map.by_' + by)` builds its key, and the enumeration test covers those.
                for match in text.matches(of: /\bt(?:\.html)?\(["']([a-z_]+(?:\.[a-z_]+)+)["'][,)]/) { named.insert(String(match.output.1)) }
                // Keys handed to helpers that look them up (`figure(…, "kpi.in_service")`, `ranked("hot.…")`).
                for match in text.matches(of: /"((?:kpi|hot|dossier|progress)\.[a-z_]+)"/) where !["css", "js"].contains(match.output.1.split(separator: ".").last!) {
                    named.insert(String(match.output.1))
                }
            }
        }
        #expect(named.count > 150, "the scan found the pages' keys")
        for language in PageLanguage.allCases {
            let missing = named.filter { Catalogue.texts[language]?[$0] == nil }.sorted()
            #expect(missing.isEmpty, "\(language.rawValue) lacks \(missing)")
        }
    }

    /// The words a page shows, outside scripts and styles, tags and entities.
    static func visibleText(_ html: String) -> String {
        // Commands (`<code>`) are typed as they are, in any language.
        var text = html.replacing(/(?s)<script.*?<\/script>/, with: " ").replacing(/(?s)<style.*?<\/style>/, with: " ").replacing(/(?s)<code>.*?<\/code>/, with: " ")
        text = text.replacing(/<[^>]*>/, with: " ").replacing(/&[a-z#0-9]+;/, with: " ")
        return text
    }

    /// Latin words on a Chinese page that are neither data (ids, codes), units nor names that stay as they are.
    static func untranslated(_ html: String) -> [String] {
        let allowed = Set<String>(["LiftWatch", "English", "CSV", "SHA", "KiB", "JSON", "PDF", "Cookie", "docs", "programme", "md", "mm", "ms", "kg", "mg", "lw"])
            // The fixture's data: who recorded what (token labels, `fixture`) and a fault-code platform's name.
            .union(["admin", "regulator", "contractor", "fixture", "default", "token-"])
        return visibleText(html).matches(of: /[A-Za-z][A-Za-z'-]+/).map { String($0.output) }.filter { word in
            !allowed.contains(word) && !word.contains(where: \.isNumber) && !(word.count <= 2 && word.first!.isUppercase)
        }
    }

    func pages(_ fixture: APIFixture) -> [(String, String)] {
        [("/login", "admin"), ("/", "admin"), ("/", "regulator"), ("/elevators/E1", "admin"), ("/contractor", "contractor"),
         ("/api/v1/elevators/E1/dossier?format=html", "admin"), ("/progress?region=4301&year=2026&month=10", "regulator"), ("/lift/E1", "")]
    }

    @Test("every page in zh-CN by default: declared, no missing key, no untranslated literal; in English on request, no missing key")
    func pagesInBothLanguages() async throws {
        let fixture = try APIFixture()
        try await fixture.application.test(.router) { client in
            for (uri, who) in pages(fixture) {
                var headers = who.isEmpty ? HTTPFields() : fixture.headers(who)
                let zh = try await client.execute(uri: uri, method: .get, headers: headers) { String(buffer: $0.body) }
                #expect(zh.contains("<html lang=\"zh-CN\">"), "\(uri) does not declare zh-CN")
                #expect(!zh.contains("⟦"), "\(uri) names a key missing in zh-CN: \(zh.matches(of: /⟦[^⟧]*⟧/).map(\.output).prefix(5))")
                #expect(Self.untranslated(zh).isEmpty, "\(uri) in zh-CN shows English: \(Array(Set(Self.untranslated(zh))).sorted())")
                #expect(zh.contains(where: { ("\u{4E00}"..."\u{9FFF}").contains(String($0)) }), "\(uri) shows no Chinese")
                headers[.acceptLanguage] = "en-GB,en;q=0.9,zh;q=0.5"
                let en = try await client.execute(uri: uri, method: .get, headers: headers) { String(buffer: $0.body) }
                #expect(en.contains("<html lang=\"en\">"), "\(uri) does not declare en")
                #expect(!en.contains("⟦"), "\(uri) names a key missing in en")
            }
        }
    }

    @Test("the official terms are on the pages: 一张图, 一单元一档案, 困人率, 救援到达率, 维保按时率, 维保单位, 使用单位")
    func officialTerms() async throws {
        let fixture = try APIFixture()
        try await fixture.application.test(.router) { client in
            let overview = try await client.execute(uri: "/", method: .get, headers: fixture.headers("regulator")) { String(buffer: $0.body) }
            for term in ["一张图", "困人率", "救援到达率", "维保按时率", "维保单位"] { #expect(overview.contains(term), "the overview lacks \(term)") }
            let dossier = try await client.execute(uri: "/api/v1/elevators/E1/dossier?format=html", method: .get, headers: fixture.headers("admin")) { String(buffer: $0.body) }
            #expect(dossier.contains("一单元一档案") && dossier.contains("维保单位") && dossier.contains("北京时间"))
            let residents = try await client.execute(uri: "/lift/E1", method: .get, headers: [:]) { String(buffer: $0.body) }
            #expect(residents.contains("使用单位") && residents.contains("维保单位"))
        }
    }

    @Test("a page that cannot be shown says so as a page in the reader's language, with its status")
    func pageErrors() async throws {
        let fixture = try APIFixture()
        try await fixture.application.test(.router) { client in
            let (status, page) = try await client.execute(uri: "/progress", method: .get, headers: fixture.headers("contractor")) {
                ($0.status, String(buffer: $0.body))
            }
            #expect(status == .forbidden)
            #expect(page.contains("<html lang=\"zh-CN\">") && page.contains("无权查看此页面"))
            var english = fixture.headers("regulator-other")
            english[.acceptLanguage] = "en"
            let (missing, text) = try await client.execute(uri: "/elevators/E1", method: .get, headers: english) { ($0.status, String(buffer: $0.body)) }
            #expect(missing == .forbidden && text.contains("This page is outside your scope"))
        }
    }

    @Test("the language: a cookie set by the toggle sticks, else Accept-Language by weight, else zh-CN")
    func negotiation() async throws {
        #expect(PageLanguage.negotiate(cookie: nil, acceptLanguage: nil) == .zh)
        #expect(PageLanguage.negotiate(cookie: nil, acceptLanguage: "en-US,en;q=0.9") == .en)
        #expect(PageLanguage.negotiate(cookie: nil, acceptLanguage: "fr-FR, en;q=0.4, zh-CN;q=0.8") == .zh)
        #expect(PageLanguage.negotiate(cookie: nil, acceptLanguage: "de, fr") == .zh)
        #expect(PageLanguage.negotiate(cookie: "en", acceptLanguage: "zh-CN") == .en)
        #expect(PageLanguage.negotiate(cookie: "xx", acceptLanguage: "en") == .en)
        let fixture = try APIFixture()
        try await fixture.application.test(.router) { client in
            let (location, cookie) = try await client.execute(uri: "/lang?to=en&next=%2Felevators%2FE1", method: .get, headers: [:]) {
                ($0.headers[.location], $0.headers[.setCookie])
            }
            #expect(location == "/elevators/E1")
            #expect(cookie?.hasPrefix("lw_lang=en") == true)
            #expect(try await client.execute(uri: "/lang?to=zh-CN&next=https%3A%2F%2Fevil.example", method: .get, headers: [:]) { $0.headers[.location] } == "/")
            var headers = fixture.headers("admin")
            headers[.cookie] = "lw_lang=en"
            headers[.acceptLanguage] = "zh-CN"
            let page = try await client.execute(uri: "/elevators/E1", method: .get, headers: headers) { String(buffer: $0.body) }
            #expect(page.contains("<html lang=\"en\">") && page.contains("Elevator E1"))
            #expect(page.contains("href=\"/lang?to=zh-CN&amp;next=%2Felevators%2FE1\""), "the toggle leads back to this page in Chinese")
        }
    }
}
