import Foundation
import GrowdaFederation
import Logging
import ServiceLifecycle

/// Runs a `NodeAgent` as a service: the agent's blocking loop on a thread of its own (a `ThreadService`;
/// its sockets never touch Swift's cooperative pool), stopped on SIGTERM/SIGINT or when the group's
/// task is cancelled: the step in hand ends, unacknowledged updates stay in the outbox, run returns.
public struct NodeService: Service {
    /// The agent it runs.
    public let agent: NodeAgent
    private let thread: ThreadService

    /// A service for `agent`.
    public init(agent: NodeAgent) {
        self.agent = agent
        thread = ThreadService(name: "growda-node", run: { try agent.run() }, stop: { agent.stop() })
    }

    /// Runs the agent until it stops, fails, or a graceful shutdown or cancellation is asked for.
    public func run() async throws {
        try await thread.run()
    }
}

/// Wires a node from its configuration, as `growda-node run` and the tests do.
public func buildNode(_ configuration: NodeConfiguration, logger: Logger) throws -> NodeService {
    NodeService(agent: try NodeAgent.build(configuration, logger: logger))
}
