import Foundation

extension Process {
    /// Waits for the process to end and returns its exit status, reaping it here when Foundation has not:
    /// `waitUntilExit()` was seen to wait forever on a child already exited (a zombie), holding a test thread.
    public func finish() -> Int32 {
        var status: Int32 = 0
        while true {
            let result = waitpid(processIdentifier, &status, WNOHANG)
            if result == processIdentifier { return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f) }
            if result == -1 {
                // Foundation reaped it first.
                while isRunning { usleep(1_000) }
                return terminationStatus
            }
            usleep(5_000)
        }
    }
}
