import AsyncHTTPClient
import Crypto
import Foundation
import LiftCore
import LiftStore
import Logging
import NIOCore
import ServiceLifecycle

/// Delivers queued tickets to contractors' webhooks: an HTTP POST of the ticket JSON, signed with HMAC-SHA256
/// over the body, retried with exponential backoff; every attempt is in the delivery log.
///
/// Headers: `Content-Type: application/json`, `X-LiftWatch-Signature: sha256=<hex HMAC of the body with the
/// contractor's secret>`, `X-LiftWatch-Delivery: <delivery id>`.
public struct WebhookService: Service {
    let database: LiftDatabase
    let clock: EpochClock
    let logger: Logger
    /// Attempts before a delivery is given up as failed.
    public var maximumAttempts = 8
    /// First retry after this long; doubling each time.
    public var firstRetryMs: Int64 = 2_000

    public init(database: LiftDatabase, clock: EpochClock, logger: Logger = Logger(label: "liftwatch.webhooks")) {
        self.database = database
        self.clock = clock
        self.logger = logger
    }

    /// The signature header's value for `body`.
    public static func signature(body: [UInt8], secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
        return "sha256=" + mac.hexString
    }

    public func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do { _ = try await deliverDue(client: client) } catch {
                logger.error("webhook pass failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(500)) }
        }
        try await client.shutdown()
    }

    /// Attempts every delivery that is due; returns how many were delivered.
    public func deliverDue(client: HTTPClient) async throws -> Int {
        var delivered = 0
        for delivery in try database.dueWebhookDeliveries(now: clock.now()) {
            guard let webhook = try database.webhook(contractorID: delivery.contractorID) else { continue }
            var request = HTTPClientRequest(url: webhook.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "X-LiftWatch-Signature", value: Self.signature(body: delivery.body, secret: webhook.secret))
            request.headers.add(name: "X-LiftWatch-Delivery", value: String(delivery.id))
            request.body = .bytes(ByteBuffer(bytes: delivery.body))
            var status: Int?
            var failure: String?
            do {
                let response = try await client.execute(request, timeout: .seconds(10))
                status = Int(response.status.code)
                if !(200..<300).contains(status!) { failure = "HTTP \(status!)" }
            } catch {
                failure = "\(error)"
            }
            let now = clock.now()
            let attempt = delivery.attempts + 1
            let retryAt: Int64? = failure == nil || attempt >= maximumAttempts ? nil : now + firstRetryMs << Int64(min(attempt - 1, 20))
            try database.recordWebhookAttempt(delivery.id, httpStatus: status, error: failure, delivered: failure == nil, retryAt: retryAt, at: now)
            if failure == nil { delivered += 1 } else {
                logger.warning("webhook delivery failed", metadata: [
                    "contractor": "\(delivery.contractorID)", "ticket": "\(delivery.ticketID)", "attempt": "\(attempt)", "error": "\(failure!)",
                ])
            }
        }
        return delivered
    }
}
