import Foundation
import Hummingbird
import HummingbirdTesting
import LiftCore
import LiftScheduler
import LiftStore
import Testing
@testable import LiftAPI

@Suite("The residents' page: no login, the hotline, report a problem")
struct ResidentPageTests {
    static var form: HTTPFields {
        var fields = HTTPFields()
        fields[.contentType] = "application/x-www-form-urlencoded"
        return fields
    }

    @Test("anyone opens an elevator's page without a login, in Chinese: state, companies, maintenance, inspection, the region's hotline")
    func publicPage() async throws {
        let fixture = try APIFixture()
        try await fixture.application.test(.router) { client in
            let (status, page) = try await client.execute(uri: "/lift/E1", method: .get, headers: [:]) { ($0.status, String(buffer: $0.body)) }
            #expect(status == .ok)
            #expect(page.contains("<html lang=\"zh-CN\">"))
            #expect(page.contains("href=\"tel:96366\""), "Hunan's hotline for an elevator in 430102")
            #expect(page.contains("使用单位") && page.contains("维保单位") && page.contains("C1"))
            #expect(page.contains("接通后请报电梯编号 E1"))
            #expect(page.contains("<form method=\"post\" action=\"/lift/E1/report\">"))
            #expect(!page.contains("/logout"), "nobody is logged in")
            let (missing, notFound) = try await client.execute(uri: "/lift/NOPE", method: .get, headers: [:]) { ($0.status, String(buffer: $0.body)) }
            #expect(missing == .notFound && notFound.contains("未找到该页面或记录"))
        }
        #expect(RescueHotlines().number(for: "440305") == "96333")
        #expect(RescueHotlines(byRegion: ["43": "96366", "4301": "12345"]).number(for: "430102") == "12345", "the longest prefix wins")
    }

    @Test("a report opens one minor repair for the contractor; more reports add occurrences; the note is cleaned and escaped")
    func reportOpensTicket() async throws {
        let fixture = try APIFixture()
        try await fixture.application.test(.router) { client in
            let note = "<script>alert(1)</script>\u{0007} 门  关不上" + String(repeating: "很", count: 300)
            let body = "category=door&note=" + note.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let (status, location) = try await client.execute(uri: "/lift/E1/report", method: .post, headers: Self.form, body: ByteBuffer(string: body)) {
                ($0.status, $0.headers[.location])
            }
            #expect(status == .seeOther && location == "/lift/E1?sent=1")
            let opened = try fixture.database.tickets(TicketFilter(elevatorID: "E1", types: [.minorRepair]))
            #expect(opened.count == 1)
            let ticket = try #require(opened.first)
            #expect(ticket.signal == TicketEngine.residentReportSignal && ticket.contractorID == "C1" && ticket.status == .open)
            #expect(ticket.reason.hasPrefix("住户报告：门开关异常；script alert(1) /script 门 关不上"), "angle brackets and control characters out")
            #expect(ticket.reason.count == "住户报告：门开关异常；".count + ResidentPages.noteLimit)
            let sent = try await client.execute(uri: "/lift/E1?sent=1", method: .get, headers: [:]) { String(buffer: $0.body) }
            #expect(sent.contains("已收到"))
            #expect(sent.contains("正常运行"), "a resident's report is no reason to call the elevator out of service")
            _ = try await client.execute(uri: "/lift/E1/report", method: .post, headers: Self.form, body: ByteBuffer(string: "category=noise")) { $0.status }
            let again = try fixture.database.tickets(TicketFilter(elevatorID: "E1", types: [.minorRepair]))
            #expect(again.count == 1 && again.first?.occurrences == 2)
            // The elevator page names it as a resident's report.
            let page = try await client.execute(uri: "/elevators/E1", method: .get, headers: fixture.headers("admin")) { String(buffer: $0.body) }
            #expect(page.contains("一般维修 · 住户报告"))
        }
    }

    @Test("reports are refused with a clear page past the limit per address, for a bad category, and from another site")
    func reportLimits() async throws {
        let fixture = try APIFixture()
        try await fixture.application.test(.router) { client in
            var statuses: [HTTPResponse.Status] = []
            for elevator in ["E1", "E2", "E3", "E9"] {
                statuses.append(try await client.execute(uri: "/lift/\(elevator)/report", method: .post, headers: Self.form, body: ByteBuffer(string: "category=light")) { $0.status })
            }
            #expect(statuses == [.seeOther, .seeOther, .seeOther, .tooManyRequests], "3 an hour from one address")
            let refused = try await client.execute(uri: "/lift/E9/report", method: .post, headers: Self.form, body: ByteBuffer(string: "category=light")) { String(buffer: $0.body) }
            #expect(refused.contains("提交过于频繁") && refused.contains("96366"))
            #expect(try fixture.database.tickets(TicketFilter(elevatorID: "E9", types: [.minorRepair])).isEmpty)
            let bad = try await client.execute(uri: "/lift/E1/report", method: .post, headers: Self.form, body: ByteBuffer(string: "category=fire")) { $0.status }
            #expect(bad == .badRequest)
            var crossSite = Self.form
            crossSite[.origin] = "https://evil.example"
            let forged = try await client.execute(uri: "/lift/E1/report", method: .post, headers: crossSite, body: ByteBuffer(string: "category=door")) { $0.status }
            #expect(forged == .forbidden)
        }
    }

