import Foundation
import Hummingbird
import HummingbirdTesting
import LiftCore
import LiftStore
import Testing
@testable import LiftAPI

@Suite("Electronic maintenance records: certificates, checklist, photos, false-visit flags")
struct MaintenanceRecordTests {
    static let minute: Int64 = 60_000

    @Test("each flag catches its case: too short, no controller evidence, far from the unit, no location, a technician's day too full, a reused photo, a late submission")
    func flags() {
        let policy = VisitPolicy()
        let unit = VisitPolicy.Point(lat: 28.2, lon: 113.0)
        // 0.005° of latitude is about 556 m.
        let near = VisitPolicy.Point(lat: 28.2 + 0.004, lon: 113.0)
        let far = VisitPolicy.Point(lat: 28.2 + 0.005, lon: 113.0)
        #expect((near.metres(to: unit) - 444.8).magnitude < 1 && (far.metres(to: unit) - 556.0).magnitude < 1)
        func visit(minutes: Int64, at point: VisitPolicy.Point? = nil, evidence: Bool = true, visits: Int = 1) -> [VisitFlag] {
            policy.flags(VisitPolicy.Visit(
                level: .quarter, checkInAt: 0, checkOutAt: minutes * Self.minute, checkIn: point, unit: unit, controllerEvidence: evidence,
                visitsThatDay: ["T1": visits])).map(\.flag)
        }
        #expect(visit(minutes: 45, at: near) == [], "a quarterly visit of 45 min, 445 m away, with evidence")
        #expect(visit(minutes: 44, at: near) == [.tooShort])
        #expect(visit(minutes: 60, at: near, evidence: false) == [.noControllerEvidence])
        #expect(visit(minutes: 60, at: far) == [.farFromUnit])
        #expect(visit(minutes: 60) == [.noLocation])
        #expect(visit(minutes: 60, at: near, visits: 9) == [.tooManyForTechnician])
        #expect(visit(minutes: 60, at: near, visits: 8) == [])
        var reused = VisitPolicy.Visit(level: .quarter, checkInAt: 0, checkOutAt: 60 * Self.minute, checkIn: near, unit: unit, controllerEvidence: true, visitsThatDay: [:])
        reused.reusedPhotos = 1
        reused.submittedAt = 60 * Self.minute + 24 * 60 * Self.minute + 1
        #expect(policy.flags(reused).map(\.flag) == [.photoReused, .lateSubmission])
        reused.submittedAt = 60 * Self.minute + 24 * 60 * Self.minute
        #expect(policy.flags(reused).map(\.flag) == [.photoReused], "24 hours after check-out is still in time")
    }

    @Test("photos no record names are deleted after 7 days; a record's photos stay")
    func unusedPhotosPurged() throws {
        let fixture = try APIFixture()
        let db = fixture.database
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let kept = try db.storePhoto(png + Array("kept".utf8), contractorID: "C2", at: 0, by: "t").sha256
        let unused = try db.storePhoto(png + Array("unused".utf8), contractorID: "C2", at: 0, by: "t").sha256
        _ = try db.ticketTransaction("a record") { tx in
            try tx.insert(MaintenanceRecord(
                ticketID: fixture.ticketIDs["M1"]!, clientKey: "k-00000001", contractorID: "C1", technicians: ["T1"], checkInAt: 0, checkOutAt: 1, lat: nil,
                lon: nil, items: [], photos: [kept], flags: [], flagReasons: [], submittedAt: 0, submittedBy: "t"))
        }
        #expect(try db.purgeUnusedPhotos(now: 7 * APIFixture.day - 1) == 0, "not yet 7 days")
        #expect(try db.purgeUnusedPhotos(now: 7 * APIFixture.day + 1) == 1)
        #expect(try db.photo(unused) == nil && db.photo(kept) != nil)
    }

