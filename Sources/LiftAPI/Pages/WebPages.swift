import Foundation
import Hummingbird
import LiftCore
import LiftStore

/// The server-rendered pages: login, regulator overview, elevator page, contractor page, and the static
/// assets from Debian's `libjs-chart.js` and `libjs-leaflet`. Pages need a login: the token, entered once, is
/// kept in an `HttpOnly`, `SameSite=Lax` cookie (sent on top-level navigation, never with cross-site POSTs or fetches).
struct WebPages: Sendable {
    let context: APIContext
    let throttle: AuthThrottle

    func register(on router: Router<LiftRequestContext>) {
        router.get("/login") { request, _ -> Response in
            let failed = request.uri.queryParameters["failed"] != nil
            return html(LoginPage.render(failed: failed, next: request.uri.queryParameters["next"].flatMap { Self.safeNext(String($0)) } ?? "/", t: Localizer(request)))
        }
        // The language toggle: the choice kept in a cookie for a year, then back to the page it was made on.
        router.get("/lang") { request, _ -> Response in
            let chosen = request.uri.queryParameters["to"].flatMap { PageLanguage(rawValue: String($0)) } ?? .zh
            let next = request.uri.queryParameters["next"].map(String.init)
            // Back to the page the toggle was on; the login page too, which is no place for a login to send the browser on.
            let back = next.flatMap(Self.safeNext) ?? (next.map { $0 == "/login" || $0.hasPrefix("/login?") } == true ? "/login" : "/")
            var response = Response.redirect(to: back, type: .found)
            let tls = context.secureCookies || request.headers[.init("X-Forwarded-Proto")!]?.lowercased() == "https"
            response.setCookie(Cookie(name: PageLanguage.cookieName, value: chosen.rawValue, maxAge: 365 * 86_400, path: "/", secure: tls, httpOnly: true, sameSite: .lax))
            return response
        }
        router.post("/login") { request, ctx -> Response in
            // A login form on another site (logging the browser in as someone else) is refused.
            if request.headers[.origin] != nil, AuthMiddleware.crossSiteRefusal(request, requireJSON: false) != nil {
                return .redirect(to: "/login?failed=1")
            }
            let body = try await request.body.collect(upTo: 8 * 1024)
            let form = FormFields(String(buffer: body))
            let token = form["token"] ?? ""
            let address = ctx.remoteAddress?.ipAddress ?? "unknown"
            let wait = await throttle.delay(for: address)
            if wait > .zero { try await Task.sleep(for: wait) }
            guard let principal = try context.database.principal(forToken: token) else {
                await throttle.recordFailure(address)
                return .redirect(to: "/login?failed=1")
            }
            await throttle.recordSuccess(address)
            var random = SystemRandomNumberGenerator()
            let secret = try context.database.sessions.open(for: principal, at: context.clock.now(), using: &random)
            let next = form["next"].flatMap(Self.safeNext) ?? Self.home(principal)
            var response = Response.redirect(to: next, type: .found)
            response.setCookie(sessionCookie(secret, maxAge: Int(WebSessions.lifetimeMs / 1000), request: request))
            return response
        }
        router.get("/logout") { request, _ -> Response in
            if let secret = request.cookies[AuthMiddleware.cookieName]?.value { try context.database.sessions.revoke(secret, at: context.clock.now()) }
            var response = Response.redirect(to: "/login", type: .found)
            response.setCookie(sessionCookie("", maxAge: 0, request: request))
            return response
        }
        router.get("/assets/**") { request, _ -> Response in try asset(request.uri.path) }

        let pages = router.group("").add(middleware: AuthMiddleware(database: context.database, throttle: throttle, clock: context.clock, redirectToLogin: true))
            .add(middleware: PageErrors())
        pages.get("/") { request, ctx -> Response in
            let caller = try ctx.caller()
            if caller.role == .contractor { return .redirect(to: "/contractor") }
            if caller.role == .propertyManager { return .redirect(to: "/manager") }
            let place = request.uri.queryParameters["place"].map(String.init).flatMap { $0.count <= 12 && $0.allSatisfy(\.isNumber) ? $0 : nil }
            return html(try await OverviewPage(context: context, caller: caller, t: Localizer(request), place: place).render())
        }
        pages.get("/elevators/:elevator_id") { request, ctx -> Response in
            let caller = try ctx.caller()
            let id = try ctx.parameters.require("elevator_id")
            guard let elevator = try context.database.elevator(id) else { throw APIError(.notFound, code: "not_found", message: "no elevator \"\(id)\"") }
            guard caller.mayRead(place: elevator.place, contractorID: elevator.contractorID) else {
                throw APIError(.forbidden, code: "forbidden", message: "elevator \(id) is outside your scope")
            }
            return html(try ElevatorPage(context: context, caller: caller, elevator: elevator, t: Localizer(request)).render())
        }
        pages.get("/progress") { request, ctx -> Response in
            let caller = try ctx.caller()
            guard caller.role != .contractor else { throw APIError(.forbidden, code: "forbidden", message: "the programme's progress is for administrators, regulators and officers") }
            let q = try Query(request, allowed: ["region", "year", "month"])
            let region = try APIRoutes(context: context).scopedRegion(q.regionPrefix("region"), caller) ?? ""
            let (year, month) = try ProgrammeRoutes.period(q, now: context.clock.now())
            let report = try context.database.programme.report(prefix: region, year: year, month: month)
            return html(ProgressPage(context: context, caller: caller, report: report, t: Localizer(request)).render())
        }
        pages.get("/manager") { request, ctx -> Response in
            let caller = try ctx.caller()
            let id = try Self.party(of: caller, role: .propertyManager, own: caller.managerID, request: request, page: "/manager", named: "property manager")
            guard let manager = try context.database.propertyManager(id) else { throw APIError(.notFound, code: "not_found", message: "no property manager \(id)") }
            return html(try PropertyManagerPage(context: context, caller: caller, manager: manager, t: Localizer(request)).render())
        }
        pages.get("/contractor/tickets/:id/record") { request, ctx -> Response in
            let caller = try ctx.caller()
            let text = try ctx.parameters.require("id")
            guard let id = Int64(text), let ticket = try context.database.ticket(id), ticket.type == .maintenance else {
                throw APIError(.notFound, code: "not_found", message: "no maintenance ticket \(text.prefix(20))")
            }
            guard caller.refusal(of: .resolve, on: ticket) == nil else { throw APIError(.forbidden, code: "forbidden", message: "ticket \(id) is not yours") }
            return html(try MaintenanceRecordPage(context: context, caller: caller, ticket: ticket, t: Localizer(request)).render())
        }
        pages.get("/contractor") { request, ctx -> Response in
            let caller = try ctx.caller()
            let contractor = try Self.party(of: caller, role: .contractor, own: caller.contractorID, request: request, page: "/contractor", named: "contractor")
            return html(try ContractorPage(context: context, caller: caller, contractorID: contractor, t: Localizer(request)).render())
        }
    }

