import Foundation
import Hummingbird
import HummingbirdTesting
import LiftCore
import LiftStore
import Testing
@testable import LiftAPI

@Suite("Field work over the API: rescue steps, property managers, rescue codes, duties")
struct FieldWorkAPITests {
    @Test("the property_manager role reads its own elevators and tickets, answers rescue calls and nothing else; it cannot edit its own record")
    func propertyManagerRole() async throws {
        var setup = try APIFixture()
        let db = setup.database
        try db.putPropertyManager(
            PropertyManagerRecord(managerID: "PM1", name: "长沙某物业", phone: "0731-88888888", safetyOfficer: "王安全", safetyOfficerPhone: "13800000000"),
            at: 0, by: "fixture")
        var random = SplitMix64(seed: 7)
        setup.tokens["pm"] = try db.createToken(role: .propertyManager, managerID: "PM1", label: "pm", at: 0, by: "fixture", using: &random).token
        #expect(throws: RegistryError.self) { try db.createToken(role: .propertyManager, managerID: "PM-NONE", at: 0, by: "fixture", using: &random) }
        let fixture = setup
        let r2 = fixture.ticketIDs["R2"]!, cb = fixture.ticketIDs["CB"]!
        try await fixture.application.test(.router) { client in
            let pm = fixture.headers("pm")
            #expect(try await client.call(.get, "/api/v1/elevators/E1", pm).0 == .ok)
            let (e1, json, _) = try await client.call(.get, "/api/v1/elevators/E1", fixture.headers("admin"))
            #expect(e1 == .ok && json?["property_manager_id"] as? String == "PM1" && json?.keys.contains("rescue_code") == true)
            #expect(try await client.call(.get, "/api/v1/elevators/E2", pm).0 == .forbidden, "not its elevator")
            #expect(try await client.call(.get, "/api/v1/tickets/\(r2)", pm).0 == .ok, "a ticket of its elevator")
            #expect(try await client.call(.get, "/api/v1/tickets/\(cb)", pm).0 == .forbidden, "a ticket of another elevator")
            for uri in ["/api/v1/elevators", "/api/v1/tickets", "/api/v1/kpis", "/api/v1/units/U1", "/api/v1/map", "/api/v1/property-managers",
                        "/api/v1/property-managers/PM2"] {
                let (status, json, _) = try await client.call(.get, uri, pm)
                #expect(status == .forbidden, "\(uri)")
                #expect((json?["error"] as? [String: Any])?["code"] as? String == "forbidden")
            }
            // Steps: not the maintainer's; its own record: an administrator's.
            #expect(try await client.call(.post, "/api/v1/tickets/\(r2)/actions", pm, body: #"{"action":"close"}"#).0 == .forbidden)
            #expect(try await client.call(.put, "/api/v1/property-managers/PM1", pm, body: #"{"name":"x","safety_officer":"y"}"#).0 == .forbidden)
            #expect(try await client.call(.put, "/api/v1/elevators/E1", pm, body: #"{"property_manager_id":null}"#).0 == .forbidden)
            let (own, body, _) = try await client.call(.get, "/api/v1/property-managers/PM1", pm)
            #expect(own == .ok && (body?["manager"] as? [String: Any])?["safety_officer"] as? String == "王安全")
            #expect((body?["elevators"] as? [[String: Any]])?.map { $0["elevator_id"] as? String } == ["E1"])
        }
    }

