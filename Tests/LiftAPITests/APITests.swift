import Foundation
import Hummingbird
import HummingbirdTesting
import LiftCore
import LiftStore
import Testing
import Yams
@testable import LiftAPI

@Suite("HTTP API: roles, routes, figures")
struct APITests {
    /// Every route tried by every kind of caller. `nil` caller: no token; `bad`: a wrong token.
    @Test("role matrix: every role tries every route and gets what its rights allow")
    func roleMatrix() async throws {
        let fixture = try APIFixture()
        let r1 = fixture.ticketIDs["R2"]!, m3 = fixture.ticketIDs["M3"]!
        // (method, uri, body, expected status per caller: admin, regulator, regulator-other, contractor, contractor-other)
        let routes: [(HTTPRequest.Method, String, String?, [HTTPResponse.Status])] = [
            (.get, "/api/v1/units", nil, [.ok, .ok, .ok, .ok, .ok]),
            (.get, "/api/v1/units/U1", nil, [.ok, .ok, .forbidden, .ok, .forbidden]),
            (.put, "/api/v1/units/U7", #"{"region":"430102","rating":"difficult"}"#, [.created, .forbidden, .forbidden, .forbidden, .forbidden]),
            (.get, "/api/v1/elevators", nil, [.ok, .ok, .ok, .ok, .ok]),
            (.get, "/api/v1/elevators/E1", nil, [.ok, .ok, .forbidden, .ok, .forbidden]),
            (.put, "/api/v1/elevators/E7", #"{"region":"430102","unit_id":"U1","contractor_id":"C1","stage":"registered"}"#, [.created, .forbidden, .forbidden, .forbidden, .forbidden]),
            (.get, "/api/v1/elevators/E1/series?metric=door_close_ms&from=0&to=86400000&step=3600000", nil, [.ok, .ok, .forbidden, .ok, .forbidden]),
            (.get, "/api/v1/elevators/E1/dossier", nil, [.ok, .ok, .forbidden, .ok, .forbidden]),
            (.get, "/api/v1/tickets", nil, [.ok, .ok, .ok, .ok, .ok]),
            (.get, "/api/v1/tickets/\(r1)", nil, [.ok, .ok, .forbidden, .ok, .forbidden]),
            (.post, "/api/v1/tickets/\(m3)/actions", #"{"action":"acknowledge"}"#, [.ok, .forbidden, .forbidden, .forbidden, .conflict]),
            (.get, "/api/v1/kpis", nil, [.ok, .ok, .ok, .ok, .ok]),
            (.get, "/api/v1/kpis?region=4301", nil, [.ok, .ok, .forbidden, .ok, .ok]),
            (.get, "/api/v1/kpis?contractor=C2", nil, [.ok, .ok, .ok, .forbidden, .ok]),
            (.get, "/api/v1/dead-letters", nil, [.ok, .ok, .ok, .forbidden, .forbidden]),
            (.post, "/api/v1/dead-letters/replay", "{}", [.ok, .forbidden, .forbidden, .forbidden, .forbidden]),
            (.get, "/api/v1/incidents", nil, [.ok, .ok, .ok, .forbidden, .forbidden]),
            (.get, "/api/v1/incidents?region=4301", nil, [.ok, .ok, .forbidden, .forbidden, .forbidden]),
            (.get, "/api/v1/openapi.yaml", nil, [.ok, .ok, .ok, .ok, .ok]),
            (.get, "/api/v1/units/U1/project", nil, [.ok, .ok, .forbidden, .forbidden, .forbidden]),
            (.post, "/api/v1/units/U1/project/steps", #"{"kind":"application","date":"2026-10-01"}"#, [.created, .forbidden, .forbidden, .forbidden, .forbidden]),
            // JSON is not a document: the administrator is told the type, everyone else that it is not theirs to do.
            (.post, "/api/v1/units/U1/project/documents?name=a.pdf", "{}", [.unsupportedMediaType, .forbidden, .forbidden, .forbidden, .forbidden]),
            (.get, "/api/v1/documents/\(String(repeating: "0", count: 64))", nil, [.notFound, .notFound, .notFound, .notFound, .notFound]),
            (.get, "/api/v1/progress?region=4301", nil, [.ok, .ok, .forbidden, .forbidden, .forbidden]),
            (.get, "/api/v1/map?zoom=7", nil, [.ok, .ok, .ok, .forbidden, .forbidden]),
            (.get, "/api/v1/map/estates?region=430102", nil, [.ok, .ok, .forbidden, .forbidden, .forbidden]),
            (.get, "/api/v1/map/outlines?level=district", nil, [.ok, .ok, .ok, .forbidden, .forbidden]),
            (.get, "/api/v1/property-managers", nil, [.ok, .ok, .ok, .forbidden, .forbidden]),
            (.get, "/api/v1/property-managers/PM1", nil, [.ok, .ok, .forbidden, .forbidden, .forbidden]),
            (.put, "/api/v1/property-managers/PM1", #"{"name":"物业","safety_officer":"王安全"}"#, [.ok, .forbidden, .forbidden, .forbidden, .forbidden]),
            (.get, "/api/v1/property-managers/PM1/duties", nil, [.ok, .ok, .forbidden, .forbidden, .forbidden]),
            (.post, "/api/v1/property-managers/PM1/duties", #"{"kind":"weekly_review"}"#, [.created, .forbidden, .forbidden, .forbidden, .forbidden]),
            (.get, "/api/v1/property-managers/PM1/hazards", nil, [.ok, .ok, .forbidden, .forbidden, .forbidden]),
            (.post, "/api/v1/property-managers/PM1/hazards", #"{"elevator_id":"E1","description":"底坑积水","fix_by":9999999999999}"#,
             [.created, .forbidden, .forbidden, .forbidden, .forbidden]),
            (.post, "/api/v1/property-managers/PM1/hazards/1/fix", "{}", [.ok, .forbidden, .forbidden, .forbidden, .forbidden]),
            (.get, "/api/v1/technicians", nil, [.ok, .ok, .ok, .ok, .ok]),
            (.put, "/api/v1/technicians/T1", #"{"contractor_id":"C2","name":"李师傅","certificate_no":"TS-1","certificate_expires_on":"2027-12-31"}"#,
             [.ok, .forbidden, .forbidden, .forbidden, .forbidden]),
            // JSON is not a photo: contractors are told the type; an admin must name the contractor first.
            (.post, "/api/v1/photos", "{}", [.badRequest, .forbidden, .forbidden, .unsupportedMediaType, .unsupportedMediaType]),
            (.get, "/api/v1/photos/\(String(repeating: "0", count: 64))", nil, [.notFound, .notFound, .notFound, .notFound, .notFound]),
            (.get, "/api/v1/tickets/\(m3)/maintenance-record", nil, [.ok, .ok, .forbidden, .forbidden, .ok]),
            (.post, "/api/v1/tickets/\(m3)/maintenance-record", "{}", [.badRequest, .forbidden, .forbidden, .forbidden, .badRequest]),
            (.post, "/api/v1/tickets/\(m3)/maintenance-record/confirm", nil, [.notFound, .forbidden, .forbidden, .forbidden, .forbidden]),
            // E1 had its maintenance closed (M1): an unscheduled visit opens.
            (.post, "/api/v1/elevators/E1/maintenance-requests", #"{"level":"quarter"}"#, [.created, .forbidden, .forbidden, .forbidden, .forbidden]),
        ]
        let zeros = String(repeating: "0", count: 64)
        let tried: Set<String> = Set(routes.map { (route: (HTTPRequest.Method, String, String?, [HTTPResponse.Status])) -> String in
            let path = "\(route.0.rawValue) \(route.1.split(separator: "?")[0])"
            return path.replacingOccurrences(of: "/\(r1)", with: "/{id}").replacingOccurrences(of: "/\(m3)", with: "/{id}")
                .replacingOccurrences(of: "U1", with: "{unit_id}").replacingOccurrences(of: "U7", with: "{unit_id}")
                .replacingOccurrences(of: "E1", with: "{elevator_id}").replacingOccurrences(of: "E7", with: "{elevator_id}")
                .replacingOccurrences(of: zeros, with: "{sha256}").replacingOccurrences(of: "PM1", with: "{manager_id}")
                .replacingOccurrences(of: "/hazards/1/", with: "/hazards/{hazard_id}/").replacingOccurrences(of: "/technicians/T1", with: "/technicians/{technician_id}")
        }).union(["GET /api/v1/stream"])
        let served: Set<String> = Set(APIRoutes.all.map { "\($0.method) \($0.path)" })
        #expect(tried == served, "the matrix covers every route")
        let callers = ["admin", "regulator", "regulator-other", "contractor", "contractor-other"]
        try await fixture.application.test(.router) { client in
            for (method, uri, body, expected) in routes {
                for (caller, status) in zip(callers, expected) {
                    let (got, json, text) = try await client.call(method, uri, fixture.headers(caller), body: body)
                    #expect(got == status, "\(caller) \(method) \(uri): \(text)")
                    if got.code >= 400 { #expect((json?["error"] as? [String: Any])?["code"] is String, "error shape for \(caller) \(uri)") }
                }
                if uri.hasSuffix("openapi.yaml") { continue }
                let (missing, json, _) = try await client.call(method, uri, fixture.headers(nil), body: body)
                #expect(missing == .unauthorized && (json?["error"] as? [String: Any])?["code"] as? String == "unauthorized", "no token \(uri)")
                let (wrong, _, _) = try await client.call(method, uri, fixture.headers("bad"), body: body)
                #expect(wrong == .unauthorized, "wrong token \(uri)")
            }
        }
    }

    @Test("lists are scoped: a regulator sees its region, a contractor its own elevators and tickets")
    func scopedLists() async throws {
        let fixture = try APIFixture()
        try await fixture.application.test(.router) { client in
            func ids(_ who: String, _ uri: String, _ key: String) async throws -> [String] {
                let (_, json, _) = try await client.call(.get, uri, fixture.headers(who))
                return (json?["items"] as? [[String: Any]] ?? []).map { "\($0[key] ?? "")" }
            }
            #expect(try await ids("regulator", "/api/v1/elevators", "elevator_id") == ["E1", "E2", "E3", "E4"])
            #expect(try await ids("regulator-other", "/api/v1/elevators", "elevator_id") == ["E9"])
            #expect(try await ids("contractor", "/api/v1/elevators", "elevator_id") == ["E1", "E2", "E4"])
            #expect(try await ids("contractor-other", "/api/v1/tickets", "elevator_id").sorted() == ["E3", "E3", "E9"])
            #expect(try await ids("contractor", "/api/v1/units", "unit_id") == ["U1", "U2", "U4"])
            let (status, json, _) = try await client.call(.get, "/api/v1/elevators?region=4302", fixture.headers("regulator"))
            #expect(status == .forbidden && ((json?["error"] as? [String: Any])?["message"] as? String)?.contains("outside your scope 4301") == true)
        }
    }

    @Test("an elevator carries the contract's fields, with health and its open tickets")
    func elevatorShape() async throws {
        let fixture = try APIFixture()
        try await fixture.application.test(.router) { client in
            let (status, json, _) = try await client.call(.get, "/api/v1/elevators/E2", fixture.headers("admin"))
            #expect(status == .ok)
            let e = try #require(json)
            for key in ["elevator_id", "unit_id", "region", "contractor_id", "stage", "online", "last_seen", "health", "open_tickets"] {
                #expect(e.keys.contains(key), "\(key)")
            }
            let health = try #require(e["health"] as? [String: Any])
            #expect(health["state"] as? String == "offline" && (health["score"] as? Int ?? 100) < 100 && !(health["reasons"] as? [String] ?? []).isEmpty)
            #expect(e["open_tickets"] as? [Int64] == [fixture.ticketIDs["CB"]!])
        }
    }

    @Test("ticket steps through the API: in order they pass, out of order they are refused with the step expected")
    func ticketActions() async throws {
        let fixture = try APIFixture()
        let id = fixture.ticketIDs["CB"]!  // acknowledged
        try await fixture.application.test(.router) { client in
            let (refused, json, _) = try await client.call(.post, "/api/v1/tickets/\(id)/actions", fixture.headers("contractor"), body: #"{"action":"resolve"}"#)
            #expect(refused == .conflict)
            let error = try #require(json?["error"] as? [String: Any])
            #expect(error["code"] as? String == "invalid_transition" && error["message"] as? String == "cannot resolve a ticket that is acknowledged: the next step is arrive")
            let (ok, ticket, _) = try await client.call(.post, "/api/v1/tickets/\(id)/actions", fixture.headers("contractor"), body: #"{"action":"arrive","note":"on site"}"#)
            #expect(ok == .ok && ticket?["status"] as? String == "on_site" && ticket?["on_site_at"] as? Int64 == APIFixture.now)
            let (_, shown, _) = try await client.call(.get, "/api/v1/tickets/\(id)", fixture.headers("contractor"))
            let steps = try #require(shown?["steps"] as? [[String: Any]])
            #expect(steps.last?["actor"] as? String == "contractor:C1" && steps.last?["note"] as? String == "on site")
            let (bad, badJSON, _) = try await client.call(.post, "/api/v1/tickets/\(id)/actions", fixture.headers("contractor"), body: #"{"action":"fly"}"#)
            #expect(bad == .badRequest && (badJSON?["error"] as? [String: Any])?["message"] as? String == "action: expected one of acknowledge, arrive, resolve, close, cancel, contact, release, follow_up, answer, got \"fly\"")
            let (noBody, _, _) = try await client.call(.post, "/api/v1/tickets/\(id)/actions", fixture.headers("contractor"), body: "not json")
            #expect(noBody == .badRequest)
            let big = "{\"action\":\"arrive\",\"note\":\"" + String(repeating: "x", count: 70_000) + "\"}"
            let (tooLarge, _, _) = try await client.call(.post, "/api/v1/tickets/\(id)/actions", fixture.headers("contractor"), body: big)
            #expect(tooLarge == .contentTooLarge)
        }
    }

    @Test("filters are validated with clear errors; lists page with cursors")
    func filtersAndPages() async throws {
        let fixture = try APIFixture()
        try await fixture.application.test(.router) { client in
            for (uri, message) in [
                ("/api/v1/elevators?region=43010", "region: expected a place code of 2, 4, 6, 9 or 12 digits (province, city, district, street, community), got \"43010\""),
                ("/api/v1/tickets?status=done", "status: expected one or more of open, acknowledged, on_site, resolved, closed, cancelled, got \"done\""),
                ("/api/v1/units?colour=red", "colour: unknown parameter (known: cursor, limit, rating, region, stage)"),
                ("/api/v1/tickets?limit=0", "limit: expected an integer from 1 to 1000, got \"0\""),
                ("/api/v1/elevators/E1/series?metric=pressure", "metric: expected one of speed, load_kg, motor_temp_c, cabin_temp_c, vibration_mg, level_error_mm, door_close_ms, got \"pressure\""),
                ("/api/v1/kpis?from=100&to=50", "from: must be before to"),
                ("/api/v1/elevators/E1/series?metric=speed&from=0&to=3456000000&step=3599000",
                 "step: this step is computed from raw samples here, which is limited to 31 days; use a step of whole hours"),
                ("/api/v1/elevators/E1/series?metric=speed&from=0&to=32503680000000&step=86400000",
                 "step: gives more than 10,000 points for this range; use a larger step"),
                ("/api/v1/elevators?contractor=x%27%20OR%201=1", "contractor: expected an id of [A-Za-z0-9_-]{1,64}, got \"x' OR 1=1\""),
                ("/api/v1/tickets?cursor=%%%", "cursor: not a cursor this API returned"),
            ] {
                let (status, json, text) = try await client.call(.get, uri, fixture.headers("admin"))
                #expect(status == .badRequest, "\(uri): \(text)")
                #expect((json?["error"] as? [String: Any])?["message"] as? String == message, "\(uri): \(text)")
                #expect((json?["error"] as? [String: Any])?["code"] as? String == "invalid_parameter")
            }
            var seen: [Int64] = []
            var uri = "/api/v1/tickets?limit=3"
            while true {
                let (_, json, _) = try await client.call(.get, uri, fixture.headers("admin"))
                seen += (json?["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int64 }
                guard let next = json?["next"] as? String else { break }
                uri = "/api/v1/tickets?limit=3&cursor=\(next)"
            }
            #expect(seen == Array(fixture.ticketIDs.values).sorted())
        }
    }

    @Test("KPIs equal the figures computed by hand in docs/kpis.md, as JSON and CSV")
    func kpiFixture() async throws {
        let fixture = try APIFixture()
        try await fixture.application.test(.router) { client in
            let (status, k, text) = try await client.call(.get, "/api/v1/kpis?region=4301&from=\(APIFixture.t0)&to=\(APIFixture.now)", fixture.headers("admin"))
            #expect(status == .ok, "\(text)")
            let kpis = try #require(k)
            func number(_ key: String) -> Double? { (kpis[key] as? NSNumber)?.doubleValue }
            #expect(kpis["elevators_in_service"] as? Int == 3 && kpis["elevators_out_of_service_for_safety"] as? Int == 0)
            #expect(kpis["rescue_tickets"] as? Int == 2 && kpis["rescue_tickets_cancelled"] as? Int == 0 && kpis["self_tests_overdue"] as? Int == 0)
            #expect(abs((number("share_online") ?? 0) - 1.0 / 3) < 1e-9)
            #expect(kpis["faults"] as? Int == 5)
            #expect(kpis["faults_by_class"] as? [String: Int] == ["rescue": 2, "repair": 1, "safety": 1, "minor": 1])
            #expect(abs((number("faults_per_100_elevator_months") ?? 0) - 500.0 / 3) < 1e-9)
            #expect(abs((number("entrapments_per_100_elevator_months") ?? 0) - 200.0 / 3) < 1e-9)
            #expect(number("rescue_mean_seconds_to_acknowledge") == 180 && number("rescue_mean_seconds_to_arrive") == 1800)
            #expect(number("rescue_share_on_site_within_30_minutes") == 0.5 && number("rescue_mean_seconds_to_resolve") == 2250)
            #expect(kpis["maintenance_due"] as? Int == 3 && kpis["maintenance_on_time"] as? Int == 1)
            #expect(abs((number("maintenance_on_time_rate") ?? 0) - 1.0 / 3) < 1e-9)
            #expect(kpis["overdue_tickets_now"] as? Int == 1 && kpis["unverified_closures"] as? Int == 1)
            #expect(kpis["repeat_fault_elevators"] as? Int == 1 && kpis["callbacks"] as? Int == 1 && kpis["inspections_overdue"] as? Int == 1)
            #expect(kpis["trips"] as? Int == 660)
            #expect(abs((number("faults_per_10000_trips") ?? 0) - 5.0 / 660 * 10_000) < 1e-9)
            let top = try #require(kpis["top_elevators_by_faults"] as? [[String: Any]])
            #expect(top.map { "\($0["id"]!):\($0["count"]!)" } == ["E1:3", "E2:1", "E3:1"])
            #expect((kpis["top_contractors_by_faults"] as? [[String: Any]])?.map { "\($0["id"]!):\($0["count"]!)" } == ["C1:4", "C2:1"])
            #expect((kpis["top_units_by_entrapments"] as? [[String: Any]])?.map { "\($0["id"]!):\($0["count"]!)" } == ["U1:2"])

            let (_, _, csv) = try await client.call(.get, "/api/v1/kpis?region=4301&from=\(APIFixture.t0)&to=\(APIFixture.now)&format=csv", fixture.headers("admin"))
            #expect(csv.hasPrefix("figure,value,count\n"))
            #expect(csv.contains("\nelevators_in_service,3,\n") && csv.contains("\nfaults_per_100_elevator_months,166.6667,\n"))
            #expect(csv.contains("\ntrips,660,\n") && csv.contains("\ntop_elevators_by_faults_1,E1,3\n"))
            // A contractor's figures: its own elevators only (E1, E2 in service).
            let (_, c1, _) = try await client.call(.get, "/api/v1/kpis?from=\(APIFixture.t0)&to=\(APIFixture.now)", fixture.headers("contractor"))
            #expect(c1?["elevators_in_service"] as? Int == 2 && c1?["faults"] as? Int == 4)
        }
    }

    @Test("the OpenAPI document lists exactly the routes the router serves")
    func openAPIAgrees() async throws {
        let fixture = try APIFixture()
        let text = try String(contentsOfFile: fixture.context.openAPIPath, encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: Any])
        var documented: Set<String> = []
        for (path, value) in paths {
            for method in (value as? [String: Any] ?? [:]).keys where ["get", "put", "post", "delete", "patch"].contains(method) {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        let served = Set(APIRoutes.all.map { "\($0.method) \($0.path)" })
        #expect(documented == served, "only in the document: \(documented.subtracting(served)); only served: \(served.subtracting(documented))")
        // And each listed route is really routed: the router answers something other than its own 404.
        try await fixture.application.test(.router) { client in
            for route in APIRoutes.all where route.path != "/api/v1/stream" {
                let uri = route.path.replacingOccurrences(of: "{unit_id}", with: "U1").replacingOccurrences(of: "{elevator_id}", with: "E1")
                    .replacingOccurrences(of: "{id}", with: "1")
                let (status, json, _) = try await client.call(.init(rawValue: route.method)!, uri, fixture.headers("admin"), body: "{}")
                let message = (json?["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(!(status == .notFound && !message.hasPrefix("no ")), "\(route.method) \(uri) is not routed")
            }
            let (status, _, served) = try await client.call(.get, "/api/v1/openapi.yaml", HTTPFields())
            #expect(status == .ok && served == text)
        }
    }

    @Test("repeated failed authentication from one address is slowed down")
    func throttle() async throws {
        let fixture = try APIFixture()
        try await fixture.application.test(.router) { client in
            for _ in 0..<6 { _ = try await client.call(.get, "/api/v1/units", fixture.headers("bad")) }
            let started = ContinuousClock.now
            let (status, _, _) = try await client.call(.get, "/api/v1/units", fixture.headers("bad"))
            #expect(status == .unauthorized && ContinuousClock.now - started >= .milliseconds(450))
        }
    }

    @Test("pages need a login; the token is kept in an HttpOnly, SameSite cookie; assets cannot be walked out of")
    func pagesAndLogin() async throws {
        let fixture = try APIFixture()
        try await fixture.application.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location]?.hasPrefix("/login") == true)
            }
            let token = fixture.tokens["regulator"]!
            let cookie = try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                  body: ByteBuffer(string: "token=\(token)&next=%2F")) { response in
                #expect(response.headers[.location] == "/")
                let setCookie = response.headers[.setCookie] ?? ""
                #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax"))
                return setCookie.split(separator: ";")[0]
            }
            for page in ["/", "/elevators/E1"] {
                try await client.execute(uri: page, method: .get, headers: [.cookie: String(cookie)]) { response in
                    #expect(response.status == .ok, "\(page)")
                    #expect(String(buffer: response.body).contains("LiftWatch"))
                }
            }
            try await client.execute(uri: "/elevators/E9", method: .get, headers: [.cookie: String(cookie)]) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "token=lw_nope")) {
                #expect($0.headers[.location] == "/login?failed=1")
            }
            for path in ["/assets/../../etc/passwd", "/assets/leaflet/../../../etc/passwd", "/assets/leaflet/%2e%2e/%2e%2e/etc/passwd", "/assets/jquery/jquery.js"] {
                try await client.execute(uri: path, method: .get) { #expect($0.status == .notFound, "\(path)") }
            }
            try await client.execute(uri: "/assets/leaflet/leaflet.css", method: .get) { response in
                #expect(response.status == .ok && response.headers[.contentType]?.hasPrefix("text/css") == true)
            }
        }
    }
}
