import AsyncHTTPClient
import Crypto
import Foundation
import LiftCore
import LiftStore
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// Delivers queued tickets to contractors' webhooks: an HTTP POST of the ticket JSON, signed with HMAC-SHA256,
/// retried with exponential backoff; every attempt is in the delivery log (`webhook_deliveries`, written in the
/// ticket's own transaction, so a delivery survives a restart).
///
/// Headers: `Content-Type: application/json`, `X-LiftWatch-Delivery: <delivery id>`, `X-LiftWatch-Timestamp:
/// <epoch ms of this attempt>`, `X-LiftWatch-Signature: sha256=<hex HMAC of "<timestamp>.<delivery id>.<body>">`.
///
/// Each contractor's deliveries go out in order of priority on a worker of their own (at most
/// `Configuration.maximumWorkers` at once): one slow or dead endpoint never delays another contractor's rescue.
/// Redirects are not followed, and targets on loopback, private, link-local or unspecified addresses are refused
/// unless `allowPrivateTargets` (a webhook must not become a way into LiftWatch's own network).
public struct WebhookService: Service {
    public struct Configuration: Sendable, Hashable {
        /// Let webhooks target loopback and private networks (tests, an on-premises contractor system).
        public var allowPrivateTargets = false
        /// Attempts before a delivery is given up as failed.
        public var maximumAttempts = 8
        /// First retry after this long; doubling each time.
        public var firstRetryMs: Int64 = 2_000
        /// Contractors served at once.
        public var maximumWorkers = 16
        /// Per request.
        public var timeout: Duration = .seconds(10)
        /// Delivery log rows kept this many days after they were queued.
        public var logRetentionDays = 30
        public init() {}
    }

    let database: LiftDatabase
    let clock: EpochClock
    let configuration: Configuration
    let logger: Logger

    public init(database: LiftDatabase, clock: EpochClock, configuration: Configuration = .init(), logger: Logger = Logger(label: "liftwatch.webhooks")) {
        self.database = database
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
    }

