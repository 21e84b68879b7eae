import Foundation
import LiftCore

/// The frame every page shares: header with navigation, the caller and the language toggle, styles, and scripts.
enum Layout {
    static func page(title: String, caller: Principal?, t: Localizer, head: String = "", body: String) -> String {
        var links: [String] = []
        if let caller {
            switch caller.role {
            case .contractor: links.append("<a href=\"/contractor\">\(t.html("nav.tickets"))</a>")
            case .propertyManager: links.append("<a href=\"/manager\">\(t.html("nav.manager"))</a>")
            case .admin, .regulator, .officer:
                links += ["<a href=\"/\">\(t.html("nav.overview"))</a>", "<a href=\"/progress\">\(t.html("nav.progress"))</a>"]
            }
            links.append("<span class=\"who\">\(HTML.escape(caller.actor))</span>")
            links.append("<a href=\"/logout\">\(t.html("nav.logout"))</a>")
        }
        let back = t.here.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"
        links.append("<a class=\"lang\" href=\"/lang?to=\(t.language.other.rawValue)&amp;next=\(back)\" lang=\"\(t.language.other.rawValue)\">\(t.html("nav.other_language"))</a>")
        return """
            <!doctype html>
            <html lang="\(t.language.rawValue)"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title)) · \(t.html("app.name"))</title>
            <link rel="stylesheet" href="/assets/app/liftwatch.css">
            \(head)
            </head><body>
            <header><h1>\(t.html("app.title"))</h1><nav>\(links.joined(separator: " "))</nav></header>
            <main>
            \(body)
            </main>
            \(HTML.dataScript("lw-i18n", t.scriptTexts))
            </body></html>
            """
    }

    static func state(_ state: Health.State, _ t: Localizer) -> String {
        "<span class=\"state \(state.rawValue)\">\(HTML.escape(t.name("health", state.rawValue)))</span>"
    }

    static func number(_ value: Double?, digits: Int = 2, suffix: String = "") -> String {
        guard let value else { return "—" }
        return String(format: "%.\(digits)f", value) + suffix
    }

    static func minutes(_ seconds: Double?, _ t: Localizer) -> String {
        guard let seconds else { return "—" }
        return t("unit.minutes", ["n": String(format: "%.1f", seconds / 60)])
    }

    /// A ticket's flags (overdue, repeat, callback, unverified), named in the page's language.
    static func flags(_ ticket: Ticket, _ t: Localizer) -> String {
        [ticket.overdue ? "overdue" : nil, ticket.repeat ? "repeat" : nil, ticket.callback ? "callback" : nil, ticket.unverified ? "unverified" : nil]
            .compactMap { $0.map { t.name("flag", $0) } }.joined(separator: t("list.separator"))
    }

    /// A ticket's type with its level or fault, named in the page's language.
    static func ticketType(_ ticket: Ticket, _ t: Localizer) -> String {
        var text = t.name("type", ticket.type.rawValue)
        if let level = ticket.level { text += " · " + t.name("level", level) }
        if let fault = ticket.fault { text += " · " + t.name("fault", fault.rawValue) }
        if let signal = ticket.signal { text += " · " + t.name("signal", signal) }
        return text
    }
}

/// The login form: a token, entered once, kept in an HttpOnly cookie.
enum LoginPage {
    static func render(failed: Bool, next: String, t: Localizer) -> String {
        Layout.page(title: t("login.title"), caller: nil, t: t, body: """
            <div class="card login">
            <h2>\(t.html("login.title"))</h2>
            <p>\(t("login.explain"))</p>
            \(failed ? "<p class=\"late\">\(t.html("login.failed"))</p>" : "")
            <form method="post" action="/login">
            <input type="hidden" name="next" value="\(HTML.escape(next))">
            <p><input name="token" type="password" autocomplete="off" placeholder="lw_…" required aria-label="\(t.html("login.token"))"></p>
            <p><button type="submit">\(t.html("login.submit"))</button></p>
            </form></div>
            """)
    }
}
