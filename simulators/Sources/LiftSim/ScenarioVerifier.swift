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

    /// Carries out the scenario's field steps in order (see `FieldStep`), printing each: with `beforeFleet`, the
    /// property manager's taking charge (it must be on record when a rescue is dispatched); else all the others.
    public func perform(_ scenario: Scenario, beforeFleet: Bool = false, log: (String) -> Void = { print($0) }) async throws {
        let prefix = scenario.fleet.prefix
        for step in scenario.field where step.beforeFleet == beforeFleet {
            if step.wait > 0 { try await Task.sleep(for: .milliseconds(Int(step.wait * 1000))) }
            let id = step.elevator.map { scenario.elevatorID($0) } ?? ""
            switch step.action {
            case .propertyManager:
                _ = try await call("PUT", "/api/v1/property-managers/\(prefix)-PM", body: try json([
                    "name": "\(prefix) 物业服务有限公司", "safety_officer": "王安全", "safety_officer_phone": "13800000000",
                ]))
                for index in step.elevators {
                    _ = try await call("PUT", "/api/v1/elevators/\(scenario.elevatorID(index))", body: try json(["property_manager_id": "\(prefix)-PM"]))
                }
                log("field: \(prefix)-PM manages \(step.elevators.map { scenario.elevatorID($0) }.joined(separator: ", "))")
            case .waitForTicket:
                let deadline = ContinuousClock.now + .milliseconds(Int((step.seconds ?? 30) * 1000))
                while try await ticket(of: id, type: step.type!, activeOnly: true) == nil {
                    guard ContinuousClock.now < deadline else { throw Failure(message: "no active \(step.type!) ticket on \(id) within \(step.seconds ?? 30) s") }
                    try await Task.sleep(for: .milliseconds(500))
                }
                log("field: \(id) has its \(step.type!) ticket")
            case .step:
                guard let ticket = try await ticket(of: id, type: step.type!, activeOnly: false), let number = ticket["id"] as? Int else {
                    throw Failure(message: "no \(step.type!) ticket on \(id) for \(step.step!)")
                }
                var body: [String: Any] = ["action": step.step!]
                for (key, value) in [("passengers", step.passengers), ("injuries", step.injuries)] { if let value { body[key] = value } }
                for (key, value) in [("cause", step.cause), ("responder", step.responder), ("note", step.note)] { if let value { body[key] = value } }
                _ = try await call("POST", "/api/v1/tickets/\(number)/actions", body: try json(body))
                log("field: \(step.step!) on \(step.type!) ticket \(number) of \(id)")
            case .residentReport:
                var form = "category=\(step.category!)"
                if let text = step.text { form += "&note=" + (text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") }
                try await post(form: form, to: "/lift/\(id)/report")
                log("field: a resident reports \(step.category!) on \(id)")
            case .maintenanceRequest:
                _ = try await call("POST", "/api/v1/elevators/\(id)/maintenance-requests", body: try json(["level": "half_month", "reason": "scenario \(scenario.name)"]))
                log("field: an unscheduled maintenance visit of \(id) asked for")
            case .maintenanceRecord:
                guard let ticket = try await ticket(of: id, type: "maintenance", activeOnly: true), let number = ticket["id"] as? Int else {
                    throw Failure(message: "no open maintenance ticket on \(id)")
                }
                let contractor = scenario.fleet.contractor
                _ = try await call("PUT", "/api/v1/technicians/\(prefix)-T1", body: try json([
                    "contractor_id": contractor, "name": "李师傅", "certificate_no": "TS-\(prefix)-1", "certificate_expires_on": "2099-12-31",
                ]))
                let photo = try await call(
                    "POST", "/api/v1/photos?contractor=\(contractor)", body: Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array("\(prefix) \(number)".utf8)),
                    contentType: "image/png") as? [String: Any]
                let details = try await object("/api/v1/tickets/\(number)")
                let items = (details["checklist"] as? [Any] ?? []).indices.map { ["no": $0 + 1, "result": "ok"] as [String: Any] }
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                _ = try await call("POST", "/api/v1/tickets/\(number)/maintenance-record", body: try json([
                    "client_key": "\(prefix)-\(number)-record", "technicians": ["\(prefix)-T1"], "check_in_at": now - Int64((step.seconds ?? 3_600) * 1000),
                    "check_out_at": now, "items": items, "photos": [photo?["sha256"] as? String ?? ""],
                ]))
                log("field: a \(Int(step.seconds ?? 3_600)) s maintenance record for ticket \(number) of \(id)")
            }
        }
    }

    /// The newest ticket of an elevator of a type (an active one only, when asked).
    private func ticket(of elevatorID: String, type: String, activeOnly: Bool) async throws -> [String: Any]? {
        let status = activeOnly ? "&status=open,acknowledged,on_site" : ""
        return try await list("/api/v1/tickets?elevator=\(elevatorID)&type=\(type)\(status)&limit=500").last
    }

    private func json(_ object: [String: Any]) throws -> Data { try JSONSerialization.data(withJSONObject: object) }

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
            if let signal = want.signal {
                let got = first["signal"] as? String ?? "null"
                checks.append(Check(expectation: "  signal \(signal)", found: got, matched: got == signal))
            }
            if let level = want.escalationLevel {
                let got = (first["rescue"] as? [String: Any])?["escalation_level"] as? String ?? "null"
                checks.append(Check(expectation: "  escalated to \(level)", found: got, matched: got == level))
            }
            if !want.recordFlags.isEmpty, let number = first["id"] as? Int {
                let record = (try await object("/api/v1/tickets/\(number)/maintenance-record"))["record"] as? [String: Any]
                let flags = Set(record?["flags"] as? [String] ?? [])
                for flag in want.recordFlags {
                    checks.append(Check(expectation: "  record flagged \(flag)", found: record == nil ? "no record" : flags.sorted().joined(separator: ","), matched: flags.contains(flag)))
                }
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

    /// A form posted as a browser would (the residents' page; no token).
    private func post(form: String, to path: String) async throws {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: form))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        guard (200..<400).contains(response.status.code) else { throw Failure(message: "POST \(path): HTTP \(response.status.code)") }
    }

    private func call(_ method: String, _ path: String, body: Data? = nil, contentType: String = "application/json") async throws -> Any {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
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
