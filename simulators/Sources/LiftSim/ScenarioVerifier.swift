import AsyncHTTPClient
import Foundation
import NIOCore

/// Checks a running LiftWatch against what a scenario expects, through its HTTP API (spec section 9).
public struct ScenarioVerifier: Sendable {
    /// One expectation and what was found.
    public struct Check: Sendable, CustomStringConvertible {
        public var expectation: String
        public var found: String
        public var matched: Bool
        public var description: String { "\(matched ? "✓" : "✗") \(expectation)\(matched ? "" : ": found \(found)")" }
    }

    /// An API call that failed.
    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public var baseURL: String
    public var token: String

    public init(baseURL: String, token: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
    }

    /// Registers the scenario's elevators (in service, with its contractor) through `PUT /elevators/{id}`.
    /// Needs an admin token. Elevators already registered are updated, not duplicated.
    public func register(_ scenario: Scenario, commissionedOn: String) async throws {
        for index in 1...scenario.fleet.elevators {
            let body: [String: Any] = [
                "region": scenario.region(index), "contractor_id": scenario.fleet.contractor, "stage": "in_service",
                "commissioned_on": commissionedOn, "platform": scenario.fleet.platform,
            ]
            _ = try await call("PUT", "/api/v1/elevators/\(scenario.elevatorID(index))", body: try JSONSerialization.data(withJSONObject: body))
        }
    }

    /// Checks every expectation once.
    public func check(_ scenario: Scenario) async throws -> [Check] {
        var checks: [Check] = []
        let expect = scenario.expect
        let fleetPrefix = "\(scenario.fleet.prefix)-"
        // Every ticket of the fleet's elevators, through the contractor filter (one listing, paginated).
        let tickets = try await list("/api/v1/tickets?contractor=\(scenario.fleet.contractor)&limit=500")
            .filter { ($0["elevator_id"] as? String)?.hasPrefix(fleetPrefix) == true }
        var accounted = Set<Int64>()
        for want in expect.tickets {
            let id = scenario.elevatorID(want.elevator)
            let matching = tickets.filter {
                $0["elevator_id"] as? String == id && $0["type"] as? String == want.type && (want.fault == nil || $0["fault"] as? String == want.fault)
            }
            for ticket in matching { if let number = ticket["id"] as? Int64 ?? (ticket["id"] as? Int).map(Int64.init) { accounted.insert(number) } }
            let what = "\(want.count) \(want.type) ticket\(want.count == 1 ? "" : "s")\(want.fault.map { " for \($0)" } ?? "") on \(id)"
            checks.append(Check(expectation: what, found: "\(matching.count)", matched: matching.count == want.count))
            guard let first = matching.first else { continue }
            if let occurrences = want.occurrences {
                let got = first["occurrences"] as? Int ?? -1
                checks.append(Check(expectation: "  with \(occurrences) occurrence\(occurrences == 1 ? "" : "s")", found: "\(got)", matched: got == occurrences))
            }
            for flag in want.flags {
                let set = matching.allSatisfy { $0[flag] as? Bool == true }
                checks.append(Check(expectation: "  flagged \(flag)", found: set ? "set" : "not set", matched: set))
            }
            if let status = want.status {
                let got = first["status"] as? String ?? "?"
                checks.append(Check(expectation: "  status \(status)", found: got, matched: got == status))
            }
        }
        if expect.noOtherTickets {
            let watched: Set<String> = ["rescue", "safety_repair", "repair", "minor_repair", "communication", "predictive"]
            let others = tickets.filter { ticket in
                let number = ticket["id"] as? Int64 ?? (ticket["id"] as? Int).map(Int64.init) ?? -1
                return watched.contains(ticket["type"] as? String ?? "") && !accounted.contains(number)
            }
            let described = others.prefix(5).map { "\($0["type"] as? String ?? "?") \($0["fault"] as? String ?? $0["reason"] as? String ?? "") on \($0["elevator_id"] as? String ?? "?")" }
            checks.append(Check(expectation: "no other fault or communication tickets", found: "\(others.count): \(described.joined(separator: "; "))", matched: others.isEmpty))
        }
        for want in expect.deadLetters {
            let letters = try await list("/api/v1/dead-letters?reason=\(want.reason)&limit=500")
                .filter { ($0["topic"] as? String)?.contains("/\(fleetPrefix)") == true }
            checks.append(Check(expectation: "\(want.count) dead letter\(want.count == 1 ? "" : "s") with reason \(want.reason)", found: "\(letters.count)", matched: letters.count == want.count))
        }
        for want in expect.elevators {
            let id = scenario.elevatorID(want.elevator)
            let elevator = try await object("/api/v1/elevators/\(id)")
            if let online = want.online {
                let got = elevator["online"] as? Bool
                checks.append(Check(expectation: "\(id) \(online ? "online" : "offline")", found: got.map { $0 ? "online" : "offline" } ?? "?", matched: got == online))
            }
            if let state = want.health {
                let got = (elevator["health"] as? [String: Any])?["state"] as? String ?? "?"
                checks.append(Check(expectation: "\(id) health \(state)", found: got, matched: got == state))
            }
            let ingest = elevator["ingest"] as? [String: Any] ?? [:]
            func counter(_ name: String) -> Int { ingest[name] as? Int ?? 0 }
            let bounds: [(String, Int?, Bool)] = [
                ("received", want.receivedAtLeast, true), ("duplicates", want.duplicatesAtLeast, true), ("gaps", want.gapsAtLeast, true),
                ("replayed", want.replayedAtLeast, true), ("lost", want.lostAtMost, false),
            ]
            for (name, bound, atLeast) in bounds {
                guard let bound else { continue }
                let got = counter(name)
                checks.append(Check(expectation: "\(id) \(name) \(atLeast ? "≥" : "≤") \(bound)", found: "\(got)", matched: atLeast ? got >= bound : got <= bound))
            }
        }
        for want in expect.incidents {
            let incidents = try await list("/api/v1/incidents?region=\(want.region)")
            checks.append(Check(expectation: "\(want.count) area incident\(want.count == 1 ? "" : "s") in \(want.region)", found: "\(incidents.count)", matched: incidents.count == want.count))
        }
        return checks
    }

