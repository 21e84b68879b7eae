import Foundation
import Hummingbird
import HummingbirdTesting
import LiftCore
import LiftStore
import Testing
@testable import LiftAPI

/// Issue 23 items 4 and 8: the regulated party cannot edit its own record, scopes hold everywhere, and the pages
/// resist a hostile address, a cross-site form and a stolen cookie.
@Suite("HTTP API: scopes, cancelling, sessions and pages")
struct ScopeAndHardeningTests {
    @Test("a contractor gets 403 cancelling a rescue; cancelling without a note is a 400 naming the note")
    func cancelling() async throws {
        let fixture = try APIFixture()
        let rescue = fixture.ticketIDs["R2"]!, repair = fixture.ticketIDs["CB"]!
        try await fixture.application.test(.router) { client in
            let (refused, json, _) = try await client.call(.post, "/api/v1/tickets/\(rescue)/actions", fixture.headers("contractor"),
                                                         body: #"{"action":"cancel","note":"no one trapped"}"#)
            #expect(refused == .forbidden)
            #expect(((json?["error"] as? [String: Any])?["message"] as? String)?.contains("may not cancel a rescue ticket") == true)
            let (missing, error, _) = try await client.call(.post, "/api/v1/tickets/\(repair)/actions", fixture.headers("contractor"), body: #"{"action":"cancel"}"#)
            #expect(missing == .badRequest)
            let detail = error?["error"] as? [String: Any]
            #expect(detail?["code"] as? String == "invalid_field" && (detail?["message"] as? String)?.hasPrefix("note:") == true)
            let (cancelled, ticket, _) = try await client.call(.post, "/api/v1/tickets/\(repair)/actions", fixture.headers("contractor"),
                                                             body: #"{"action":"cancel","note":"door replaced under warranty"}"#)
            #expect(cancelled == .ok && ticket?["status"] as? String == "cancelled")
            let (admin, _, _) = try await client.call(.post, "/api/v1/tickets/\(rescue)/actions", fixture.headers("admin"),
                                                    body: #"{"action":"cancel","note":"test call of the 96366 line"}"#)
            #expect(admin == .ok)
        }
        // Both cancellations wait in the outbox for the region's alerts topic.
        let alerts = try fixture.database.outbox.due(now: .max).filter { $0.topic == "regulator/430102/alerts" }
        #expect(alerts.count == 2)
        let texts = alerts.map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(texts.contains { $0.contains(#""alert":"rescue ticket cancelled by admin:token-1: test call of the 96366 line""#) })
        #expect(texts.contains { $0.contains(#""alert":"repair ticket cancelled by contractor:C1: door replaced under warranty""#) })
    }

    @Test("a regulator asking for a contractor's figures gets only the tickets of its own region")
    func kpisOfAContractorStayInTheRegion() async throws {
        let fixture = try APIFixture()
        try await fixture.application.test(.router) { client in
            let window = "from=\(APIFixture.t0)&to=\(APIFixture.now)"
            let (_, ours, _) = try await client.call(.get, "/api/v1/kpis?contractor=C2&\(window)", fixture.headers("regulator"))
            // M3 in 4301 is C2's; X9 (also C2's, overdue) is in 4302 and must not be counted here.
            #expect(ours?["overdue_tickets_now"] as? Int == 1)
            let (_, theirs, _) = try await client.call(.get, "/api/v1/kpis?contractor=C2&\(window)", fixture.headers("regulator-other"))
            #expect(theirs?["overdue_tickets_now"] as? Int == 1)
            let (_, all, _) = try await client.call(.get, "/api/v1/kpis?contractor=C2&\(window)", fixture.headers("admin"))
            #expect(all?["overdue_tickets_now"] as? Int == 2)
        }
    }

    @Test("a unit id equal to an elevator id never brings another region's dossier")
    func dossierByElevatorOnly() async throws {
        let fixture = try APIFixture()
        try fixture.database.upsertUnit(
            UnitRecord(unitID: "E1", region: "430202", address: "另一个区的秘密地址", lat: 28.1, lon: 112.9, floors: 7, rating: .difficult), at: 0, by: "test")
        try await fixture.application.test(.router) { client in
            let (status, json, text) = try await client.call(.get, "/api/v1/elevators/E1/dossier", fixture.headers("regulator"))
            #expect(status == .ok)
            #expect((json?["unit"] as? [String: Any])?["unit_id"] as? String == "U1")
            #expect(!text.contains("另一个区的秘密地址"))
        }
    }

    @Test("dossiers and elevator pages show a contractor its own tickets only, as the ticket lists do")
    func ticketsFollowTheCaller() async throws {
        let fixture = try APIFixture()
        // A ticket of E3 from when C1 maintained it.
        let old = Ticket(elevatorID: "E3", region: "430102", unitID: "U3", contractorID: "C1", type: .repair, openedAt: APIFixture.t0,
                         fault: .doorOpenFailure, reason: "work of the former contractor C1")
        let oldID = try #require(try fixture.database.insertTicket(old, by: "test", at: APIFixture.t0)).id
        try await fixture.application.test(.router) { client in
            let (_, dossier, _) = try await client.call(.get, "/api/v1/elevators/E3/dossier", fixture.headers("contractor-other"))
            let tickets = ((dossier?["elevators"] as? [[String: Any]])?.first?["tickets"] as? [[String: Any]]) ?? []
            #expect(!tickets.isEmpty)
            #expect(tickets.allSatisfy { $0["contractor_id"] as? String == "C2" })
            let (_, adminDossier, _) = try await client.call(.get, "/api/v1/elevators/E3/dossier", fixture.headers("admin"))
            let all = ((adminDossier?["elevators"] as? [[String: Any]])?.first?["tickets"] as? [[String: Any]]) ?? []
            #expect(all.contains { $0["contractor_id"] as? String == "C1" })
            let page = try await client.execute(uri: "/elevators/E3", method: .get, headers: fixture.headers("contractor-other")) { String(buffer: $0.body) }
            #expect(page.contains("电梯 E3"))
            #expect(!page.contains("<tr><td>\(oldID)</td>"), "the former contractor's ticket is not on the page")
            let adminPage = try await client.execute(uri: "/elevators/E3", method: .get, headers: fixture.headers("admin")) { String(buffer: $0.body) }
            #expect(adminPage.contains("<tr><td>\(oldID)</td>"))
        }
    }

    @Test("pages carry no inline script or style, under a CSP without 'unsafe-inline'; a hostile address stays data")
    func pagesWithoutInlineCode() async throws {
        let fixture = try APIFixture()
        let hostile = #"<img src=x onerror="alert(1)"></script><script>alert(2)</script>"#
        try fixture.database.upsertUnit(
            UnitRecord(unitID: "U1", region: "430102", address: hostile, lat: 28.2, lon: 113.0, floors: 6, rating: .suitable, stage: .inService), at: 1, by: "test")
        try await fixture.application.test(.router) { client in
            for uri in ["/", "/elevators/E1", "/contractor?id=C1", "/api/v1/elevators/E1/dossier?format=html", "/login", "/progress?region=4301"] {
                let (policy, body) = try await client.execute(uri: uri, method: .get, headers: fixture.headers("admin")) { response in
                    (response.headers[.init("Content-Security-Policy")!] ?? "", String(buffer: response.body))
                }
                #expect(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"), "\(uri): \(policy)")
                #expect(!body.contains(" style=\""), "\(uri) has an inline style attribute")
                #expect(!body.contains("<style"), "\(uri) has a style element")
                // Every script is either a file of LiftWatch's or a JSON data block.
                let scripts = body.components(separatedBy: "<script").dropFirst()
                if uri != "/login" { #expect(!scripts.isEmpty, "\(uri) has no script") }
                for script in scripts {
                    let kind = [" src=\"/assets/", " type=\"application/json\""].first { script.hasPrefix($0) }
                    #expect(kind != nil, "\(uri): <script\(script.prefix(60))")
                }
                #expect(!body.contains("<img src=x"), "\(uri) carries the address as markup")
            }
            // The map's units come as JSON from the API, and the page's script sets them as text.
            let units = try await client.execute(uri: "/api/v1/map?zoom=16&bbox=28.1,112.9,28.3,113.1", method: .get, headers: fixture.headers("admin")) {
                try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any]
            }
            #expect((units?["units"] as? [[String: Any]])?.first?["address"] as? String == hostile, "the address comes back as it was given, as JSON data")
            let script = try await client.execute(uri: "/assets/app/overview.js", method: .get, headers: [:]) { String(buffer: $0.body) }
            #expect(script.contains("bindPopup(function () { return unitPopup(unit); })"))
            #expect(script.contains("line(box, unit.address)") && script.contains("box.appendChild(text(value))"))
            #expect(!script.contains("innerHTML"))
        }
    }

    @Test("a login sends the browser on only to LiftWatch's own pages")
    func loginNext() async throws {
        let fixture = try APIFixture()
        let token = fixture.tokens["regulator"]!
        try await fixture.application.test(.router) { client in
            for (next, expected) in [
                ("/elevators/E1", "/elevators/E1"), ("/progress?region=4301&year=2026&month=10", "/progress?region=4301&year=2026&month=10"),
                ("//evil.example/", "/"), ("https://evil.example/", "/"), ("/\\evil.example", "/"),
                ("/%0d%0aSet-Cookie:x", "/"), ("javascript:alert(1)", "/"), ("/login?next=//evil", "/"),
            ] {
                let encoded = next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let location = try await client.execute(
                    uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: "token=\(token)&next=\(encoded)")
                ) { $0.headers[.location] }
                #expect(location == expected, "next=\(next) went to \(location ?? "nowhere")")
            }
            // A login form posted from another site is refused.
            let crossSite = try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .origin: "https://evil.example"],
                body: ByteBuffer(string: "token=\(token)&next=%2F")) { ($0.headers[.location], $0.headers[.setCookie]) }
            #expect(crossSite.0 == "/login?failed=1" && crossSite.1 == nil)
            let form = try await client.execute(uri: "/login?next=//evil.example", method: .get, headers: [:]) { String(buffer: $0.body) }
            #expect(!form.contains("evil.example"))
        }
    }

    @Test("the cookie holds a session, not the token; cookie writes need LiftWatch's Origin and JSON; logout ends the session")
    func sessions() async throws {
        let fixture = try APIFixture()
        let token = fixture.tokens["admin"]!
        let m3 = fixture.ticketIDs["M3"]!
        try await fixture.application.test(.live) { client in
            let cookie = try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .init("X-Forwarded-Proto")!: "https"],
                body: ByteBuffer(string: "token=\(token)&next=%2F")
            ) { $0.headers[.setCookie] ?? "" }
            #expect(cookie.hasPrefix("lw_session=lws_") && !cookie.contains(token) && !cookie.contains(String(token.dropFirst(3).prefix(16))))
            #expect(cookie.contains("HttpOnly") && cookie.contains("Secure") && cookie.contains("SameSite=Lax"))
            let session = String(cookie.split(separator: ";")[0])
            #expect(try await client.execute(uri: "/", method: .get, headers: [.cookie: session]) { $0.status } == .ok)
            // The old kind of cookie, the token itself, opens nothing.
            #expect(try await client.execute(uri: "/", method: .get, headers: [.cookie: "lw_token=\(token)"]) { $0.status } == .seeOther)

            let action = ByteBuffer(string: #"{"action":"acknowledge"}"#)
            // A form on another site: no Origin of ours, or the wrong content type.
            #expect(try await client.execute(uri: "/api/v1/tickets/\(m3)/actions", method: .post, headers: [.cookie: session, .contentType: "application/json"],
                                             body: action) { $0.status } == .forbidden)
            #expect(try await client.execute(uri: "/api/v1/tickets/\(m3)/actions", method: .post,
                                             headers: [.cookie: session, .contentType: "application/json", .origin: "https://evil.example"],
                                             body: action) { $0.status } == .forbidden)
            #expect(try await client.execute(uri: "/api/v1/tickets/\(m3)/actions", method: .post,
                                             headers: [.cookie: session, .contentType: "text/plain", .origin: "http://localhost:\(client.port!)"],
                                             body: action) { $0.status } == .forbidden)
            let (status, text) = try await client.execute(uri: "/api/v1/tickets/\(m3)/actions", method: .post,
                                             headers: [.cookie: session, .contentType: "application/json", .origin: "http://localhost:\(client.port!)"],
                                             body: action) { ($0.status, String(buffer: $0.body)) }
            #expect(status == .ok, "\(text)")
            // Logged out: the same cookie no longer works.
            _ = try await client.execute(uri: "/logout", method: .get, headers: [.cookie: session]) { $0.status }
            #expect(try await client.execute(uri: "/", method: .get, headers: [.cookie: session]) { $0.status } == .seeOther)
            #expect(try await client.execute(uri: "/api/v1/tickets", method: .get, headers: [.cookie: session]) { $0.status } == .unauthorized)
        }
    }

    @Test("live streams are bounded: a few per token, and a subscriber that falls behind is cut off")
    func streamBounds() async throws {
        let hub = EventHub(bufferPerStream: 8, streamsPerPrincipal: 2, maximumStreams: 3)
        let first = try hub.subscribe(principal: 1)
        let second = try hub.subscribe(principal: 1)
        #expect(throws: EventHub.Refusal.self) { try hub.subscribe(principal: 1) }
        let other = try hub.subscribe(principal: 2)
        #expect(throws: EventHub.Refusal.self) { try hub.subscribe(principal: 3) }
        #expect(hub.subscriberCount == 3)
        // Nobody reads `first`: past its buffer it ends instead of growing.
        let ticket = Ticket(elevatorID: "E1", region: "430102", type: .repair, openedAt: 0, reason: "x")
        for _ in 0..<20 { hub.publish(ticket: ticket, alerts: []) }
        var received = 0
        for await _ in first { received += 1 }
        #expect(received == 8, "the buffered events, then the end")
        withExtendedLifetime((second, other)) {}
    }
}
