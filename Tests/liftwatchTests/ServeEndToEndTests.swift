import Foundation
import LiftCore
import LiftMQTT
@testable import LiftStore
import ArgumentParser
import GRDB
import Testing
@testable import liftwatch
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Runs the real `liftwatch` executable, as a user would.
@Suite("liftwatch executable", .serialized)
struct ServeEndToEndTests {
    static let binDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

    struct Run {
        var status: Int32
        var output: String
    }

    /// Starts `liftwatch serve` in `directory` with `settings`, its output in `serve.log` there.
    static func startServe(_ settings: [String], in directory: String) throws -> Process {
        let serve = Process()
        serve.executableURL = binDirectory.appendingPathComponent("liftwatch")
        serve.arguments = ["serve"] + settings
        serve.currentDirectoryURL = URL(fileURLWithPath: directory)
        FileManager.default.createFile(atPath: directory + "/serve.log", contents: nil)
        let log = FileHandle(forWritingAtPath: directory + "/serve.log")
        serve.standardOutput = log
        serve.standardError = log
        try serve.run()
        return serve
    }

    /// Starts `serve` on free loopback ports and waits until its HTTP port answers. A port found free can be taken
    /// by a test running alongside before `serve` binds it: when `serve` exits at start with "Address already in
    /// use", it starts again on other ports.
    static func startServeOnFreePorts(_ settings: [String] = [], in directory: String) async throws -> (serve: Process, brokerPort: Int, httpPort: Int) {
        for _ in 0..<5 {
            let brokerPort = try MosquittoBroker.freeLoopbackPort()
            let httpPort = try MosquittoBroker.freeLoopbackPort()
            let serve = try startServe(settings + ["--set", "broker.embedded_port=\(brokerPort)", "--set", "http.port=\(httpPort)"], in: directory)
            for _ in 0..<150 where serve.isRunning && !MosquittoBroker.acceptsConnections(host: "127.0.0.1", port: httpPort) {
                try await Task.sleep(for: .milliseconds(100))
            }
            if serve.isRunning { return (serve, brokerPort, httpPort) }
            let log = (try? String(contentsOfFile: directory + "/serve.log", encoding: .utf8)) ?? ""
            guard log.contains("Address already in use") else { throw ServeStartFailure(description: "serve exited at start: \(log)") }
        }
        throw ServeStartFailure(description: "serve found no free ports in 5 attempts")
    }

    /// Runs the executable to completion on a dispatch thread: waiting for it must not hold one of the few
    /// threads Swift concurrency has for every test running at the same time.
    @discardableResult
    static func liftwatch(_ arguments: [String], in directory: String) async throws -> Run {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    let process = Process()
                    process.executableURL = binDirectory.appendingPathComponent("liftwatch")
                    process.arguments = arguments
                    process.currentDirectoryURL = URL(fileURLWithPath: directory)
                    let pipe = Pipe()
                    process.standardOutput = pipe
                    process.standardError = pipe
                    try process.run()
                    let data = pipe.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: Run(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    static func workDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("on SIGTERM an open live stream is ended, so that it does not hold the server up")
    func shutdownWithOpenStream() async throws {
        let directory = try Self.workDirectory()
        let token = try await Self.liftwatch(["tokens", "create", "--role", "admin", "--label", "stream"], in: directory).output
            .split(separator: "\n").first { $0.hasPrefix("lw_") }.map(String.init) ?? ""
        #expect(token.hasPrefix("lw_"))
        let (serve, _, httpPort) = try await Self.startServeOnFreePorts(in: directory)
        defer { if serve.isRunning { serve.terminate() } }
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-sN", "-H", "Authorization: Bearer \(token)", "http://127.0.0.1:\(httpPort)/api/v1/stream"]
        curl.standardOutput = FileHandle.nullDevice
        try curl.run()
        defer { if curl.isRunning { curl.terminate() } }
        try await Task.sleep(for: .seconds(1))
        #expect(curl.isRunning, "the stream is open")
        let start = ContinuousClock.now
        serve.terminate()
        while serve.isRunning && ContinuousClock.now - start < .seconds(20) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!serve.isRunning && serve.terminationStatus == 0, "serve still running \(ContinuousClock.now - start) after SIGTERM")
        #expect(ContinuousClock.now - start < .seconds(10))
        while curl.isRunning && ContinuousClock.now - start < .seconds(25) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!curl.isRunning, "the stream ended with the server")
    }

