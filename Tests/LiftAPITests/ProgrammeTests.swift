import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import LiftCore
import LiftStore
import Testing
@testable import LiftAPI

/// Issue 24 item 2: the project record of a unit, step by step, with evidence, recorded by officers in their place.
@Suite("Programme: project records over the API")
struct ProgrammeTests {
    /// The API fixture, with unit P1 (surveyed, street 430102001) and officers of that street and of another district.
    func fixture() throws -> APIFixture {
        var fixture = try APIFixture()
        try fixture.database.upsertUnit(
            UnitRecord(unitID: "P1", region: "430102", address: "芙蓉区朝阳街道1栋2单元", floors: 7, rating: .suitable, areaCode: "430102001003", households: 14),
            at: 0, by: "test")
        var random = SplitMix64(seed: 9)
        for (name, prefix) in [("officer", "430102001"), ("officer-other", "430202")] {
            fixture.tokens[name] = try fixture.database.createToken(role: .officer, regionPrefix: prefix, label: name, at: 0, by: "test", using: &random).token
        }
        return fixture
    }

    static let vote = #"{"kind":"owners_vote","date":"2026-09-01","vote":{"owners_total":14,"owners_participating":12,"owners_consenting":10,"area_total_m2":1260.5,"area_participating_m2":1080.25,"area_consenting_m2":900},"document_numbers":["朝阳业表〔2026〕3号"]}"#

