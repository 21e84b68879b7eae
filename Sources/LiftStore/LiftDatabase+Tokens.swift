import Crypto
import GRDB
import LiftCore

extension LiftDatabase {
    /// Creates an API token and returns it with its id. Only its SHA-256 is stored: the token cannot be shown again.
    ///
    /// - Parameter random: the source of the token's 32 random bytes (injected so tests can seed it).
    /// - Throws: `RegistryError.invalid` when the scope does not fit the role.
    public func createToken(
        role: Role, regionPrefix: String? = nil, contractorID: String? = nil, managerID: String? = nil, label: String = "", at now: Int64,
        by actor: String, using random: inout some RandomNumberGenerator
    ) throws -> (id: Int64, token: String) {
        if role != .propertyManager, managerID != nil { throw RegistryError(.invalid, "only a property_manager token takes --manager") }
        switch role {
        case .propertyManager:
            guard let managerID, Identifier.isValidID(managerID) else { throw RegistryError(.invalid, "a property_manager token needs --manager ID") }
            guard regionPrefix == nil, contractorID == nil else { throw RegistryError(.invalid, "a property_manager token takes neither --region nor --contractor") }
            guard try propertyManager(managerID) != nil else { throw RegistryError(.notFound, "no property manager \(managerID): create it first") }
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
                sql: "INSERT INTO api_tokens(hash, role, region_prefix, contractor_id, manager_id, label, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [Self.tokenHash(token), role.rawValue, regionPrefix, contractorID, managerID, label, now])
            let id = db.lastInsertedRowID
            try Self.appendAudit(db, at: now, actor: actor, action: "token.create", subject: "token:\(id)", detail: [
                "role": role.rawValue, "region_prefix": regionPrefix, "contractor_id": contractorID, "manager_id": managerID, "label": label,
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
                Principal(tokenRow: $0)
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

extension Principal {
    /// The principal an `api_tokens` row stands for.
    init(tokenRow row: Row) {
        self.init(
            tokenID: row["id"], role: Role(rawValue: row["role"]) ?? .regulator, regionPrefix: row["region_prefix"], contractorID: row["contractor_id"],
            managerID: row["manager_id"])
    }
}
