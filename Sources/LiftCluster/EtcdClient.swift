import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// The few etcd v3 calls a lease needs, over etcd's JSON gateway (`/v3/...`), trying each endpoint in turn.
public struct EtcdClient: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    let endpoints: [String]
    let http: HTTPClient
    let timeout: TimeAmount
    /// The endpoint that answered last: tried first next time, so that one dead member costs one timeout once.
    let preferred = Preferred()

    final class Preferred: Sendable {
        private let index = Mutex(0)
        var value: Int { index.withLock { $0 } }
        func set(_ value: Int) { index.withLock { $0 = value } }
    }

    public init(endpoints: [String], http: HTTPClient = .shared, timeout: TimeAmount = .seconds(1)) {
        self.endpoints = endpoints
        self.http = http
        self.timeout = timeout
    }

    /// A new lease of `ttl` seconds; its id.
    public func grant(ttlSeconds: Int) async throws -> Int64 {
        let answer = try await call("/v3/lease/grant", ["TTL": String(ttlSeconds)])
        guard let id = Self.int(answer["ID"]), id != 0 else { throw Failure(description: "etcd granted no lease: \(answer)") }
        return id
    }

    /// Renews a lease; its remaining TTL in seconds (0: the lease is gone).
    public func keepAlive(lease: Int64) async throws -> Int64 {
        let answer = try await call("/v3/lease/keepalive", ["ID": String(lease)])
        let result = answer["result"] as? [String: Any] ?? answer
        return Self.int(result["TTL"]) ?? 0
    }

    public func revoke(lease: Int64) async throws {
        _ = try await call("/v3/lease/revoke", ["ID": String(lease)])
    }

    /// Puts `key = value` bound to `lease` if nobody holds the key; otherwise the holder's value.
    public func putIfAbsent(key: String, value: String, lease: Int64) async throws -> (acquired: Bool, holder: String?) {
        let k = Self.b64(key)
        let answer = try await call("/v3/kv/txn", [
            "compare": [["key": k, "target": "CREATE", "result": "EQUAL", "create_revision": "0"]],
            "success": [["request_put": ["key": k, "value": Self.b64(value), "lease": String(lease)]]],
            "failure": [["request_range": ["key": k]]],
        ])
        if answer["succeeded"] as? Bool == true { return (true, value) }
        return (false, Self.firstValue(in: answer))
    }

    /// Whether `key` exists and is bound to `lease`.
    public func isBound(key: String, to lease: Int64) async throws -> Bool {
        let answer = try await call("/v3/kv/txn", [
            "compare": [["key": Self.b64(key), "target": "LEASE", "result": "EQUAL", "lease": String(lease)]],
        ])
        return answer["succeeded"] as? Bool == true
    }

    /// Puts `key = value` only while `leaseKey` is bound to `lease` (the holder alone may write it).
    public func putIfHolder(key: String, value: String, leaseKey: String, lease: Int64) async throws -> Bool {
        let answer = try await call("/v3/kv/txn", [
            "compare": [["key": Self.b64(leaseKey), "target": "LEASE", "result": "EQUAL", "lease": String(lease)]],
            "success": [["request_put": ["key": Self.b64(key), "value": Self.b64(value)]]],
        ])
        return answer["succeeded"] as? Bool == true
    }

    public func delete(key: String) async throws {
        _ = try await call("/v3/kv/deleterange", ["key": Self.b64(key)])
    }

    public func get(key: String) async throws -> String? {
        Self.firstValue(of: try await call("/v3/kv/range", ["key": Self.b64(key)]))
    }

    private func call(_ path: String, _ body: [String: Any]) async throws -> [String: Any] {
        let payload = try JSONSerialization.data(withJSONObject: body)
        var problems: [String] = []
        let first = preferred.value
        for offset in endpoints.indices {
            let index = (first + offset) % endpoints.count
            let endpoint = endpoints[index]
            var request = HTTPClientRequest(url: endpoint + path)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: payload))
            do {
                let response = try await http.execute(request, timeout: timeout)
                let bytes = try await response.body.collect(upTo: 1 << 20)
                guard response.status == .ok else {
                    problems.append("\(endpoint): \(response.status.code) \(String(buffer: bytes))")
                    continue
                }
                guard let object = try JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any] else {
                    throw Failure(description: "\(endpoint)\(path): not a JSON object")
                }
                preferred.set(index)
                return object
            } catch let failure as Failure {
                throw failure
            } catch {
                problems.append("\(endpoint): \(error)")
            }
        }
        throw Failure(description: "etcd \(path) failed on every endpoint: \(problems.joined(separator: "; "))")
    }

    private static func b64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    private static func int(_ value: Any?) -> Int64? {
        if let text = value as? String { return Int64(text) }
        if let number = value as? NSNumber { return number.int64Value }
        return nil
    }

    /// The first value of a range answer (`{"kvs": [{"value": base64}]}`).
    private static func firstValue(of range: [String: Any]) -> String? {
        guard let kvs = range["kvs"] as? [[String: Any]], let value = kvs.first?["value"] as? String,
              let data = Data(base64Encoded: value) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// The first value read by a transaction's range request.
    private static func firstValue(in answer: [String: Any]) -> String? {
        let responses = answer["responses"] as? [[String: Any]] ?? []
        return responses.lazy.compactMap { ($0["response_range"] as? [String: Any]).flatMap(firstValue(of:)) }.first
    }
}