    /// Checks until everything matches or `timeout` passes (LiftWatch may still be settling: replays,
    /// tickets, the silence threshold), returning the last checks.
    public func verify(_ scenario: Scenario, timeout: Duration, onAttempt: ([Check]) -> Void = { _ in }) async throws -> [Check] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let checks = try await check(scenario)
            onAttempt(checks)
            if checks.allSatisfy(\.matched) || ContinuousClock.now >= deadline { return checks }
            try await Task.sleep(for: .seconds(1))
        }
    }

    // MARK: - HTTP

    private func call(_ method: String, _ path: String, body: Data? = nil) async throws -> Any {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do { response = try await HTTPClient.shared.execute(request, timeout: .seconds(30)) } catch {
            throw Failure(message: "\(method) \(baseURL + path): \(error)")
        }
        let bytes = try await response.body.collect(upTo: 64 << 20)
        let data = Data(bytes.readableBytesView)
        guard (200..<300).contains(response.status.code) else {
            throw Failure(message: "\(method) \(path): HTTP \(response.status.code) \(String(decoding: data, as: UTF8.self))")
        }
        return try JSONSerialization.jsonObject(with: data)
    }

    private func object(_ path: String) async throws -> [String: Any] {
        guard let object = try await call("GET", path) as? [String: Any] else { throw Failure(message: "GET \(path): not a JSON object") }
        return object
    }

    /// All items of a paginated listing.
    private func list(_ path: String) async throws -> [[String: Any]] {
        var items: [[String: Any]] = []
        var next: String?
        repeat {
            let page = try await object(path + (next.map { (path.contains("?") ? "&" : "?") + "cursor=\($0)" } ?? ""))
            items += page["items"] as? [[String: Any]] ?? []
            next = page["next"] as? String
        } while next != nil
        return items
    }
}
