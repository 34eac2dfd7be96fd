import Foundation
import Logging
import ServiceLifecycle

/// Runs a `NodeAgent` as a service: the agent's blocking loop on a thread of its own (its sockets
/// never touch Swift's cooperative pool), stopped gracefully on SIGTERM/SIGINT through the
/// `ServiceGroup`: the step in hand ends, unacknowledged updates stay in the outbox, run returns.
public struct NodeService: Service {
    /// The agent it runs.
    public let agent: NodeAgent

    /// A service for `agent`.
    public init(agent: NodeAgent) { self.agent = agent }

    /// Runs the agent until it stops or a graceful shutdown is asked for.
    public func run() async throws {
        let agent = self.agent
        try await withGracefulShutdownHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let thread = Thread {
                    do {
                        try agent.run()
                        continuation.resume()
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
                thread.name = "growda-node"
                thread.start()
            }
        } onGracefulShutdown: {
            agent.stop()
        }
    }
}

/// Wires a node from its configuration, as `growda-node run` and the tests do.
public func buildNode(_ configuration: NodeConfiguration, logger: Logger) throws -> NodeService {
    NodeService(agent: try NodeAgent.build(configuration, logger: logger))
}
