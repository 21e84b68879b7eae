import Foundation
import Synchronization

/// A child process started with `posix_spawn`, with a clean signal mask: the one way LiftWatch starts helpers
/// (the embedded mosquitto, Litestream in the cluster profile).
///
/// Foundation's `Process` passes on the spawning thread's signal mask, and Swift's concurrency threads block
/// SIGTERM: a broker started that way ignores SIGTERM and outlives its tests. This resets the mask and the
/// default handlers in the child, and puts it in a process group of its own.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    private let exitStatus = Mutex<Int32?>(nil)

    private init(pid: pid_t) { self.pid = pid }

    /// Starts `executable` with `arguments`, standard output and error appended to `outputPath`.
    public static func spawn(_ executable: String, _ arguments: [String], outputPath: String) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // Its own process group: a Ctrl-C at the terminal reaches LiftWatch, which then stops the broker
        // after disconnecting, instead of reaching both at once.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else {
            throw BrokerError(message: "cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        return ChildProcess(pid: pid)
    }

    /// Whether the child is still running (reaps it when it has exited).
    public var isRunning: Bool {
        exitStatus.withLock { status in
            guard status == nil else { return false }
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, WNOHANG)
            if result == pid || result == -1 {
                status = raw
                return false
            }
            return true
        }
    }

    /// The raw wait status once the child has exited.
    public var terminationStatus: Int32? { exitStatus.withLock { $0 } }

    public func send(_ signal: Int32) { kill(pid, signal) }

    /// Waits until the child has exited, polling.
    public func waitForExit() async {
        while isRunning {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
