import Hummingbird
import LiftCore
import LiftStore

/// Authenticates a request by its bearer token (or the `lw_token` cookie the web pages set) and puts the
/// caller in the context. Missing or wrong token: 401. Repeated failures from one address are slowed down.
/// The token never appears in logs.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = LiftRequestContext
    let database: LiftDatabase
    let throttle: AuthThrottle
    /// Pages redirect to the login form instead of answering 401.
    var redirectToLogin = false

    static let cookieName = "lw_token"

    static func token(of request: Request) -> String? {
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
            return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        return request.cookies[cookieName]?.value
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        let wait = await throttle.delay(for: address)
        if wait > .zero { try await Task.sleep(for: wait) }
        guard let token = Self.token(of: request) else {
            if redirectToLogin { return .redirect(to: "/login?next=\(request.uri.path)") }
            throw APIError(.unauthorized, code: "unauthorized", message: "a bearer token is required: Authorization: Bearer <token>")
        }
        guard let principal = try database.principal(forToken: token) else {
            await throttle.recordFailure(address)
            context.logger.notice("authentication failed", metadata: ["address": "\(address)"])
            if redirectToLogin { return .redirect(to: "/login?failed=1") }
            throw APIError(.unauthorized, code: "unauthorized", message: "the token is not valid")
        }
        await throttle.recordSuccess(address)
        var context = context
        context.principal = principal
        return try await next(request, context)
    }
}
