import ArgumentParser
import Foundation
import GrowdaAggregator

/// `growda nodes`: the node table of a running aggregator, alone.
struct NodesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nodes",
        abstract: "Show a running aggregator's nodes: state, last heartbeat, version held, updates, metrics.",
        discussion: """
            The same connection flags as `growda status`. States: alive, training, idle, lost (silent for \
            liveness.lost_after_seconds), revoked, never seen, refused (every message claiming to be the \
            node over the last minute failed authentication: most often a wrong key in its bundle). \
            --json prints an array of objects with the keys id, name, state, last_heard_seconds, \
            version_held, accepted, refused, settled_seq, unacked, last_metrics, refused_claimed (reason → \
            count of messages that claimed the node's id and failed authentication) and problem (what is \
            wrong, with what to do); absent values are null. An aggregator that does not answer within \
            --timeout: a message and exit 2.
            """)

    @OptionGroup var connection: StatusConnectionOptions

    @Flag(help: "Print the nodes as a JSON array.")
    var json = false

    func run() async throws {
        let endpoint = try connection.resolve()
        let status: AggregatorStatus
        do {
            status = try StatusClient(endpoint: endpoint, timeout: connection.timeout).fetch(what: "nodes")
        } catch let error as StatusClientError {
            Terminal.note("growda nodes: \(error)")
            throw ExitCode(HealthLevel.critical.rawValue)
        }
        if json {
            try Terminal.printJSON(status.nodes)
        } else {
            Terminal.say(StatusScreen.nodeTable(status.nodes))
        }
    }
}