    @Test("the state in words: not in service, a rescue, a safety fault, the controller's mode, silence, a repair")
    func stateInWords() async throws {
        let fixture = try APIFixture()
        try await fixture.application.test(.router) { client in
            func state(_ id: String) async throws -> String {
                let page = try await client.execute(uri: "/lift/\(id)", method: .get, headers: [:]) { String(buffer: $0.body) }
                return page.firstMatch(of: /<span class="state ([a-z_]+)">([^<]+)</)?.output.2.description ?? "none"
            }
            #expect(try await state("E4") == "停止使用", "E4 is suspended")
            let stopped = try await client.execute(uri: "/lift/E4", method: .get, headers: [:]) { String(buffer: $0.body) }
            #expect(stopped.contains("<span class=\"state out_of_service\">"))
            #expect(try await state("E3") == "运行状态暂时无法获取", "E3 has been silent past the offline threshold")
            try await fixture.context.engine!.open(Ticket(elevatorID: "E2", region: "430102", contractorID: "C1", type: .safetyRepair, openedAt: APIFixture.now, fault: .brakeFault, reason: "test"))
            #expect(try await state("E2") == "停止使用", "a safety fault stops the elevator until resolved")
        }
        #expect(ResidentPages.clean("a<b>c\u{0}d") == "a b c d")
    }

    @Test("the printable sign carries a QR code of the elevator's page, the hotline and the number")
    func sign() async throws {
        let code = try #require(QRCode(text: "https://lift.example.cn/lift/E1"))
        #expect(code.size >= 21 && (code.size - 21) % 4 == 0, "a version's size")
        // The three finder patterns: a dark 7×7 ring around a light ring around a dark 3×3 centre.
        for (ox, oy) in [(0, 0), (code.size - 7, 0), (0, code.size - 7)] {
            for y in 0..<7 {
                for x in 0..<7 {
                    let ring = max(abs(x - 3), abs(y - 3))
                    #expect(code.isDark(x: ox + x, y: oy + y) == (ring != 2), "finder at \(ox),\(oy): module \(x),\(y)")
                }
            }
        }
        #expect(QRCode(text: String(repeating: "x", count: 4_000)) == nil, "too long for any version")
        let fixture = try APIFixture()
        try await fixture.application.test(.router) { client in
            var headers = HTTPFields()
            headers[.init("Host")!] = "lift.example.cn"
            headers[.init("X-Forwarded-Proto")!] = "https"
            let (status, page) = try await client.execute(uri: "/lift/E1/sign", method: .get, headers: headers) { ($0.status, String(buffer: $0.body)) }
            #expect(status == .ok)
            let url = page.firstMatch(of: /aria-label="([^"]*)"/)?.output.1.description
            #expect(page.contains("<svg") && url?.hasPrefix("https://") == true && url?.hasSuffix("/lift/E1") == true, "\(url ?? "no code")")
            #expect(page.contains("被困请拨打 96366，报电梯编号 E1") && page.contains("电梯安全公示"))
        }
    }

    @Test("an address is counted by its /64 when IPv6, and through a configured proxy by its X-Forwarded-For")
    func senders() {
        #expect(ResidentPages.sender(ip: "2001:db8:1:2:aaaa::1", forwarded: nil, trusting: []) == "2001:db8:1:2::/64")
        #expect(ResidentPages.sender(ip: "2001:db8::1", forwarded: nil, trusting: []) == "2001:db8:0:0::/64")
        #expect(ResidentPages.sender(ip: "10.0.0.5", forwarded: "1.2.3.4, 5.6.7.8", trusting: ["10.0.0.5"]) == "5.6.7.8")
        #expect(ResidentPages.sender(ip: "10.0.0.6", forwarded: "1.2.3.4", trusting: ["10.0.0.5"]) == "10.0.0.6", "only a trusted proxy's header counts")
    }

    @Test("the limiter counts per elevator and per address over a sliding hour, and remembers at most its capacity")
    func limiterBounds() async {
        let limiter = ReportLimiter(perElevator: 5, perAddress: 3)
        var admitted = 0
        for address in 0..<7 where await limiter.admit(elevator: "E1", address: "10.0.0.\(address)", now: 0) { admitted += 1 }
        #expect(admitted == 5, "5 an hour per elevator, whoever sends them")
        #expect(await limiter.admit(elevator: "E1", address: "10.0.0.99", now: 3_600_000), "an hour later the elevator takes reports again")
        var most = 0
        for n in 0..<ReportLimiter.capacity {
            _ = await limiter.admit(elevator: "X\(n)", address: "a\(n)", now: 7_200_000 + Int64(n))
            most = max(most, await limiter.remembered)
        }
        #expect(most == ReportLimiter.capacity, "it fills up to its bound and never past it")
        #expect(await limiter.remembered >= ReportLimiter.capacity * 9 / 10)
        // An address at its limit is not forgotten to make room: it stays refused.
        let busy = ReportLimiter(perElevator: 5, perAddress: 3)
        for n in 0..<3 { #expect(await busy.admit(elevator: "B\(n)", address: "spammer", now: 0)) }
        for n in 0..<ReportLimiter.capacity { _ = await busy.admit(elevator: "F\(n)", address: "f\(n)", now: 1 + Int64(n)) }
        #expect(!(await busy.admit(elevator: "B9", address: "spammer", now: 20_000)), "still refused after the limiter filled up")
    }
}