    /// Whose page a party's page shows: the caller's own for its `role`, the one `?id=` names for an administrator;
    /// any other role is refused.
    static func party(of caller: Principal, role: Role, own: String?, request: Request, page: String, named: String) throws -> String {
        if caller.role == role { return own ?? "" }
        guard caller.role == .admin else { throw APIError(.forbidden, code: "forbidden", message: "the \(named) page is for \(named)s") }
        guard let requested = request.uri.queryParameters["id"].map(String.init), Identifier.isValidID(requested) else {
            throw APIError(.badRequest, code: "invalid_parameter", message: "id: an admin names the \(named): \(page)?id=…")
        }
        return requested
    }

    static func home(_ principal: Principal) -> String {
        switch principal.role {
        case .contractor: "/contractor"
        case .propertyManager: "/manager"
        case .admin, .regulator, .officer: "/"
        }
    }

    /// Where a login may send the browser on: one of LiftWatch's own pages, as a path with an optional query.
    /// Anything else (another host, `//host`, a backslash, a scheme, control characters) gives nil.
    static func safeNext(_ next: String) -> String? {
        guard next.hasPrefix("/"), !next.hasPrefix("//"), next.utf8.count <= 512 else { return nil }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-.?=&%".utf8)
        guard next.utf8.allSatisfy(allowed.contains) else { return nil }
        let path = next.split(separator: "?", maxSplits: 1).first.map(String.init) ?? next
        guard path == "/" || path == "/contractor" || path == "/progress" || path.hasPrefix("/elevators/") || path.hasPrefix("/api/v1/elevators/") else { return nil }
        return next
    }

