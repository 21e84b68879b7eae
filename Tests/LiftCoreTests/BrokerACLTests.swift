import Testing
@testable import LiftCore

@Suite("Broker ACL")
struct BrokerACLTests {
    @Test("each elevator gets exactly its own topics; LiftWatch reads controllers' topics and writes replays, tickets and alerts")
    func rendersAccounts() {
        let text = BrokerACL(
            elevators: [.init(elevatorID: "E-2", region: "430103"), .init(elevatorID: "E-1", region: "430102")], contractors: ["C1", "C1"]
        ).render(generatedAt: "now")
        let lines = text.split(separator: "\n").map(String.init)
        func block(_ user: String) -> [String] {
            guard let start = lines.firstIndex(of: "user \(user)") else { return [] }
            return Array(lines[(start + 1)...].prefix { $0.hasPrefix("topic ") })
        }
        #expect(block("E-1") == [
            "topic write lift/430102/E-1/telemetry", "topic write lift/430102/E-1/event", "topic write lift/430102/E-1/stats",
            "topic readwrite lift/430102/E-1/status", "topic read lift/430102/E-1/replay",
        ])
        #expect(block("E-2").count == 5)
        #expect(block("E-2").allSatisfy { $0.contains("lift/430103/E-2/") })
        #expect(block("liftwatch").contains("topic write lift/+/+/replay") && !block("liftwatch").contains { $0.contains("#") })
        #expect(block("C1") == ["topic read contractor/C1/tickets"])
        #expect(lines.filter { $0 == "user C1" }.count == 1)
        #expect(lines.firstIndex(of: "user E-1")! < lines.firstIndex(of: "user E-2")!)
    }
}
