import Crypto
import GRDB
import LiftCore

extension LiftDatabase {
    /// Creates an API token and returns it with its id. Only its SHA-256 is stored: the token cannot be shown again.
    ///
    /// - Parameter random: the source of the token's 32 random bytes (injected so tests can seed it).
    /// - Throws: `RegistryError.invalid` when the scope does not fit the role.
    public func createToken(
        role: Role, regionPrefix: String? = nil, contractorID: String? = nil, label: String = "", at now: Int64, by actor: String,
        using random: inout some RandomNumberGenerator
    ) throws -> (id: Int64, token: String) {
        switch role {
        case .admin:
            guard regionPrefix == nil, contractorID == nil else { throw RegistryError(.invalid, "an admin token takes neither --region nor --contractor") }
        case .regulator, .officer:
            guard let regionPrefix, Identifier.isValidPlacePrefix(regionPrefix) else {
                throw RegistryError(.invalid, "a \(role.rawValue) token needs --region with a place code of 2, 4, 6, 9 or 12 digits")
            }
            guard contractorID == nil else { throw RegistryError(.invalid, "a \(role.rawValue) token takes no --contractor") }
        case .contractor:
            guard let contractorID, Identifier.isValidID(contractorID) else { throw RegistryError(.invalid, "a contractor token needs --contractor ID") }
            guard regionPrefix == nil else { throw RegistryError(.invalid, "a contractor token takes no --region") }
        }
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        let token = "lw_" + bytes.hexString
        let id = try write { db in
            try db.execute(
                sql: "INSERT INTO api_tokens(hash, role, region_prefix, contractor_id, label, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [Self.tokenHash(token), role.rawValue, regionPrefix, contractorID, label, now])
            let id = db.lastInsertedRowID
            try Self.appendAudit(db, at: now, actor: actor, action: "token.create", subject: "token:\(id)", detail: [
                "role": role.rawValue, "region_prefix": regionPrefix, "contractor_id": contractorID, "label": label,
            ])
            return id
        }
        return (id, token)
    }

    /// The principal a token stands for, or nil when it is unknown or revoked.
    public func principal(forToken token: String) throws -> Principal? {
        guard token.hasPrefix("lw_"), token.utf8.count == 67 else { return nil }
        return try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_tokens WHERE hash = ? AND revoked_at IS NULL", arguments: [Self.tokenHash(token)]).map {
                Principal(tokenID: $0["id"], role: Role(rawValue: $0["role"]) ?? .regulator, regionPrefix: $0["region_prefix"], contractorID: $0["contractor_id"])
            }
        }
    }

    /// Revokes a token by id.
    public func revokeToken(_ id: Int64, at now: Int64, by actor: String) throws {
        try write { db in
            try db.execute(sql: "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [now, id])
            guard db.changesCount == 1 else { throw RegistryError(.notFound, "no active token \(id)") }
            try Self.appendAudit(db, at: now, actor: actor, action: "token.revoke", subject: "token:\(id)", detail: [:])
        }
    }

    static func tokenHash(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).hexString
    }
}