    @Test("an elevator enters service only with a property manager; rescue codes follow the region's format, are unique and find the elevator")
    func gateAndRescueCodes() async throws {
        let fixture = try APIFixture()
        try fixture.database.putPropertyManager(PropertyManagerRecord(managerID: "PM1", name: "物业", safetyOfficer: "王安全"), at: 0, by: "fixture")
        try await fixture.application.test(.router) { client in
            let admin = fixture.headers("admin")
            #expect(try await client.call(.put, "/api/v1/elevators/E5", admin, body: #"{"region":"430102","contractor_id":"C1"}"#).0 == .created)
            let (refused, json, _) = try await client.call(.put, "/api/v1/elevators/E5", admin, body: #"{"stage":"in_service"}"#)
            #expect(refused == .conflict)
            #expect(((json?["error"] as? [String: Any])?["message"] as? String)?.contains("property manager (使用单位)") == true)
            #expect(try await client.call(.get, "/api/v1/elevators/E5", admin).1?["stage"] as? String == "registered", "nothing kept")
            let (entered, e5, _) = try await client.call(
                .put, "/api/v1/elevators/E5", admin, body: #"{"stage":"in_service","property_manager_id":"PM1","rescue_code":"431234"}"#)
            #expect(entered == .ok && e5?["stage"] as? String == "in_service" && e5?["rescue_code"] as? String == "431234")
            // Hunan's codes have 6 digits; another elevator's code is refused; an unknown manager too.
            let (short, shortJSON, _) = try await client.call(.put, "/api/v1/elevators/E1", admin, body: #"{"rescue_code":"12345"}"#)
            #expect(short == .badRequest && ((shortJSON?["error"] as? [String: Any])?["message"] as? String)?.contains("6 digits") == true)
            #expect(try await client.call(.put, "/api/v1/elevators/E1", admin, body: #"{"rescue_code":"431234"}"#).0 == .conflict)
            #expect(try await client.call(.put, "/api/v1/elevators/E1", admin, body: #"{"property_manager_id":"PM-X"}"#).0 == .badRequest)
            // The dispatcher finds the elevator by the code the caller reads out; a regulator elsewhere does not.
            let (found, list, _) = try await client.call(.get, "/api/v1/elevators?rescue_code=431234", admin)
            #expect(found == .ok && (list?["items"] as? [[String: Any]])?.map { $0["elevator_id"] as? String } == ["E5"])
            let other = try await client.call(.get, "/api/v1/elevators?rescue_code=431234", fixture.headers("regulator-other")).1
            #expect((other?["items"] as? [[String: Any]])?.isEmpty == true)
            // The residents' page tells them the code to give the hotline, and who manages the elevator.
            let (_, _, page) = try await client.call(.get, "/lift/E5", HTTPFields())
            #expect(page.contains("431234") && page.contains("96366") && page.contains("物业"))
            // In service, the manager cannot be removed.
            #expect(try await client.call(.put, "/api/v1/elevators/E5", admin, body: #"{"property_manager_id":null}"#).0 == .conflict)
        }
    }

    @Test("rescue steps over the API: follow-up recorded, details validated, rescue steps refused on other tickets; figures carry rescue_dispatch")
    func rescueStepsAndFigures() async throws {
        let fixture = try APIFixture()
        let r2 = fixture.ticketIDs["R2"]!, cb = fixture.ticketIDs["CB"]!
        try await fixture.application.test(.router) { client in
            let contractor = fixture.headers("contractor")
            let (bad, badJSON, _) = try await client.call(.post, "/api/v1/tickets/\(r2)/actions", contractor, body: #"{"action":"follow_up","cause":"ghosts"}"#)
            #expect(bad == .badRequest && ((badJSON?["error"] as? [String: Any])?["message"] as? String)?.hasPrefix("cause: expected one of") == true)
            let (followed, json, _) = try await client.call(
                .post, "/api/v1/tickets/\(r2)/actions", contractor, body: #"{"action":"follow_up","cause":"equipment","note":"回访：乘客安好"}"#)
            #expect(followed == .ok)
            let rescue = try #require(json?["rescue"] as? [String: Any])
            #expect(rescue["follow_up_at"] as? Int64 == APIFixture.now && rescue["cause"] as? String == "equipment")
            #expect(try await client.call(.post, "/api/v1/tickets/\(r2)/actions", contractor, body: #"{"action":"follow_up"}"#).0 == .conflict, "once")
            #expect(try await client.call(.post, "/api/v1/tickets/\(cb)/actions", contractor, body: #"{"action":"contact"}"#).0 == .conflict)
            #expect(try await client.call(.post, "/api/v1/tickets/\(cb)/actions", contractor, body: #"{"action":"acknowledge","passengers":1}"#).0 == .badRequest)
            #expect(try await client.call(.post, "/api/v1/tickets/\(r2)/actions", contractor, body: #"{"action":"answer"}"#).0 == .forbidden,
                    "the property manager's answer is not the contractor's to record")
            let (kpis, figures, _) = try await client.call(.get, "/api/v1/kpis?region=4301&from=\(APIFixture.t0)&to=\(APIFixture.now)", fixture.headers("regulator"))
            let dispatch = try #require(figures?["rescue_dispatch"] as? [String: Any])
            #expect(kpis == .ok && dispatch["rescues"] as? Int == 2)
            #expect(dispatch["share_acknowledged_within_3_minutes"] as? Double == 0.5, "R1 at 2 min, R2 at 4 min")
            #expect(dispatch["mean_seconds_to_release"] as? Double == 2_250, "(25 min + 50 min) / 2")
            #expect((dispatch["by_cause"] as? [String: Int])?["equipment"] == 1 && (dispatch["by_cause"] as? [String: Int])?["unclassified"] == 1)
            let (_, _, csv) = try await client.call(.get, "/api/v1/kpis?region=4301&from=\(APIFixture.t0)&to=\(APIFixture.now)&format=csv", fixture.headers("regulator"))
            #expect(csv.contains("\nrescue_dispatch_share_acknowledged_within_3_minutes,0.5000,") && csv.contains("\nrescue_dispatch_by_hour_08,"))
        }
    }

    @Test("duties: recorded once per period by the manager, missed ones shown to the regulator; hazards past fix-by are overdue")
    func dutiesAndHazards() async throws {
        var setup = try APIFixture()
        var random = SplitMix64(seed: 9)
        setup.tokens["pm"] = try setup.database.createToken(role: .propertyManager, managerID: "PM1", label: "pm", at: 0, by: "fixture", using: &random).token
        let fixture = setup
        try await fixture.application.test(.router) { client in
            let pm = fixture.headers("pm")
            let uri = "/api/v1/property-managers/PM1/duties"
            #expect(try await client.call(.post, uri, pm, body: #"{"kind":"daily_check","elevator_id":"E1","note":"运行正常"}"#).0 == .created)
            #expect(try await client.call(.post, uri, pm, body: #"{"kind":"daily_check","elevator_id":"E1"}"#).0 == .conflict, "once a day")
            #expect(try await client.call(.post, uri, pm, body: #"{"kind":"daily_check","elevator_id":"E2"}"#).0 == .badRequest, "not its elevator")
            #expect(try await client.call(.post, uri, pm, body: #"{"kind":"weekly_review"}"#).0 == .created)
            #expect(try await client.call(.post, uri, fixture.headers("contractor"), body: #"{"kind":"monthly_meeting"}"#).0 == .forbidden)
            // Over the fixture's 30 days (1–30 October): 30 daily checks and 4 weeks ended unrecorded.
            let (_, duties, _) = try await client.call(.get, "\(uri)?from=\(APIFixture.t0)&to=\(APIFixture.now)", fixture.headers("regulator"))
            let missed = try #require(duties?["missed"] as? [[String: Any]])
            #expect(missed.filter { $0["kind"] as? String == "daily_check" }.count == 30)
            #expect(missed.filter { $0["kind"] as? String == "weekly_review" }.count == 4, "the weeks ending 5, 12, 19 and 26 October")
            #expect(missed.filter { $0["kind"] as? String == "monthly_meeting" }.isEmpty, "October ends after the window")
            let (added, hazard, _) = try await client.call(
                .post, "/api/v1/property-managers/PM1/hazards", pm, body: #"{"elevator_id":"E1","description":"底坑积水","fix_by":\#(APIFixture.now + 1)}"#)
            #expect(added == .created && hazard?["overdue"] as? Bool == false)
            let (_, oversight, _) = try await client.call(.get, "/api/v1/property-managers?region=4301&from=\(APIFixture.t0)&to=\(APIFixture.now)", fixture.headers("regulator"))
            let row = try #require((oversight?["items"] as? [[String: Any]])?.first)
            #expect(row["manager_id"] as? String == "PM1" && row["duties_missed"] as? Int == missed.count && row["hazards_overdue"] as? Int == 0)
            #expect(try await client.call(.get, "/api/v1/property-managers?region=4302", fixture.headers("regulator")).0 == .forbidden)
        }
    }
}

@Suite("Unscheduled maintenance visits asked for")
struct MaintenanceRequestTests {
    @Test("a property manager asks for a half-monthly visit with notice, once in 15 days; other levels, suspended elevators and strangers are refused")
    func requests() async throws {
        var setup = try APIFixture()
        var random = SplitMix64(seed: 5)
        setup.tokens["pm"] = try setup.database.createToken(role: .propertyManager, managerID: "PM1", label: "pm", at: 0, by: "fixture", using: &random).token
        let fixture = setup
        try await fixture.application.test(.router) { client in
            let pm = fixture.headers("pm"), uri = "/api/v1/elevators/E1/maintenance-requests"
            #expect(try await client.call(.post, uri, pm, body: #"{"level":"annual"}"#).0 == .forbidden, "levels above half-monthly are an administrator's")
            #expect(try await client.call(.post, uri, pm, body: #"{"due_in_days":1}"#).0 == .forbidden, "with the contractor's usual notice")
            let (opened, ticket, _) = try await client.call(.post, uri, pm, body: #"{"reason":"门有异响"}"#)
            #expect(opened == .created && ticket?["type"] as? String == "maintenance" && ticket?["level"] as? String == "half_month")
            #expect(try await client.call(.post, uri, pm, body: "{}").0 == .conflict, "one open at a time")
            #expect(try await client.call(.post, "/api/v1/elevators/E2/maintenance-requests", pm, body: "{}").0 == .forbidden, "not its elevator")
            #expect(try await client.call(.post, "/api/v1/elevators/E4/maintenance-requests", fixture.headers("admin"), body: "{}").0 == .conflict, "E4 is suspended")
            #expect(try await client.call(.post, uri, fixture.headers("contractor"), body: "{}").0 == .forbidden)
        }
    }
}

@Suite("Field pages for phones: the contractor's cards, the technician's record, the property manager's page")
struct FieldPageTests {
    @Test("the contractor page lists tickets as cards, with the record's form for maintenance and the release form for a rescue")
    func contractorCards() async throws {
        let fixture = try APIFixture()
        let m3 = fixture.ticketIDs["M3"]!
        try fixture.database.putTechnician(
            TechnicianRecord(technicianID: "T1", contractorID: "C2", name: "李强", certificateNo: "TS-1", certificateExpiresOn: "2030-01-01"), at: 0, by: "fixture")
        try await fixture.application.test(.router) { client in
            let (status, _, page) = try await client.call(.get, "/contractor", fixture.headers("contractor-other"))
            #expect(status == .ok && page.contains("<ul class=\"cards\">") && !page.contains("<table"), "no table to scroll sideways")
            #expect(page.contains("href=\"/contractor/tickets/\(m3)/record\""))
            let (form, _, record) = try await client.call(.get, "/contractor/tickets/\(m3)/record", fixture.headers("contractor-other"))
            #expect(form == .ok && record.contains("name=\"r44\"") && !record.contains("name=\"r45\""), "the quarterly checklist's 44 items")
            #expect(record.contains("1. 机房、滑轮间环境") && record.contains("44. 轿门门机驱动"), "in Chinese, in the same order")
            #expect(record.contains("capture=\"environment\"") && record.contains("/assets/app/record.js"))
            #expect(record.contains("<input type=\"checkbox\" name=\"technician\" value=\"T1\">") && !record.contains("SQL("), "the technicians to tick")
            #expect(try await client.call(.get, "/contractor/tickets/\(m3)/record", fixture.headers("contractor")).0 == .forbidden)
            #expect(try await client.call(.get, "/assets/app/record.js", HTTPFields()).0 == .ok)
        }
    }

    @Test("the property manager lands on its page: rescue calls, records to confirm, today's checks, hazards; other pages are refused")
    func managerPage() async throws {
        var setup = try APIFixture()
        var random = SplitMix64(seed: 11)
        setup.tokens["pm"] = try setup.database.createToken(role: .propertyManager, managerID: "PM1", label: "pm", at: 0, by: "fixture", using: &random).token
        let fixture = setup
        try await fixture.application.test(.router) { client in
            let pm = fixture.headers("pm")
            let (home, _, _) = try await client.call(.get, "/", pm)
            #expect(home == .seeOther)
            let (status, _, page) = try await client.call(.get, "/manager", pm)
            #expect(status == .ok && page.contains("长沙某物业") && page.contains("data-duty=\"daily_check\" data-elevator=\"E1\"") && !page.contains("<table"))
            #expect(page.contains("name=\"viewport\""))
            #expect(page.contains("<button type=\"button\" data-duty=\"daily_check\""), "buttons outside the form, not its submit")
            #expect(try await client.call(.get, "/contractor", pm).0 == .forbidden)
            #expect(try await client.call(.get, "/elevators/E2", pm).0 == .forbidden)
            #expect(try await client.call(.get, "/manager", fixture.headers("contractor")).0 == .forbidden)
            #expect(try await client.call(.get, "/manager?id=PM1", fixture.headers("admin")).0 == .ok)
        }
    }
}
