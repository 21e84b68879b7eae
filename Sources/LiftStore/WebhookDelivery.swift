/// One signed POST of a ticket to a contractor's webhook, with its attempts: the delivery log.
public struct WebhookDelivery: Sendable, Hashable, Codable {
    public var id: Int64
    public var contractorID: String
    public var ticketID: Int64
    public var body: [UInt8]
    /// `pending`, `delivered`, or `failed` after the last attempt.
    public var status: String
    public var attempts: Int
    public var nextAttemptAt: Int64
    public var lastStatus: Int?
    public var lastError: String?
    public var createdAt: Int64
    public var deliveredAt: Int64?
}

/// Where a contractor receives tickets by HTTP, and the secret their signature uses.
public struct Webhook: Sendable, Hashable, Codable {
    public var contractorID: String
    public var url: String
    public var secret: String

    public init(contractorID: String, url: String, secret: String) {
        self.contractorID = contractorID
        self.url = url
        self.secret = secret
    }
}