    /// The signature header's value for one attempt.
    public static func signature(body: [UInt8], deliveryID: Int64, timestamp: Int64, secret: String) -> String {
        let signed = Array("\(timestamp).\(deliveryID).".utf8) + body
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Array(secret.utf8)))
        return "sha256=" + mac.hexString
    }

    /// An HTTP client that never follows a redirect.
    public static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func run() async throws {
        let client = Self.makeClient()
        let busy = Busy()
        var lastPrune: Int64 = 0
        await withDiscardingTaskGroup { workers in
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                do {
                    for contractor in try database.contractorsWithDueWebhooks(now: clock.now()) {
                        let started = busy.withLock { busy -> Bool in
                            guard !busy.contains(contractor), busy.count < configuration.maximumWorkers else { return false }
                            busy.insert(contractor)
                            return true
                        }
                        guard started else { continue }
                        workers.addTask {
                            do { _ = try await deliverDue(contractorID: contractor, client: client) } catch {
                                logger.error("webhook deliveries failed", metadata: ["contractor": "\(contractor)", "error": "\(error)"])
                            }
                            busy.withLock { _ = $0.remove(contractor) }
                        }
                    }
                    let now = clock.now()
                    if now - lastPrune > 3_600_000 {
                        lastPrune = now
                        try database.pruneWebhookDeliveries(queuedBefore: now - Int64(configuration.logRetentionDays) * 86_400_000)
                    }
                } catch {
                    logger.error("webhook pass failed", metadata: ["error": "\(error)"])
                }
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(250)) }
            }
        }
        try await client.shutdown()
    }

    /// The contractors whose deliveries a worker is on.
    final class Busy: Sendable {
        private let set = Mutex<Set<String>>([])
        func withLock<T>(_ body: (inout Set<String>) -> T) -> T { set.withLock { body(&$0) } }
    }

    /// Attempts every due delivery of one contractor, highest priority first; returns how many were delivered.
    public func deliverDue(contractorID: String, client: HTTPClient) async throws -> Int {
        var delivered = 0
        for delivery in try database.dueWebhookDeliveries(contractorID: contractorID, now: clock.now()) {
            if try await attempt(delivery, client: client) { delivered += 1 }
        }
        return delivered
    }

    /// Attempts every due delivery of every contractor (one after another); returns how many were delivered.
    public func deliverDue(client: HTTPClient) async throws -> Int {
        var delivered = 0
        for contractor in try database.contractorsWithDueWebhooks(now: clock.now()) {
            delivered += try await deliverDue(contractorID: contractor, client: client)
        }
        return delivered
    }

    private func attempt(_ delivery: WebhookDelivery, client: HTTPClient) async throws -> Bool {
        guard let webhook = try database.webhook(contractorID: delivery.contractorID) else { return false }
        // A later state of the ticket queued since the batch was read: this one is not sent.
        if try database.retireWebhookDeliveryIfSuperseded(delivery.id) { return false }
        var status: Int?
        var failure: String?
        if let refusal = await WebhookTarget.refusal(webhook.url, allowPrivate: configuration.allowPrivateTargets) {
            failure = refusal
        } else {
            let timestamp = clock.now()
            var request = HTTPClientRequest(url: webhook.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "X-LiftWatch-Delivery", value: String(delivery.id))
            request.headers.add(name: "X-LiftWatch-Timestamp", value: String(timestamp))
            request.headers.add(
                name: "X-LiftWatch-Signature",
                value: Self.signature(body: delivery.body, deliveryID: delivery.id, timestamp: timestamp, secret: webhook.secret))
            request.body = .bytes(ByteBuffer(bytes: delivery.body))
            do {
                let response = try await client.execute(request, timeout: .init(configuration.timeout))
                status = Int(response.status.code)
                if !(200..<300).contains(status!) { failure = "HTTP \(status!)" }
            } catch {
                failure = "\(error)"
            }
        }
        let now = clock.now()
        let attempt = delivery.attempts + 1
        let retryAt: Int64? =
            failure == nil || attempt >= configuration.maximumAttempts ? nil : now + configuration.firstRetryMs << Int64(min(attempt - 1, 20))
        try database.recordWebhookAttempt(delivery.id, httpStatus: status, error: failure, delivered: failure == nil, retryAt: retryAt, at: now)
        if let failure {
            logger.warning("webhook delivery failed", metadata: [
                "contractor": "\(delivery.contractorID)", "ticket": "\(delivery.ticketID)", "attempt": "\(attempt)", "error": "\(failure)",
            ])
        }
        return failure == nil
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// Which webhook targets LiftWatch will call.
public enum WebhookTarget {
    /// Why LiftWatch will not POST to `url`, or nil when it will: only `http` and `https`, with a host that does
    /// not resolve to a loopback, private (RFC 1918, unique-local), link-local, CGNAT or unspecified address unless
    /// `allowPrivate`.
    public static func refusal(_ url: String, allowPrivate: Bool) async -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty
        else { return "not an http(s) URL with a host" }
        if allowPrivate { return nil }
        // getaddrinfo blocks: on a Dispatch thread, never one of the cooperative pool's (two here), which the ticket
        // engine and HTTP share.
        let name = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let addresses = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: resolve(name)) }
        }
        guard !addresses.isEmpty else { return "host \(host) does not resolve" }
        if let blocked = addresses.first(where: isPrivate) { return "host \(host) resolves to a private or loopback address (\(blocked)); refused" }
        return nil
    }

    static func resolve(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                addresses.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            cursor = info.pointee.ai_next
        }
        return addresses
    }

    /// Loopback, private, link-local, CGNAT, multicast, reserved and unspecified addresses, and IPv4-mapped,
    /// IPv4-compatible and NAT64 forms of those.
    static func isPrivate(_ address: String) -> Bool {
        var text = address.lowercased()
        if let zone = text.firstIndex(of: "%") { text = String(text[..<zone]) }
        for prefix in ["::ffff:", "64:ff9b::", "::"] where text.hasPrefix(prefix) && text.contains(".") { text = String(text.dropFirst(prefix.count)) }
        let octets = text.split(separator: ".").compactMap { UInt8($0) }
        if octets.count == 4 {
            switch (octets[0], octets[1]) {
            case (0, _), (10, _), (127, _), (224...255, _): return true
            case (198, 18), (198, 19): return true
            case (169, 254), (192, 168): return true
            case (172, let b) where (16...31).contains(b): return true
            case (100, let b) where (64...127).contains(b): return true
            default: return false
            }
        }
        return text == "::" || text == "::1" || text.hasPrefix("fc") || text.hasPrefix("fd") || text.hasPrefix("fe8") || text.hasPrefix("fe9")
            || text.hasPrefix("fea") || text.hasPrefix("feb") || text.hasPrefix("ff")
    }
}
