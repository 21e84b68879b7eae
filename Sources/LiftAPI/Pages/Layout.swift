import LiftCore

/// The frame every page shares: header with navigation and the caller, styles, and scripts.
enum Layout {
    static func page(title: String, caller: Principal?, head: String = "", body: String) -> String {
        let nav: String
        if let caller {
            var links = caller.role == .contractor
                ? ["<a href=\"/contractor\">My tickets</a>"] : ["<a href=\"/\">Overview</a>", "<a href=\"/progress\">加装进度 Progress</a>"]
            links.append("<span class=\"who\">\(HTML.escape(caller.actor))</span>")
            links.append("<a href=\"/logout\">Log out</a>")
            nav = links.joined(separator: " ")
        } else {
            nav = ""
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title)) · LiftWatch</title>
            <link rel="stylesheet" href="/assets/app/liftwatch.css">
            \(head)
            </head><body>
            <header><h1>LiftWatch · 加装电梯监管</h1><nav>\(nav)</nav></header>
            <main>
            \(body)
            </main></body></html>
            """
    }

    static func state(_ state: Health.State) -> String {
        "<span class=\"state \(state.rawValue)\">\(state.rawValue.replacingOccurrences(of: "_", with: " "))</span>"
    }

    static func number(_ value: Double?, digits: Int = 2, suffix: String = "") -> String {
        guard let value else { return "—" }
        return String(format: "%.\(digits)f", value) + suffix
    }

    static func minutes(_ seconds: Double?) -> String {
        guard let seconds else { return "—" }
        return String(format: "%.1f min", seconds / 60)
    }
}

/// The login form: a token, entered once, kept in an HttpOnly cookie.
enum LoginPage {
    static func render(failed: Bool, next: String) -> String {
        Layout.page(title: "Log in", caller: nil, body: """
            <div class="card login">
            <h2>Log in</h2>
            <p>Enter the API token you were given (<code>liftwatch tokens create</code>). It is kept in a cookie this site alone reads.</p>
            \(failed ? "<p class=\"late\">That token is not valid.</p>" : "")
            <form method="post" action="/login">
            <input type="hidden" name="next" value="\(HTML.escape(next))">
            <p><input name="token" type="password" autocomplete="off" placeholder="lw_…" required></p>
            <p><button type="submit">Log in</button></p>
            </form></div>
            """)
    }
}
