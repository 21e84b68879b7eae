import Foundation
import LiftStore

/// Who a command acts as in the audit log: `cli:` and the login name.
var cliActor: String {
    "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"] ?? "unknown")
}

/// Writes a line to standard error (progress, warnings), keeping standard output for results.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Writes `text` to `path`, or to standard output when `path` is nil or `-`.
func writeOutput(_ text: String, to path: String?) throws {
    guard let path, path != "-" else {
        FileHandle.standardOutput.write(Data(text.utf8))
        return
    }
    do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    } catch {
        throw CommandFailure("cannot write \(path): \(error.localizedDescription)")
    }
}

/// Runs `body`, turning registry refusals into a message and exit status 1.
func reportingRegistryErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as RegistryError {
        throw CommandFailure(error.message)
    } catch let error as StoreError {
        throw CommandFailure(error.description)
    }
}