    /// The session cookie: HttpOnly, SameSite=Lax, and Secure when the page is served over TLS (directly or behind a
    /// proxy that says so) or `http.secure_cookies` is set.
    func sessionCookie(_ value: String, maxAge: Int, request: Request) -> Cookie {
        let tls = context.secureCookies || request.head.scheme == "https" || request.headers[.init("X-Forwarded-Proto")!]?.lowercased() == "https"
        return Cookie(name: AuthMiddleware.cookieName, value: value, maxAge: maxAge, path: "/", secure: tls, httpOnly: true, sameSite: .lax)
    }

    /// The pages' own scripts and styles, by name under `/assets/app/`.
    static let appAssets: [String: (type: String, bytes: [UInt8])] = [
        "liftwatch.css": ("text/css; charset=utf-8", PackageResources.liftwatch_css),
        "overview.js": ("text/javascript; charset=utf-8", PackageResources.overview_js),
        "elevator.js": ("text/javascript; charset=utf-8", PackageResources.elevator_js),
        "contractor.js": ("text/javascript; charset=utf-8", PackageResources.contractor_js),
        "dossier.css": ("text/css; charset=utf-8", PackageResources.dossier_css),
        "dossier.js": ("text/javascript; charset=utf-8", PackageResources.dossier_js),
        "progress.js": ("text/javascript; charset=utf-8", PackageResources.progress_js),
        "record.js": ("text/javascript; charset=utf-8", PackageResources.record_js),
        "manager.js": ("text/javascript; charset=utf-8", PackageResources.manager_js),
    ]

    /// Serves `/assets/app/…` (the pages' own files) and `/assets/chart.js/…` and `/assets/leaflet/…` from the Debian
    /// packages, nothing else.
    func asset(_ path: String) throws -> Response {
        let relative = String(path.dropFirst("/assets/".count))
        if relative.hasPrefix("app/") {
            guard let asset = Self.appAssets[String(relative.dropFirst(4))] else { throw APIError(.notFound, code: "not_found", message: "no such asset") }
            return Response(
                status: .ok, headers: [.contentType: asset.type, .cacheControl: "public, max-age=3600"], body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
        }
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
        // No way out of the two directories: no empty, dot or dot-dot components, no backslashes or NULs.
        guard let first = parts.first, ["chart.js", "leaflet"].contains(first), parts.count >= 2,
            parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains("\\") && !$0.contains("\0") && !$0.contains("%") })
        else { throw APIError(.notFound, code: "not_found", message: "no such asset") }
        let file = context.javascriptDirectory + "/" + relative
        guard let data = FileManager.default.contents(atPath: file) else { throw APIError(.notFound, code: "not_found", message: "no such asset") }
        let type: String =
            switch (relative as NSString).pathExtension {
            case "js": "text/javascript; charset=utf-8"
            case "css": "text/css; charset=utf-8"
            case "png": "image/png"
            case "svg": "image/svg+xml"
            default: "application/octet-stream"
            }
        return Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=86400"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Every page's Content-Security-Policy: scripts and styles from LiftWatch's own files only, nothing inline.
let contentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func html(_ text: String) -> Response {
    Response(
        status: .ok,
        headers: [
            .contentType: "text/html; charset=utf-8", .init("Content-Security-Policy")!: contentSecurityPolicy,
            .init("X-Content-Type-Options")!: "nosniff", .init("Referrer-Policy")!: "same-origin",
        ],
        body: .init(byteBuffer: ByteBuffer(string: text)))
}

/// `application/x-www-form-urlencoded` fields.
struct FormFields {
    let values: [String: String]
    init(_ body: String) {
        var values: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            values[decode(kv[0])] = kv.count > 1 ? decode(kv[1]) : ""
        }
        self.values = values
    }
    subscript(_ name: String) -> String? { values[name] }
}

/// A page that cannot be shown says so as a page, in the reader's language (with the API's own words below, for
/// whoever reports it), not as the API's JSON.
struct PageErrors: RouterMiddleware {
    typealias Context = LiftRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            let t = Localizer(request)
            let key = switch error.status {
                case .forbidden: "error.forbidden"
                case .notFound: "error.not_found"
                case .badRequest: "error.bad_request"
                default: "error.other"
                }
            let body = """
                <div class="card login"><h2>\(t.html(key))</h2>
                <p class="muted"><code>\(error.status.code) \(HTML.escape(error.code)): \(HTML.escape(error.message))</code></p>
                <p><a href="/">\(t.html("error.home"))</a></p></div>
                """
            var response = html(Layout.page(title: t(key), caller: try? context.caller(), t: t, body: body))
            response.status = error.status
            return response
        }
    }
}
