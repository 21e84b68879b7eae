import LiftCore

/// The frame every page shares: header with navigation and the caller, styles, and scripts.
enum Layout {
    static func page(title: String, caller: Principal?, head: String = "", body: String) -> String {
        let nav: String
        if let caller {
            var links = caller.role == .contractor ? ["<a href=\"/contractor\">My tickets</a>"] : ["<a href=\"/\">Overview</a>"]
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
            <style>
            :root { --ok:#2e7d32; --watch:#f9a825; --degraded:#ef6c00; --oos:#c62828; --offline:#607d8b; }
            * { box-sizing: border-box; }
            body { font: 14px/1.45 system-ui, "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; margin: 0; color: #1d2733; background: #f4f6f8; }
            header { background: #1f3a5f; color: #fff; padding: .6em 1.2em; display: flex; align-items: center; gap: 1.5em; }
            header h1 { font-size: 1.15em; margin: 0; } header a { color: #cfe3ff; margin-left: 1em; } header .who { opacity: .8; margin-left: 1em; }
            header nav { margin-left: auto; }
            main { padding: 1em 1.2em; max-width: 1400px; margin: 0 auto; }
            .grid { display: grid; gap: 1em; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); }
            .card { background: #fff; border-radius: 6px; padding: .8em 1em; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
            .card h2 { font-size: 1em; margin: 0 0 .5em; color: #1f3a5f; }
            .figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: .6em; }
            .figure { background: #fff; border-radius: 6px; padding: .6em .8em; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
            .figure .v { font-size: 1.5em; font-weight: 600; } .figure .l { color: #5b6b7b; font-size: .85em; }
            table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3em .5em; border-bottom: 1px solid #e3e8ee; vertical-align: top; }
            th { color: #5b6b7b; font-weight: 600; font-size: .9em; }
            .state { display: inline-block; padding: 0 .5em; border-radius: 3px; color: #fff; font-size: .85em; }
            .ok { background: var(--ok); } .watch { background: var(--watch); color: #222; } .degraded { background: var(--degraded); }
            .out_of_service { background: var(--oos); } .offline { background: var(--offline); }
            .late { color: var(--oos); font-weight: 600; } .soon { color: var(--degraded); font-weight: 600; } .muted { color: #7a8896; }
            button { font: inherit; padding: .25em .8em; border-radius: 4px; border: 1px solid #1f3a5f; background: #1f3a5f; color: #fff; cursor: pointer; }
            button.secondary { background: #fff; color: #1f3a5f; }
            #map { height: 520px; border-radius: 6px; background: #dfe7ee; }
            .legend span { display: inline-block; width: .9em; height: .9em; border-radius: 50%; margin: 0 .3em 0 .8em; vertical-align: -1px; }
            .chart { position: relative; height: 240px; }
            </style>
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
            <div class="card" style="max-width:28em;margin:4em auto">
            <h2>Log in</h2>
            <p>Enter the API token you were given (<code>liftwatch tokens create</code>). It is kept in a cookie this site alone reads.</p>
            \(failed ? "<p class=\"late\">That token is not valid.</p>" : "")
            <form method="post" action="/login">
            <input type="hidden" name="next" value="\(HTML.escape(next))">
            <p><input name="token" type="password" autocomplete="off" placeholder="lw_…" style="width:100%;font:inherit;padding:.4em" required></p>
            <p><button type="submit">Log in</button></p>
            </form></div>
            """)
    }
}
