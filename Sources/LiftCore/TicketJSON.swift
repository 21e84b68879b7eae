import Foundation

/// The ticket as JSON on the wire (spec section 5): snake_case fields, times in epoch milliseconds, nulls kept.
public enum TicketJSON {
    struct Alert: Encodable {
        var alert: String
        var ticket: Ticket
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The ticket alone, or with `alert` (why the regulator is told) wrapping it: `{"alert":…,"ticket":{…}}`.
    public static func encode(_ ticket: Ticket, alert: String? = nil) -> [UInt8] {
        let data: Data?
        if let alert { data = try? encoder.encode(Alert(alert: alert, ticket: ticket)) } else { data = try? encoder.encode(ticket) }
        return Array(data ?? Data("{}".utf8))
    }
}