    @Test("a record completes a maintenance ticket once: certificates checked, every item, photos of its contractor; sent again it is not doubled; flags reach the figures")
    func recordCompletesTicket() async throws {
        var setup = try APIFixture()
        let db = setup.database
        let m3 = setup.ticketIDs["M3"]!  // E3, C2, quarterly, opened t0 + 17 days
        for (id, contractor, expires) in [("T1", "C2", "2027-12-31"), ("T2", "C2", "2026-09-30"), ("T3", "C1", "2027-12-31")] {
            try db.putTechnician(TechnicianRecord(technicianID: id, contractorID: contractor, name: "技术员\(id)", certificateNo: "TS-\(id)", certificateExpiresOn: expires), at: 0, by: "fixture")
        }
        var random = SplitMix64(seed: 3)
        setup.tokens["pm"] = try db.createToken(role: .propertyManager, managerID: "PM1", label: "pm", at: 0, by: "fixture", using: &random).token
        let fixture = setup
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array("a photo of the machine room".utf8)
        try await fixture.application.test(.router) { client in
            let c2 = fixture.headers("contractor-other")
            // Technicians are an administrator's record.
            #expect(try await client.call(.put, "/api/v1/technicians/T9", c2,
                body: #"{"contractor_id":"C2","name":"x","certificate_no":"y","certificate_expires_on":"2030-01-01"}"#).0 == .forbidden)
            var photoHeaders = c2
            photoHeaders[.contentType] = "image/png"
            let (uploaded, photo) = try await client.execute(uri: "/api/v1/photos", method: .post, headers: photoHeaders, body: ByteBuffer(bytes: png)) {
                ($0.status, (try? JSONSerialization.jsonObject(with: Data(buffer: $0.body))) as? [String: Any])
            }
            let sha = try #require(photo?["sha256"] as? String)
            #expect(uploaded == .created && sha.count == 64)
            var notImage = c2
            notImage[.contentType] = "image/png"
            #expect(try await client.execute(uri: "/api/v1/photos", method: .post, headers: notImage, body: ByteBuffer(string: "GIF89a")) { $0.status } == .badRequest)

            let t0 = APIFixture.t0, day = APIFixture.day
            let checkIn = t0 + 18 * day
            let items = (1...44).map { #"{"no":\#($0),"result":"ok"}"# }.joined(separator: ",")
            func body(_ technicians: String = #"["T1"]"#, items: String = items, key: String = "rec-0001-abcdef", photos: String? = nil) -> String {
                // About 1.1 km north of the unit (28.2, 113.0); 20 minutes for a quarterly visit.
                #"{"client_key":"\#(key)","technicians":\#(technicians),"check_in_at":\#(checkIn),"check_out_at":\#(checkIn + 20 * Self.minute),"lat":28.21,"lon":113.0,"items":[\#(items)],"photos":\#(photos ?? "[\"\(sha)\"]")}"#
            }
            let uri = "/api/v1/tickets/\(m3)/maintenance-record"
            let (expired, expiredJSON, _) = try await client.call(.post, uri, c2, body: body(#"["T2"]"#))
            #expect(expired == .badRequest)
            #expect(((expiredJSON?["error"] as? [String: Any])?["message"] as? String)?.contains("TS-T2 of T2 expired on 2026-09-30") == true)
            #expect(try await client.call(.post, uri, c2, body: body(#"["T3"]"#)).0 == .badRequest, "another contractor's technician")
            #expect(try await client.call(.post, uri, c2, body: body(items: #"{"no":1,"result":"ok"}"#)).0 == .badRequest, "every item of the checklist")
            #expect(try await client.call(.post, uri, c2, body: body(photos: "[\"\(String(repeating: "a", count: 64))\"]")).0 == .badRequest, "its own photos")
            #expect(try await client.call(.post, uri, fixture.headers("contractor"), body: body()).0 == .forbidden, "not C1's ticket")

            let (stored, json, _) = try await client.call(.post, uri, c2, body: body())
            #expect(stored == .created)
            let ticket = try #require(json?["ticket"] as? [String: Any])
            let record = try #require(json?["record"] as? [String: Any])
            #expect(ticket["status"] as? String == "resolved" && ticket["resolved_at"] as? Int64 == checkIn + 20 * Self.minute)
            // `unverified` stays the close's decision (spec section 5); the record carries its own flags. Sent 12 days
            // after its check-out (the fixture's clock), it is also a late submission.
            #expect(ticket["acknowledged_at"] as? Int64 == checkIn && ticket["on_site_at"] as? Int64 == checkIn && ticket["unverified"] as? Bool == false)
            #expect(record["flags"] as? [String] == ["too_short", "no_controller_evidence", "far_from_unit", "late_submission"])
            // Sent again (a phone's queue after a lost answer): the same record, nothing doubled.
            let (again, againJSON, _) = try await client.call(.post, uri, c2, body: body())
            #expect(again == .ok && (againJSON?["record"] as? [String: Any])?["submitted_at"] as? Int64 == record["submitted_at"] as? Int64)
            #expect(try db.ticketSteps(m3).map(\.action) == ["open", "acknowledge", "arrive", "resolve"])
            #expect(try await client.call(.post, uri, c2, body: body(key: "rec-0002-abcdef")).0 == .conflict, "one record per ticket")

            // The property manager confirms only its own elevators' records; E3 has none, an admin may.
            #expect(try await client.call(.post, "\(uri)/confirm", fixture.headers("pm")).0 == .forbidden)
            #expect(try await client.call(.post, "\(uri)/confirm", fixture.headers("admin")).0 == .ok)
            #expect(try await client.call(.post, "\(uri)/confirm", fixture.headers("admin")).0 == .conflict)

            // Photos: the uploader and regulators see them; another contractor cannot tell it exists.
            #expect(try await client.call(.get, "/api/v1/photos/\(sha)", c2).0 == .ok)
            #expect(try await client.call(.get, "/api/v1/photos/\(sha)", fixture.headers("regulator")).0 == .ok)
            #expect(try await client.call(.get, "/api/v1/photos/\(sha)", fixture.headers("contractor")).0 == .notFound)
            // The audit chain names the photo's hash.
            #expect(try db.auditEntries().contains { $0.action == "photo.upload" && $0.subject == "photo:\(sha)" })

            let (_, kpis, _) = try await client.call(.get, "/api/v1/kpis?contractor=C2&from=\(t0)&to=\(APIFixture.now)", fixture.headers("admin"))
            let figures = try #require(kpis?["maintenance_records"] as? [String: Any])
            #expect(figures["records"] as? Int == 1 && figures["flagged"] as? Int == 1 && figures["share_confirmed"] as? Double == 1)
            #expect((figures["by_flag"] as? [String: Int])?["too_short"] == 1 && (figures["by_flag"] as? [String: Int])?["no_location"] == 0)
            #expect(figures["resolved_without_record"] as? Int == 0)
            // C1 resolved M1 and M2 with the spec's steps alone: visits nothing proves, counted as such.
            let (_, c1, _) = try await client.call(.get, "/api/v1/kpis?contractor=C1&from=\(t0)&to=\(APIFixture.now)", fixture.headers("admin"))
            #expect((c1?["maintenance_records"] as? [String: Any])?["resolved_without_record"] as? Int == 2)
        }
    }
}
