import Foundation
import Synchronization

/// A mosquitto broker process on loopback, with its own configuration and data directory.
///
/// Used by the tests (a broker per test, on a free port) and by `liftwatch serve` when no broker is
/// configured. The process is stopped by `stop()`; `kill()` and `restart()` exist for failure tests.
public final class MosquittoBroker: Sendable {
    /// How to start the broker.
    public struct Options: Sendable {
        /// TCP port; nil picks a free one.
        public var port: Int?
        /// Lines of mosquitto.conf added after `baseConfigurationFile`, before the generated listener.
        public var extraConfiguration: String
        /// A mosquitto.conf to start from (for example `config/mosquitto.conf`). It must not declare listeners.
        public var baseConfigurationFile: String?
        /// Where the configuration, persistence file and log go; nil makes a temporary directory.
        public var directory: String?
        /// Keep sessions and queued messages in a file, saved every second, so that a killed broker keeps them.
        public var persistence: Bool
        /// When set, the generated listener requires these credentials (`user: password`).
        public var passwords: [String: String]
        /// When set, the generated listener speaks TLS with these PEM files.
        public var tls: TLSFiles?

        /// Server-side TLS material for the generated listener.
        public struct TLSFiles: Sendable {
            public var caFile: String
            public var certificateFile: String
            public var keyFile: String
            /// Refuse clients without a certificate signed by `caFile`.
            public var requireClientCertificate: Bool

            public init(caFile: String, certificateFile: String, keyFile: String, requireClientCertificate: Bool = false) {
                self.caFile = caFile
                self.certificateFile = certificateFile
                self.keyFile = keyFile
                self.requireClientCertificate = requireClientCertificate
            }
        }

        public init(
            port: Int? = nil, extraConfiguration: String = "", baseConfigurationFile: String? = nil,
            directory: String? = nil, persistence: Bool = true, passwords: [String: String] = [:],
            tls: TLSFiles? = nil
        ) {
            self.tls = tls
            self.port = port
            self.extraConfiguration = extraConfiguration
            self.baseConfigurationFile = baseConfigurationFile
            self.directory = directory
            self.persistence = persistence
            self.passwords = passwords
        }
    }

    public let host = "127.0.0.1"
    public let port: Int
    /// The broker's working directory (configuration, log, persistence).
    public let directory: String
    public var configurationFile: String { directory + "/mosquitto.conf" }
    public var logFile: String { directory + "/mosquitto.log" }
    var stderrFile: String { directory + "/mosquitto.stderr" }
    private let process: Mutex<ChildProcess?>

    private init(port: Int, directory: String) {
        self.port = port
        self.directory = directory
        self.process = Mutex(nil)
    }

    /// Writes the configuration and starts mosquitto; returns once it accepts connections.
    /// - Throws: `BrokerError` when mosquitto is not installed, exits at start, or does not listen in time.
    public static func start(_ options: Options = Options()) async throws -> MosquittoBroker {
        let directory = try options.directory ?? makeTemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var attempt = 0
        while true {
            attempt += 1
            let port = try options.port ?? freeLoopbackPort()
            let broker = MosquittoBroker(port: port, directory: directory)
            try broker.writeConfiguration(options)
            do {
                try await broker.launch()
                return broker
            } catch let error as BrokerError where error.portInUse && options.port == nil && attempt < 5 {
                // A port found free can be taken before mosquitto binds it: outgoing connections (other tests'
                // clients) get their local ports from the same range. A port of our own choosing: take another.
                continue
            }
        }
    }

    /// Stops the broker with SIGTERM (it saves its persistence file) and waits for it to exit.
    public func stop() async {
        await terminate(signal: SIGTERM)
    }

    /// Kills the broker with SIGKILL, as a crash would.
    public func kill() async {
        await terminate(signal: SIGKILL)
    }

    /// Starts the broker again on the same port with the same configuration and data.
    public func restart() async throws {
        await stop()
        try await launch()
    }

    public var isRunning: Bool { process.withLock { $0?.isRunning ?? false } }

    private func terminate(signal: Int32) async {
        guard let child = process.withLock({ $0 }), child.isRunning else { return }
        child.send(signal)
        await child.waitForExit()
        process.withLock { $0 = nil }
    }

