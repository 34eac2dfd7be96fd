import Foundation
import Logging
import ServiceLifecycle

/// Runs an `Aggregator` as a service: its threads off Swift's cooperative pool, stopped gracefully on
/// SIGTERM/SIGINT through the `ServiceGroup` (stop accepting; everything accepted is already on disk;
/// sockets closed with a short linger), and stopped the same way when its task is cancelled: the group
/// cancels it when a sibling service fails (the metrics port taken, say), so `growda serve` exits with
/// that error instead of hanging.
public struct AggregatorService: Service {
    /// The aggregator it runs.
    public let aggregator: Aggregator

    /// A service for `aggregator`.
    public init(aggregator: Aggregator) { self.aggregator = aggregator }

    /// Runs until a graceful shutdown is asked for or the task is cancelled.
    public func run() async throws {
        let aggregator = self.aggregator
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let thread = Thread {
                    do {
                        try aggregator.run()
                        continuation.resume()
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
                thread.name = "growda-aggregator"
                thread.start()
            }
        } onCancelOrGracefulShutdown: {
            aggregator.stop()
        }
    }
}

/// Wires an aggregator from its configuration, as `growda serve` and the tests do.
public func buildAggregator(_ configuration: AggregatorConfiguration, logger: Logger) throws -> AggregatorService {
    AggregatorService(aggregator: try Aggregator(configuration: configuration, logger: logger))
}
