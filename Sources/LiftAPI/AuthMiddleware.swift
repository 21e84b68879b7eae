import Foundation
import Hummingbird
import LiftCore
import LiftStore

/// Authenticates a request by its bearer token, or by the web pages' session cookie (`lw_session`: a session's
/// secret, never the API token), and puts the caller in the context. Missing or wrong credentials: 401. Repeated
/// failures from one address are slowed down. Neither token nor session secret appears in logs.
///
/// A write authenticated by the cookie (anything but GET and HEAD) must come from LiftWatch's own pages: an
/// `Origin` header naming this host and a JSON body (`Content-Type: application/json`, or for `POST /api/v1/photos` a
/// photo's `image/jpeg` or `image/png`), which a form on another site cannot send. Otherwise 403.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = LiftRequestContext
    let database: LiftDatabase
    let throttle: AuthThrottle
    let clock: EpochClock
    /// Pages redirect to the login form instead of answering 401.
    var redirectToLogin = false

    static let cookieName = "lw_session"

    /// How a request presents itself.
    enum Credential {
        case token(String)
        case session(String)
    }

    static func credential(of request: Request) -> Credential? {
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
            return .token(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))
        }
        return request.cookies[cookieName].map { .session($0.value) }
    }

    /// Why a cookie-authenticated write is refused, or nil when it comes from LiftWatch's own pages.
    static func crossSiteRefusal(_ request: Request, requireJSON: Bool = true) -> String? {
        guard request.method != .get, request.method != .head else { return nil }
        // Host names compared (a port differs behind proxies and in some clients' Host header); another site's page
        // has another host name.
        let originHost = request.headers[.origin].flatMap { URLComponents(string: $0)?.host?.lowercased() }
        let authority = request.head.authority ?? request.headers[.init("Host")!]
        let host = authority.flatMap { URLComponents(string: "http://\($0)")?.host?.lowercased() }
        guard let originHost, let host, originHost == host else {
            return "a write with the session cookie must come from LiftWatch's own pages (Origin \(originHost ?? "missing"), host \(host ?? "unknown"))"
        }
        // JSON, or a photo's JPEG or PNG: types a form on another site cannot send (they need a CORS preflight).
        let type = (request.headers[.contentType] ?? "").lowercased()
        let photo = request.uri.path == "/api/v1/photos" && (type.hasPrefix("image/jpeg") || type.hasPrefix("image/png"))
        guard !requireJSON || type.hasPrefix("application/json") || photo else {
            return "a write with the session cookie must send JSON (Content-Type: application/json)"
        }
        return nil
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        let wait = await throttle.delay(for: address)
        if wait > .zero { try await Task.sleep(for: wait) }
        guard let credential = Self.credential(of: request) else {
            if redirectToLogin { return .redirect(to: "/login?next=\(WebPages.safeNext(request.uri.path) ?? "/")") }
            throw APIError(.unauthorized, code: "unauthorized", message: "a bearer token is required: Authorization: Bearer <token>")
        }
        let found: Principal?
        switch credential {
        case .token(let token): found = try database.principal(forToken: token)
        case .session(let secret):
            found = try database.sessions.principal(forSession: secret, at: clock.now())
            if found != nil, let refusal = Self.crossSiteRefusal(request) {
                context.logger.notice("cross-site write refused", metadata: ["address": "\(address)"])
                throw APIError(.forbidden, code: "forbidden", message: refusal)
            }
        }
        guard let principal = found else {
            await throttle.recordFailure(address)
            context.logger.notice("authentication failed", metadata: ["address": "\(address)"])
            if redirectToLogin { return .redirect(to: "/login?failed=1") }
            throw APIError(.unauthorized, code: "unauthorized", message: "the token is not valid")
        }
        await throttle.recordSuccess(address)
        if let refusal = PropertyManagerGate.refusal(principal, request) { throw APIError(.forbidden, code: "forbidden", message: refusal) }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }
}