    private func writeConfiguration(_ options: Options) throws {
        var lines: [String] = []
        if let base = options.baseConfigurationFile {
            lines.append(try String(contentsOfFile: base, encoding: .utf8))
        }
        lines.append(options.extraConfiguration)
        if geteuid() == 0 {
            // Started as root, mosquitto drops to the `mosquitto` user, which cannot read our directory.
            lines.append("user root")
        }
        lines.append("log_dest file \(logFile)")
        lines.append("log_type error\nlog_type warning\nlog_type notice\nlog_type information")
        if options.persistence {
            lines.append("persistence true\npersistence_location \(directory)/\nautosave_interval 1")
        }
        lines.append("listener \(port) \(host)")
        if let tls = options.tls {
            lines.append("cafile \(tls.caFile)\ncertfile \(tls.certificateFile)\nkeyfile \(tls.keyFile)")
            lines.append("require_certificate \(tls.requireClientCertificate)")
        }
        if options.passwords.isEmpty {
            lines.append("allow_anonymous true")
        } else {
            let passwordFile = directory + "/passwords"
            let text = options.passwords.map { "\($0.key):\($0.value)" }.joined(separator: "\n") + "\n"
            try text.write(toFile: passwordFile, atomically: true, encoding: .utf8)
            try Self.run(Self.executable(named: "mosquitto_passwd"), ["-U", passwordFile])
            lines.append("allow_anonymous false\npassword_file \(passwordFile)")
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: configurationFile, atomically: true, encoding: .utf8)
    }

    private func launch() async throws {
        // Listening is not enough: another broker may hold the port while ours is failing to bind it. Ours is up when
        // it also logs that it is running (one more time than before this launch: a restart keeps its log).
        func runningLines() -> Int {
            ((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "").components(separatedBy: " running").count - 1
        }
        let runningBefore = runningLines()
        let child = try ChildProcess.spawn(try Self.executable(named: "mosquitto"), ["-c", configurationFile], outputPath: stderrFile)
        process.withLock { $0 = child }
        // Generous: on a 2-core machine running a whole test suite, the first poll may wait seconds for a thread.
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if !child.isRunning {
                let log = [stderrFile, logFile].compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }.joined()
                // Both files are removed first: a log left by an earlier attempt must not decide this one.
                for file in [stderrFile, logFile] { try? FileManager.default.removeItem(atPath: file) }
                throw BrokerError(
                    message: "mosquitto exited (wait status \(child.terminationStatus ?? -1)) at start; log:\n\(log.suffix(2000))",
                    portInUse: log.contains("Address already in use"))
            }
            if runningLines() > runningBefore && Self.acceptsConnections(host: host, port: port) && child.isRunning { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        // Once more after the deadline: a task starved of its thread for the whole wait (a busy 2-core
        // machine) must not fail a broker that has been listening all along.
        if child.isRunning && runningLines() > runningBefore && Self.acceptsConnections(host: host, port: port) { return }
        child.send(SIGKILL)
        throw BrokerError(message: "mosquitto did not listen on \(host):\(port) within 30 s")
    }

    // MARK: - Helpers

    /// Finds a Debian-installed mosquitto program (`/usr/sbin`, `/usr/bin`) or one on PATH.
    static func executable(named name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] + path.split(separator: ":").map(String.init)
        for directory in candidates where FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
            return directory + "/" + name
        }
        throw BrokerError(message: "\(name) is not installed (run scripts/setup.sh, or apt-get install mosquitto)")
    }

    private static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BrokerError(message: "\(executable) \(arguments.joined(separator: " ")) failed with status \(process.terminationStatus)")
        }
    }

    private static func makeTemporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mosquitto-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A TCP port on 127.0.0.1 that nothing listens on right now.
    public static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BrokerError(message: "socket(): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(fd, generic, length) == 0 && getsockname(fd, generic, &length) == 0
            }
        }
        guard bound else { throw BrokerError(message: "bind(127.0.0.1:0): \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts TCP connections on host:port now.
    public static func acceptsConnections(host: String, port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// Starting or controlling a mosquitto process failed.
public struct BrokerError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// mosquitto exited at start because its port was taken.
    public var portInUse = false
    public var description: String { message }
}
