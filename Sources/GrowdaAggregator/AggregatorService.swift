import Foundation
import GrowdaFederation
import Logging
import ServiceLifecycle

/// Runs an `Aggregator` as a service, in the same shape as `NodeService`: its loop on a thread of its own
/// (a `ThreadService`; its sockets never touch Swift's cooperative pool), stopped on SIGTERM/SIGINT
/// (stop accepting; everything accepted is already on disk; sockets closed with a short linger) and the
/// same way when its task is cancelled: the group cancels it when a sibling service fails (the metrics
/// port taken, say), so `growda serve` exits with that error instead of hanging.
public struct AggregatorService: Service {
    /// The aggregator it runs.
    public let aggregator: Aggregator
    private let thread: ThreadService

    /// A service for `aggregator`.
    public init(aggregator: Aggregator) {
        self.aggregator = aggregator
        thread = ThreadService(name: "growda-aggregator", run: { try aggregator.run() }, stop: { aggregator.stop() })
    }

    /// Runs until the aggregator fails, or a graceful shutdown or cancellation is asked for.
    public func run() async throws {
        try await thread.run()
    }
}

/// Wires an aggregator from its configuration, as `growda serve` and the tests do.
public func buildAggregator(_ configuration: AggregatorConfiguration, logger: Logger) throws -> AggregatorService {
    AggregatorService(aggregator: try Aggregator(configuration: configuration, logger: logger))
}
