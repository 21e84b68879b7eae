import Foundation
import Hummingbird
import HummingbirdTesting
import LiftCore
import LiftStore
import Testing
@testable import LiftAPI

/// Issue 28 over the HTTP API.
@Suite("Contract conformance over the API")
struct ContractConformanceAPITests {
    @Test("the list, its ?health= filter and the elevator itself agree on health, trends included")
    func healthIsOneTruth() async throws {
        let fixture = try APIFixture()
        // The last evaluation found E1's doors closing slower.
        try fixture.database.setTrendFindings(
            [TrendFinding(signal: .doorCloseTime, recent: 3600, baseline: 3000, description: "door closing time up 20 %")], elevatorID: "E1",
            at: APIFixture.now)
        try await fixture.application.test(.router) { client in
            let (_, single, _) = try await client.call(.get, "/api/v1/elevators/E1", fixture.headers("admin"))
            let health = try #require(single?["health"] as? [String: Any])
            #expect(health["state"] as? String == "watch")
            #expect((health["reasons"] as? [String])?.contains { $0.contains("door closing time up 20 %") } == true)
            let (_, list, _) = try await client.call(.get, "/api/v1/elevators", fixture.headers("admin"))
            let listed = try #require((list?["items"] as? [[String: Any]])?.first { $0["elevator_id"] as? String == "E1" })
            #expect((listed["health"] as? [String: Any])?["state"] as? String == "watch")
            #expect((listed["health"] as? [String: Any])?["score"] as? Int == health["score"] as? Int)
            let (_, filtered, _) = try await client.call(.get, "/api/v1/elevators?health=watch", fixture.headers("admin"))
            #expect((filtered?["items"] as? [[String: Any]])?.map { $0["elevator_id"] as? String } == ["E1"])
        }
    }

    @Test("PUT /elevators/{id} is all or nothing and checked as the import checks")
    func putElevatorAtomic() async throws {
        let fixture = try APIFixture()
        var context = fixture.context
        context.platforms = ["default", "municipal-b"]
        let application = Application(router: LiftHTTPServer.router(context))
        try await application.test(.router) { client in
            let admin = fixture.headers("admin")
            // A new contractor and an impossible stage move: refused as a whole, the contractor unchanged.
            let (refused, error, _) = try await client.call(.put, "/api/v1/elevators/E1", admin, body: #"{"contractor_id":"C9","stage":"approved"}"#)
            #expect(refused == .conflict && (error?["error"] as? [String: Any])?["code"] as? String == "invalid_transition")
            #expect(try fixture.database.elevator("E1")?.contractorID == "C1")
            #expect(try fixture.database.contracts(of: "E1").count == 1)
            // Region optional on update: kept.
            let (ok, updated, _) = try await client.call(.put, "/api/v1/elevators/E1", admin, body: #"{"on_demand":true}"#)
            #expect(ok == .ok && updated?["region"] as? String == "430102" && updated?["contractor_id"] as? String == "C1" && updated?["on_demand"] as? Bool == true)
            // Forced with a reason, the move goes through.
            let (forced, _, _) = try await client.call(.put, "/api/v1/elevators/E1", admin, body: #"{"stage":"suspended","force_reason":"lift pit flooded"}"#)
            let stage = try fixture.database.elevator("E1")?.stage
            #expect(forced == .ok && stage == "suspended")
            // An unknown platform, a unit of another region, a new elevator without a region: refused, nothing created.
            for body in [#"{"platform":"no-such-map"}"#, #"{"unit_id":"U9"}"#] {
                let (status, _, text) = try await client.call(.put, "/api/v1/elevators/E2", admin, body: body)
                #expect(status == .badRequest, "\(body): \(text)")
            }
            let (missing, _, _) = try await client.call(.put, "/api/v1/elevators/E77", admin, body: #"{"unit_id":"U1"}"#)
            #expect(missing == .badRequest)
            #expect(try fixture.database.elevator("E77") == nil)
            // null clears a field that may be empty.
            let (cleared, clearedBody, _) = try await client.call(.put, "/api/v1/elevators/E2", admin, body: #"{"contractor_id":null}"#)
            #expect(cleared == .ok && clearedBody?["contractor_id"] is NSNull)
        }
    }

    @Test("dead letters come back byte for byte, binary ones too")
    func deadLetterBytes() async throws {
        let fixture = try APIFixture()
        let bytes: [UInt8] = [0xFF, 0xFE, 0x00, 0x41, 0xC3, 0x28, 0x7B]
        var batch = IngestBatch()
        batch.deadLetters = [NewDeadLetter(topic: "lift/430102/E1/telemetry", payload: bytes, receivedAt: APIFixture.now,
                                           rejection: Rejection(.json, "not JSON"), elevatorID: "E1")]
        _ = try fixture.database.commit(batch)
        try await fixture.application.test(.router) { client in
            let (_, json, _) = try await client.call(.get, "/api/v1/dead-letters", fixture.headers("admin"))
            let item = try #require((json?["items"] as? [[String: Any]])?.last)
            #expect(item["payload_bytes"] as? Int == bytes.count)
            #expect((item["payload_base64"] as? String).flatMap { Data(base64Encoded: $0) }.map([UInt8].init) == bytes)
        }
    }
}
