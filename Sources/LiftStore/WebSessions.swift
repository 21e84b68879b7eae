import Crypto
import GRDB
import LiftCore

/// Sessions of the web pages (`web_sessions`): a login with an API token opens one, and the browser's cookie holds
/// the session's random secret, never the token. Only the secret's SHA-256 is stored. A session ends when it
/// expires, when it is logged out, or when its token is revoked.
public struct WebSessions: Sendable {
    let database: LiftDatabase

    /// How long a session lasts.
    public static let lifetimeMs: Int64 = 12 * 3_600_000

    /// Opens a session for the token's principal; returns the secret for the cookie.
    public func open(for principal: Principal, at now: Int64, using random: inout some RandomNumberGenerator) throws -> String {
        let secret = "lws_" + (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }.hexString
        try database.write { db in
            // Expired sessions go as new ones come: the table holds about a day of logins.
            try db.execute(sql: "DELETE FROM web_sessions WHERE expires_at < ?", arguments: [now - Self.lifetimeMs])
            try db.execute(
                sql: "INSERT INTO web_sessions(hash, token_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                arguments: [Self.hash(secret), principal.tokenID, now, now + Self.lifetimeMs])
        }
        return secret
    }

    /// The principal of a live session, or nil (unknown, expired, logged out, or its token revoked).
    public func principal(forSession secret: String, at now: Int64) throws -> Principal? {
        guard secret.hasPrefix("lws_"), secret.utf8.count == 68 else { return nil }
        return try database.read { db in
            try Row.fetchOne(db, sql: """
                SELECT t.* FROM web_sessions s JOIN api_tokens t ON t.id = s.token_id
                WHERE s.hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND t.revoked_at IS NULL
                """, arguments: [Self.hash(secret), now]).map {
                Principal(tokenRow: $0)
            }
        }
    }

    /// Ends a session (logout).
    public func revoke(_ secret: String, at now: Int64) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE web_sessions SET revoked_at = ? WHERE hash = ? AND revoked_at IS NULL", arguments: [now, Self.hash(secret)])
        }
    }

    static func hash(_ secret: String) -> String { SHA256.hash(data: Array(secret.utf8)).hexString }
}

extension LiftDatabase {
    /// The web pages' login sessions.
    public var sessions: WebSessions { WebSessions(database: self) }
}
