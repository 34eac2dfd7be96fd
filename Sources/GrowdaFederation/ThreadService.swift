import Foundation
import ServiceLifecycle

/// A `Service` whose work is a blocking body run on a `Thread` of its own, so its blocking calls
/// (ZeroMQ polls, long BLAS runs) never hold a thread of Swift's cooperative pool.
///
/// `stop` is called once the service's task is cancelled (another service of the group failed) or the
/// group shuts down gracefully (SIGTERM/SIGINT); it must make `run`'s body return soon. It may be
/// called before the body has started, or more than once, so it should set a lasting flag rather than
/// signal a single waiter. `run` returns when the body returns, and rethrows the body's error.
public struct ThreadService: Service {
    /// The name of the thread the body runs on.
    public let name: String
    private let body: @Sendable () throws -> Void
    private let stop: @Sendable () -> Void

    /// A service running `run` on a thread named `name`, stopped by calling `stop`.
    public init(name: String, run: @escaping @Sendable () throws -> Void, stop: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = run
        self.stop = stop
    }

    /// Starts the thread and waits for the body to return; asks it to stop on cancellation or graceful shutdown.
    public func run() async throws {
        let body = self.body
        let name = self.name
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let thread = Thread {
                    do {
                        try body()
                        continuation.resume()
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
                thread.name = name
                thread.start()
            }
        } onCancelOrGracefulShutdown: { [stop] in
            stop()
        }
    }
}
