import Hummingbird
import LiftCore
import NIOCore

/// The request context of LiftWatch's routes: the caller once authenticated, and where they connect from.
public struct LiftRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthMiddleware` on authenticated routes.
    public var principal: Principal?
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The authenticated caller; routes behind `AuthMiddleware` always have one.
    public func caller() throws -> Principal {
        guard let principal else { throw APIError(.unauthorized, code: "unauthorized", message: "a bearer token is required") }
        return principal
    }

    /// Request bodies above this are refused with 413.
    public var maxUploadSize: Int { 64 * 1024 }
}