    @Test("an officer records the project step by step; the stage follows: approved only after a vote that passed and an approval")
    func stepByStep() async throws {
        let fixture = try fixture()
        try await fixture.application.test(.router) { client in
            let officer = fixture.headers("officer")
            // Approval without a vote is refused; the record says what is missing.
            let early = try await client.call(.put, "/api/v1/units/P1", fixture.headers("admin"), body: #"{"region":"430102","stage":"approved"}"#)
            #expect(early.0 == .conflict && early.2.contains("no owners' vote is recorded"), "\(early.2)")
            let voted = try await client.call(.post, "/api/v1/units/P1/project/steps", officer, body: Self.vote)
            #expect(voted.0 == .created, "\(voted.2)")
            let vote = (voted.1?["step"] as? [String: Any])?["vote"] as? [String: Any]
            #expect(vote?["passed"] as? Bool == true && vote?["participation_met"] as? Bool == true && vote?["consent_met"] as? Bool == true)
            #expect(voted.1?["stage"] as? String == "surveyed")
            let approved = try await client.call(.post, "/api/v1/units/P1/project/steps", officer,
                                                 body: #"{"kind":"joint_approval","date":"2026-10-12","number":"长芙联审〔2026〕21号"}"#)
            #expect(approved.0 == .created && approved.1?["stage"] as? String == "approved", "\(approved.2)")
            // Acceptance needs its record: a stage move to accepted by hand is refused until it is there.
            _ = try await client.call(.post, "/api/v1/units/P1/project/steps", officer, body: #"{"kind":"construction_start","date":"2026-10-15"}"#)
            let refused = try await client.call(.put, "/api/v1/units/P1", fixture.headers("admin"), body: #"{"region":"430102","stage":"accepted"}"#)
            #expect(refused.0 == .conflict && refused.2.contains("no completion acceptance"), "\(refused.2)")
            let accepted = try await client.call(.post, "/api/v1/units/P1/project/steps", officer,
                                                 body: #"{"kind":"completion_acceptance","date":"2026-10-28","number":"芙竣验〔2026〕7号"}"#)
            #expect(accepted.1?["stage"] as? String == "accepted")
            for body in [
                #"{"kind":"subsidy_applied","date":"2026-10-29","amount_yuan":150000}"#,
                #"{"kind":"subsidy_granted","date":"2026-10-30","amount_yuan":120000.5}"#,
                #"{"kind":"funding","date":"2026-10-30","funding":{"owners_yuan":180000,"provident_fund_yuan":60000,"maintenance_fund_yuan":20000,"subsidy_yuan":120000.5}}"#,
            ] {
                let (status, _, text) = try await client.call(.post, "/api/v1/units/P1/project/steps", officer, body: body)
                #expect(status == .created, "\(text)")
            }
            let project = try await client.call(.get, "/api/v1/units/P1/project", fixture.headers("regulator"))
            #expect(project.0 == .ok)
            #expect((project.1?["steps"] as? [[String: Any]])?.map { $0["kind"] as? String } == [
                "owners_vote", "joint_approval", "construction_start", "completion_acceptance", "subsidy_applied", "subsidy_granted", "funding",
            ])
            #expect(project.1?["approval_number"] as? String == "长芙联审〔2026〕21号" && project.1?["acceptance_number"] as? String == "芙竣验〔2026〕7号")
            #expect(project.1?["subsidy_granted_yuan"] as? Double == 120000.5)
            #expect((project.1?["funding"] as? [String: Any])?["total_yuan"] as? Double == 380000.5)
            #expect((project.1?["steps"] as? [[String: Any]])?.first?["recorded_by"] as? String == "officer:430102001")
        }
        // Every step is in the audit chain, and the stage changes are dated.
        let audit = try fixture.database.auditEntries(subject: "P1")
        #expect(audit.filter { $0.action == "project.step" }.count == 7)
        #expect(try fixture.database.stageHistory(unitID: "P1").map(\.to) == [.surveyed, .approved, .underConstruction, .accepted])
    }

    @Test("a vote short of the thresholds does not approve, and says by how much")
    func failedVote() async throws {
        let fixture = try fixture()
        try await fixture.application.test(.router) { client in
            let short = Self.vote.replacingOccurrences(of: #""owners_consenting":10"#, with: #""owners_consenting":8"#)
            #expect(try await client.call(.post, "/api/v1/units/P1/project/steps", fixture.headers("officer"), body: short).0 == .created)
            let approval = try await client.call(.post, "/api/v1/units/P1/project/steps", fixture.headers("officer"),
                                                 body: #"{"kind":"joint_approval","date":"2026-10-12","number":"X-1"}"#)
            #expect(approval.1?["stage"] as? String == "surveyed")
            let project = try await client.call(.get, "/api/v1/units/P1/project", fixture.headers("officer"))
            #expect((project.1?["next_stage_needs"] as? String)?.contains("consent 8/12 owners") == true, "\(project.2)")
        }
    }

    @Test("a correction over the API: needs its reason, names a step of the unit, and the record shows what it voided")
    func correctionOverTheAPI() async throws {
        let fixture = try fixture()
        try await fixture.application.test(.router) { client in
            let officer = fixture.headers("officer")
            let grant = try await client.call(.post, "/api/v1/units/P1/project/steps", officer, body: #"{"kind":"subsidy_granted","date":"2026-10-30","amount_yuan":1000000}"#)
            let id = try #require((grant.1?["step"] as? [String: Any])?["id"] as? Int)
            let noReason = try await client.call(.post, "/api/v1/units/P1/project/steps", officer, body: #"{"kind":"correction","date":"2026-10-30","corrects":\#(id)}"#)
            #expect(noReason.0 == .badRequest && noReason.2.contains("reason"), "\(noReason.2)")
            let elsewhere = try await client.call(.post, "/api/v1/units/P1/project/steps", officer, body: #"{"kind":"correction","date":"2026-10-30","corrects":999999,"note":"typo"}"#)
            #expect(elsewhere.0 == .notFound, "\(elsewhere.2)")
            let corrected = try await client.call(.post, "/api/v1/units/P1/project/steps", officer,
                                                  body: #"{"kind":"correction","date":"2026-10-30","corrects":\#(id),"note":"一百万是笔误，应为十万"}"#)
            #expect(corrected.0 == .created, "\(corrected.2)")
            let project = try await client.call(.get, "/api/v1/units/P1/project", fixture.headers("regulator"))
            let steps = (project.1?["steps"] as? [[String: Any]]) ?? []
            #expect(steps.first { $0["id"] as? Int == id }?["corrected_by"] as? Int == (corrected.1?["step"] as? [String: Any])?["id"] as? Int)
            #expect((project.1?["subsidy_granted_yuan"] as? NSNumber)?.intValue == 0)
        }
    }

    @Test("a new elevator cannot put a unit past its steps: registering one in service on a surveyed unit with a record is refused unless forced")
    func newElevatorFollowsTheSteps() async throws {
        let fixture = try fixture()
        try await fixture.application.test(.router) { client in
            let admin = fixture.headers("admin")
            // The programme keeps P1's record from its application on; a unit without steps takes an elevator's stage
            // as recorded elsewhere (the role matrix registers E7 so).
            let application = #"{"kind":"application","date":"2026-09-20","number":"申-1"}"#
            #expect(try await client.call(.post, "/api/v1/units/P1/project/steps", fixture.headers("officer"), body: application).0 == .created)
            let put = #"{"unit_id":"P1","region":"430102","contractor_id":"C1","commissioned_on":"2026-10-20","stage":"in_service"}"#
            let refused = try await client.call(.put, "/api/v1/elevators/EP1", admin, body: put)
            #expect(refused.0 == .conflict && refused.2.contains("no owners' vote is recorded"), "\(refused.2)")
            #expect(try fixture.database.elevator("EP1") == nil && fixture.database.unit("P1")?.stage == .surveyed, "nothing kept")
            let forced = try await client.call(.put, "/api/v1/elevators/EP1", admin,
                                               body: put.replacingOccurrences(of: "}", with: #","force_reason":"built before LiftWatch kept records"}"#))
            #expect(forced.0 == .created, "\(forced.2)")
            #expect(try fixture.database.unit("P1")?.stage == .inService)
            let history = try fixture.database.stageHistory(unitID: "P1").last
            #expect(history?.forced == true && history?.reason == "built before LiftWatch kept records" && history?.from == .surveyed)
            // Nor by moving an elevator that is already in service onto a surveyed unit, or by moving a unit back.
            try fixture.database.upsertUnit(UnitRecord(unitID: "P2", region: "430102", rating: .suitable), at: 0, by: "test")
            _ = try fixture.database.projects.record(ProjectStep(unitID: "P2", kind: .application, date: CivilDate("2026-09-21")!), by: "test", at: APIFixture.now)
            let moved = try await client.call(.put, "/api/v1/elevators/EP1", admin, body: put.replacingOccurrences(of: "P1", with: "P2"))
            #expect(moved.0 == .conflict && moved.2.contains("no owners' vote is recorded"), "\(moved.2)")
            let back = try await client.call(.put, "/api/v1/elevators/EP9", admin,
                                             body: put.replacingOccurrences(of: "in_service", with: "surveyed"))
            #expect(back.0 == .conflict && back.2.contains("would move it back"), "\(back.2)")
        }
    }

    @Test("who may record: an officer inside its place and an admin; never a regulator, a contractor or an officer elsewhere")
    func whoRecords() async throws {
        let fixture = try fixture()
        let body = #"{"kind":"application","date":"2026-08-01"}"#
        try await fixture.application.test(.router) { client in
            let expected: [(String, HTTPResponse.Status)] = [
                ("officer", .created), ("admin", .created), ("regulator", .forbidden), ("contractor", .forbidden), ("officer-other", .forbidden),
            ]
            for (who, status) in expected {
                let got = try await client.call(.post, "/api/v1/units/P1/project/steps", fixture.headers(who), body: body).0
                #expect(got == status, "\(who)")
            }
            #expect(try await client.call(.get, "/api/v1/units/P1/project", fixture.headers("officer-other")).0 == .forbidden)
            // Bad steps are clear 400s.
            for (bad, message) in [
                (#"{"kind":"joint_approval","date":"2026-08-01"}"#, "approval number"),
                (#"{"kind":"subsidy_granted","date":"2026-08-01","amount_yuan":10.005}"#, "at most two decimals"),
                (#"{"kind":"launch","date":"2026-08-01"}"#, "kind: expected one of"),
                (#"{"kind":"application","date":"2026-02-30"}"#, "date: expected YYYY-MM-DD"),
                (#"{"kind":"application","date":"2099-01-01"}"#, "in the future"),
            ] {
                let (status, _, text) = try await client.call(.post, "/api/v1/units/P1/project/steps", fixture.headers("officer"), body: bad)
                #expect(status == .badRequest && text.contains(message), "\(bad): \(text)")
            }
        }
    }

    @Test("documents are stored by their SHA-256, checked by their bytes, audited, and served only inside the scope")
    func documents() async throws {
        let fixture = try fixture()
        let pdf = Array("%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n".utf8)
        let sha = SHA256.hash(data: pdf).hexString
        try await fixture.application.test(.router) { client in
            var headers = fixture.headers("officer")
            headers[.contentType] = "application/pdf"
            let attached = try await client.execute(uri: "/api/v1/units/P1/project/documents?name=%E8%A1%A8%E5%86%B3%E7%BB%93%E6%9E%9C.pdf", method: .post,
                                                    headers: headers, body: ByteBuffer(bytes: pdf)) { ($0.status, String(buffer: $0.body)) }
            #expect(attached.0 == .created && attached.1.contains(sha), "\(attached.1)")
            #expect(attached.1.contains("表决结果.pdf"))
            // Declared as PDF, but a PNG; or neither.
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]
            let wrong = try await client.execute(uri: "/api/v1/units/P1/project/documents?name=x.pdf", method: .post, headers: headers,
                                                 body: ByteBuffer(bytes: png)) { $0.status }
            #expect(wrong == .badRequest)
            let script = try await client.execute(uri: "/api/v1/units/P1/project/documents?name=x.pdf", method: .post, headers: headers,
                                                  body: ByteBuffer(string: "<script>alert(1)</script>")) { $0.status }
            #expect(script == .badRequest)
            let traversal = try await client.execute(uri: "/api/v1/units/P1/project/documents?name=..%2F..%2Fetc", method: .post, headers: headers,
                                                     body: ByteBuffer(bytes: pdf)) { $0.status }
            #expect(traversal == .badRequest)
            let served = try await client.execute(uri: "/api/v1/documents/\(sha)", method: .get, headers: fixture.headers("regulator")) {
                ($0.status, $0.headers[.contentType], Array(($0.body).readableBytesView))
            }
            #expect(served.0 == .ok && served.1 == "application/pdf" && served.2 == pdf)
            // Out of scope answers as an unknown file does, so that a hash reveals nothing.
            #expect(try await client.call(.get, "/api/v1/documents/\(sha)", fixture.headers("regulator-other")).0 == .notFound)
            #expect(try await client.call(.get, "/api/v1/documents/\(sha)", fixture.headers("contractor")).0 == .notFound)
        }
        let audit = try fixture.database.auditEntries(subject: "P1").filter { $0.action == "project.document" }
        #expect(audit.count == 1 && audit.first?.detail.contains("\"sha256\":\"\(sha)\"") == true)
        #expect(try fixture.database.verifyAudit().isIntact)
    }

    @Test("the monthly dispatch over the API and as a page: scoped like the figures, JSON and CSV")
    func progressRoute() async throws {
        let fixture = try fixture()
        let now = APIFixture.now
        let vote = OwnersVote(ownersTotal: 3, ownersParticipating: 3, ownersConsenting: 3, areaTotalCentiM2: 30_000, areaParticipatingCentiM2: 30_000, areaConsentingCentiM2: 30_000)
        try fixture.database.projects.record(ProjectStep(unitID: "P1", kind: .ownersVote, date: CivilDate("2026-09-01")!, vote: vote), by: "t", at: now)
        try fixture.database.projects.record(ProjectStep(unitID: "P1", kind: .jointApproval, date: CivilDate("2026-10-12")!, number: "A-1"), by: "t", at: now)
        try fixture.database.programme.setTargets([.init(year: 2026, place: "430102", approvals: 4)], by: "t", at: now)
        try await fixture.application.test(.router) { client in
            let (status, json, text) = try await client.call(.get, "/api/v1/progress?region=4301&year=2026&month=10", fixture.headers("regulator"))
            #expect(status == .ok, "\(text)")
            #expect((json?["this_month"] as? [String: Any])?["approvals"] as? Int == 1)
            #expect((json?["shares"] as? [String: Any])?["approvals"] as? Double == 0.25)
            #expect((json?["ranking"] as? [[String: Any]])?.compactMap { ($0["place"] as? [String: Any])?["code"] as? String } == ["430102"])
            let csv = try await client.call(.get, "/api/v1/progress?region=4301&year=2026&month=10&format=csv", fixture.headers("officer-other"))
            #expect(csv.0 == .forbidden, "an officer of 430202 asking for 4301")
            let own = try await client.call(.get, "/api/v1/progress?year=2026&month=10&format=csv", fixture.headers("officer"))
            let lines = own.2.split(separator: "\n")
            #expect(own.0 == .ok && lines.first?.hasPrefix("rank,place,name,units,suitable") == true)
            #expect(lines.count >= 2 && lines[1].hasPrefix(",430102001,"), "an officer's report is its own place's: \(own.2)")
            #expect(try await client.call(.get, "/api/v1/progress", fixture.headers("contractor")).0 == .forbidden)
            #expect(try await client.call(.get, "/api/v1/progress?month=13", fixture.headers("admin")).0 == .badRequest)
            let page = try await client.execute(uri: "/progress?region=4301&year=2026&month=10", method: .get, headers: fixture.headers("regulator")) {
                ($0.status, String(buffer: $0.body))
            }
            #expect(page.0 == .ok && page.1.contains("2026年10月 调度通报") && page.1.contains("id=\"lw-progress\""))
        }
    }

    @Test("the dossier carries the project record: steps, the vote against its thresholds, funding and documents; not for contractors")
    func dossierShowsTheProject() async throws {
        let fixture = try fixture()
        let now = APIFixture.now
        let vote = OwnersVote(ownersTotal: 14, ownersParticipating: 12, ownersConsenting: 10, areaTotalCentiM2: 126_050, areaParticipatingCentiM2: 108_025, areaConsentingCentiM2: 90_000)
        try fixture.database.projects.record(ProjectStep(unitID: "U1", kind: .ownersVote, date: CivilDate("2023-03-01")!, vote: vote), by: "officer:4301", at: now)
        try fixture.database.projects.record(ProjectStep(unitID: "U1", kind: .jointApproval, date: CivilDate("2023-05-10")!, number: "长芙联审〔2023〕8号"), by: "officer:4301", at: now)
        try fixture.database.projects.record(
            ProjectStep(unitID: "U1", kind: .funding, date: CivilDate("2023-06-01")!, funding: Funding(ownersFen: 18_000_000, subsidyFen: 12_000_050)), by: "t", at: now)
        let pdf = Array("%PDF-1.4\n%%EOF\n".utf8)
        let document = try fixture.database.projects.attach(unitID: "U1", stepID: nil, name: "竣工验收报告.pdf", mediaType: "application/pdf", content: pdf, by: "t", at: now)
        try await fixture.application.test(.router) { client in
            let html = try await client.execute(uri: "/api/v1/elevators/E1/dossier?format=html", method: .get, headers: fixture.headers("regulator")) { String(buffer: $0.body) }
            for expected in ["加装项目", "长芙联审〔2023〕8号", "业主表决", "1080.25", "表决通过。", "¥300,000.50", "竣工验收报告.pdf", document.sha256] {
                #expect(html.contains(expected), "the dossier lacks \(expected)")
            }
            let json = try await client.call(.get, "/api/v1/elevators/E1/dossier", fixture.headers("regulator"))
            let project = json.1?["project"] as? [String: Any]
            #expect((project?["steps"] as? [[String: Any]])?.map { $0["date"] as? String } == ["2023-03-01", "2023-05-10", "2023-06-01"])
            #expect(project?["vote_passed"] as? Bool == true && (project?["documents"] as? [[String: Any]])?.count == 1)
            let contractor = try await client.call(.get, "/api/v1/elevators/E1/dossier", fixture.headers("contractor"))
            #expect(contractor.0 == .ok && contractor.1?["elevators"] != nil)
            #expect(contractor.1?["project"] == nil, "a contractor's dossier has no project record")
        }
    }
}
