import Hummingbird

/// An API error in the contract's shape: `{"error":{"code":"…","message":"…"}}` with a fitting status.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    /// A stable machine-readable code, such as `not_found` or `invalid_parameter`.
    public var code: String
    public var message: String

    public init(_ status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var writer = ""
        writer += "{\"error\":{\"code\":"
        writer += JSONText.quoted(code)
        writer += ",\"message\":"
        writer += JSONText.quoted(message)
        writer += "}}"
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: writer)))
    }
}

/// Turns every error thrown by a route into the contract's error shape.
struct ErrorShapeMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            let code = error.status == .notFound ? "not_found" : error.status.code == 405 ? "method_not_allowed" : "http_\(error.status.code)"
            throw APIError(error.status, code: code, message: error.body ?? error.status.reasonPhrase)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError(.internalServerError, code: "internal_error", message: "the server could not complete the request")
        }
    }
}

enum JSONText {
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