    @Test("`serve` starts its own mosquitto, stores telemetry, answers /healthz, and on SIGTERM commits everything and exits 0")
    func serveEndToEnd() async throws {
        let directory = try Self.workDirectory()
        let registered = try await Self.liftwatch(["elevators", "register", "--region", "430102", "--contractor", "C1", "E-1", "E-2"], in: directory)
        #expect(registered.status == 0, "\(registered.output)")

        let (serve, brokerPort, httpPort) = try await Self.startServeOnFreePorts(in: directory)
        defer { if serve.isRunning { serve.terminate() } }

        var health: [String: String]?
        for _ in 0..<150 where health?["status"] != "ok" {
            try await Task.sleep(for: .milliseconds(100))
            if let (data, _) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(httpPort)/healthz")!) {
                health = try? JSONSerialization.jsonObject(with: data) as? [String: String]
            }
        }
        #expect(health?["status"] == "ok" && health?["database"] == "ok")

        let controller = try MQTTClient(configuration: .init(port: brokerPort, clientID: "E-1-controller"))
        controller.start()
        try await controller.waitUntilConnected()
        let now = EpochClock.system.now()
        for seq: UInt64 in 1...500 {
            try controller.enqueue(MQTTMessage(
                topic: "lift/430102/E-1/telemetry", payload: PayloadEncoder.encode(TelemetrySample(seq: seq, ts: now, speed: 1))))
        }
        try await controller.publish(MQTTMessage(topic: "lift/430102/E-1/event", string: #"{"seq":501,"ts":\#(now),"kind":"alarm","code":"alarm_test"}"#))
        try await controller.publish(MQTTMessage(topic: "lift/430102/NOPE/telemetry", string: #"{"seq":1,"ts":\#(now)}"#))
        await controller.shutdown()

        // SIGTERM as soon as the broker has everything: what LiftWatch received must be committed.
        try await Task.sleep(for: .milliseconds(300))
        serve.terminate()
        // Polled, not `waitUntilExit()`: that would hold one of the test pool's two threads meanwhile.
        while serve.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(serve.terminationStatus == 0, "\((try? String(contentsOfFile: directory + "/serve.log", encoding: .utf8)) ?? "")")

        let database = try LiftDatabase(path: directory + "/var/liftwatch.sqlite")
        let counts = try database.tableCounts()
        #expect(counts["telemetry"] == 500 && counts["events"] == 1 && counts["dead_letters"] == 1)
        #expect(!MosquittoBroker.acceptsConnections(host: "127.0.0.1", port: brokerPort), "the embedded broker is stopped on exit")

        let deadLetters = try await Self.liftwatch(["dead-letters", "list"], in: directory)
        #expect(deadLetters.status == 0 && deadLetters.output.contains("unregistered_elevator"))
        let backup = try await Self.liftwatch(["backup", directory + "/copy.sqlite"], in: directory)
        #expect(backup.status == 0 && FileManager.default.fileExists(atPath: directory + "/copy.sqlite"))
    }

    @Test("a bad configuration value exits non-zero with a message naming the key")
    func badConfigurationExits() async throws {
        let run = try await Self.liftwatch(["serve", "--set", "http.port=eighty"], in: try Self.workDirectory())
        #expect(run.status != 0)
        #expect(run.output.contains("http.port") && run.output.contains("expected an integer"))
    }

    /// Every command path of the command tree, the root included.
    static func commandPaths(_ command: any ParsableCommand.Type = LiftWatchCommand.self, prefix: [String] = []) -> [[String]] {
        let configuration = command.configuration
        let path = prefix.isEmpty ? [] : prefix
        return [path] + configuration.subcommands.flatMap { sub in
            commandPaths(sub, prefix: path + [sub.configuration.commandName ?? sub._commandName])
        }
    }

    @Test("an entrapment committed by a process that died before its ticket is ticketed and published by the next `serve` at start-up")
    func startUpSweep() async throws {
        let directory = try Self.workDirectory()
        #expect(try await Self.liftwatch(["elevators", "register", "--region", "430102", "--contractor", "C1", "E-1"], in: directory).status == 0)
        // What a process killed between the event's commit and its ticket leaves: the fault stored, no ticket.
        let arrival = EpochClock.system.now() - 20_000
        do {
            let database = try LiftDatabase(path: directory + "/var/liftwatch.sqlite")
            let key = try #require(try database.elevator("E-1")).key
            var batch = IngestBatch()
            batch.events = [IngestBatch.Item(elevator: key, elevatorID: "E-1", region: "430102", value: ElevatorEvent(
                seq: 7, ts: arrival - 1_000, kind: .fault, code: "entrapment_between_floors", fault: .entrapmentBetweenFloors, state: .raised,
                occupied: true), receivedAt: arrival)]
            _ = try database.commit(batch)
            try database.close()
        }
        let created = try await Self.liftwatch(["tokens", "create", "--role", "admin"], in: directory).output
        let token = try #require(created.split(whereSeparator: \.isWhitespace).map(String.init).first { $0.hasPrefix("lw_") && $0.count == 67 })
        let (serve, _, httpPort) = try await Self.startServeOnFreePorts(in: directory)
        defer { if serve.isRunning { serve.terminate() } }
        // The first scheduler pass runs at start-up and finds the fault without its ticket.
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(httpPort)/api/v1/tickets?elevator=E-1")!)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        var tickets: [[String: Any]] = []
        for _ in 0..<150 where tickets.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            if let (data, _) = try? await URLSession.shared.data(for: request) {
                tickets = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["items"] as? [[String: Any]] ?? []
            }
        }
        let ticket = try #require(tickets.first, "\((try? String(contentsOfFile: directory + "/serve.log", encoding: .utf8)) ?? "")")
        #expect(tickets.count == 1)
        #expect(ticket["type"] as? String == "rescue" && ticket["elevator_id"] as? String == "E-1")
        #expect(ticket["opened_at"] as? Int64 == arrival && ticket["fault_at"] as? Int64 == arrival - 1_000)
        #expect((ticket["reason"] as? String)?.contains("ticketed by the sweep") == true)
        serve.terminate()
        while serve.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        // Its messages went through the outbox and the broker acknowledged them.
        let database = try LiftDatabase(path: directory + "/var/liftwatch.sqlite")
        let ticketID = try #require(ticket["id"] as? Int64)
        let delivered = try database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM mqtt_outbox WHERE ticket_id = ? AND delivered_at IS NOT NULL", arguments: [ticketID])
        }
        #expect(delivered ?? 0 >= 1)
        #expect(try database.outbox.pendingCount() == 0)
    }

    @Test("liftwatch kpis prints the API's figures for a region as JSON and CSV")
    func kpisCommand() async throws {
        let directory = try Self.workDirectory()
        try """
            elevator_id,unit_id,region,contractor_id,commissioned_on,stage,on_demand,platform
            E1,,430102,C-01,2024-03-01,in_service,false,default
            E2,,430102,C-02,2024-03-01,in_service,false,default
            E3,,440102,C-02,2024-03-01,in_service,false,default
            """.write(toFile: directory + "/elevators.csv", atomically: true, encoding: .utf8)
        #expect(try await Self.liftwatch(["import", "elevators", "elevators.csv"], in: directory).status == 0)
        let json = try await Self.liftwatch(["kpis", "--region", "4301", "--from", "2026-11-01", "--to", "2026-12-01"], in: directory)
        #expect(json.status == 0, "\(json.output)")
        let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        #expect(object?["elevators_in_service"] as? Int == 2)
        #expect((object?["scope"] as? [String: Any])?["region"] as? String == "4301")
        let csv = try await Self.liftwatch(["kpis", "--contractor", "C-02", "--format", "csv"], in: directory)
        #expect(csv.status == 0 && csv.output.hasPrefix("figure,value,count") && csv.output.contains("\nelevators_in_service,2,"), "\(csv.output)")
        let bad = try await Self.liftwatch(["kpis", "--region", "43x"], in: directory)
        #expect(bad.status != 0 && bad.output.contains("--region must be a place code of 2, 4, 6, 9 or 12 digits"))
    }

    @Test("--help reads well for every subcommand")
    func help() async throws {
        let directory = try Self.workDirectory()
        let paths = Self.commandPaths()
        #expect(paths.count > 30, "the command tree was walked: \(paths.count) commands")
        for command in paths {
            let run = try await Self.liftwatch(command + ["--help"], in: directory)
            #expect(run.status == 0, "\(command)")
            #expect(run.output.contains("USAGE: liftwatch \(command.joined(separator: " "))"), "\(command): \(run.output.prefix(200))")
            #expect(run.output.contains("OVERVIEW:"), "\(command) says what it does")
        }
    }

    @Test("the registry from the command line: import with a bad row, re-import, stage refusal, dossier page, audit verification")
    func registryCommands() async throws {
        let directory = try Self.workDirectory()
        try """
            unit_id,region,address,lat,lon,floors,rating,stage
            U1,430102,芙蓉区五一路1号,28.19,113.02,6,suitable,registered
            U2,430102,芙蓉区五一路2号,28.19,113.03,6,great,surveyed
            """.write(toFile: directory + "/units.csv", atomically: true, encoding: .utf8)
        try """
            elevator_id,unit_id,region,contractor_id,commissioned_on,stage,on_demand,platform
            E1,U1,430102,C-01,2024-03-01,in_service,false,default
            """.write(toFile: directory + "/elevators.csv", atomically: true, encoding: .utf8)
        let units = try await Self.liftwatch(["import", "units", "units.csv"], in: directory)
        #expect(units.status == 1, "a refused row makes the exit status 1")
        #expect(units.output.contains("units.csv:3: rating \"great\" is not suitable, difficult or unsuitable"), "\(units.output)")
        #expect(units.output.contains("1 created") && units.output.contains("1 refused"))
        #expect(try await Self.liftwatch(["import", "elevators", "elevators.csv"], in: directory).status == 0)
        let again = try await Self.liftwatch(["import", "elevators", "elevators.csv"], in: directory)
        #expect(again.status == 0 && again.output.contains("0 created, 0 updated, 1 unchanged"), "\(again.output)")

        let refused = try await Self.liftwatch(["stage", "set", "E1", "approved"], in: directory)
        #expect(refused.status != 0 && refused.output.contains("in_service → approved is not allowed"), "\(refused.output)")
        let forced = try await Self.liftwatch(["stage", "set", "E1", "suspended"], in: directory)
        #expect(forced.status == 0 && forced.output.contains("in_service → suspended"))

        let page = try await Self.liftwatch(["dossier", "U1", "--format", "html", "-o", "U1.html"], in: directory)
        #expect(page.status == 0, "\(page.output)")
        let html = try String(contentsOfFile: directory + "/U1.html", encoding: .utf8)
        #expect(html.contains("单元 U1 档案") && html.contains("<canvas id=\"health0\" data-series=\"health-data-0\">") && html.contains("Chart.js v"))
        let json = try await Self.liftwatch(["dossier", "E1"], in: directory)
        #expect(json.status == 0 && json.output.contains("\"elevator_id\" : \"E1\"") && json.output.contains("\"stage_history\""))
        #expect(try await Self.liftwatch(["dossier", "NOPE"], in: directory).output.contains("no unit or elevator \"NOPE\""))

        let verified = try await Self.liftwatch(["audit", "verify"], in: directory)
        #expect(verified.status == 0 && verified.output.contains("intact"), "\(verified.output)")
    }
}

struct ServeStartFailure: Error, CustomStringConvertible {
    var description: String
}
