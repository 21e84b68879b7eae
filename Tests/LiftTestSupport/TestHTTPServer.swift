import Hummingbird
import NIOCore
import Synchronization

/// A Hummingbird server for a test, on a port the system picks on loopback.
public enum TestHTTPServer {
    /// Starts `router`'s application and returns once it accepts connections (not after a guessed sleep:
    /// a loaded CI machine took longer than one). Cancel the returned task to stop it.
    public static func start<Builder: HTTPResponderBuilder>(
        _ router: Builder
    ) async throws -> (port: Int, task: Task<Void, any Error>)
    where Builder.Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
        let waiting = Mutex<CheckedContinuation<Int, any Error>?>(nil)
        let resume: @Sendable (Result<Int, any Error>) -> Void = { result in
            waiting.withLock { continuation in
                continuation?.resume(with: result)
                continuation = nil
            }
        }
        let app = Application(
            responder: router.buildResponder(), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in resume(.success(channel.localAddress?.port ?? 0)) })
        var task: Task<Void, any Error>?
        let port = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
            waiting.withLock { $0 = continuation }
            task = Task {
                do { try await app.runService() } catch {
                    resume(.failure(error))
                    throw error
                }
                resume(.failure(CancellationError()))
            }
        }
        return (port, task!)
    }
}
