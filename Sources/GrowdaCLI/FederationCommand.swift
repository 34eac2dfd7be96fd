import ArgumentParser
import Foundation
import GrowdaAggregator
import GrowdaProvisioning

/// `growda federation`: set up a federation's folder on the aggregator's host.
struct FederationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "federation",
        abstract: "Set up a federation: the aggregator's keys and its configuration.",
        subcommands: [Init.self]
    )
}

extension FederationCommand {
    /// `growda federation init`: the aggregator's signing key pair, the model key, the admin key, a
    /// commented configuration and an empty node registry, in a new folder.
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a federation: aggregator signing key pair, model key, admin key, federation.conf.",
            discussion: """
                DIR is made mode 0700 (it may already exist, but not hold a federation) and every file in it \
                mode 0600. DIR/federation.conf sets endpoint.host and bind.host and lists every other key \
                Growda reads, commented out at its default, with what it means and allows: remove the # to \
                set one (model.name and model.classes first), then check the file with `growda serve \
                --config DIR/federation.conf --check-config`; an unknown key is an error. Nodes connect to \
                --endpoint-host on ports 7701 (updates, PULL), 7702 (models, PUB) and 7703 (snapshots, \
                ROUTER); change them before adding nodes. The aggregator binds --bind-host, 127.0.0.1 unless \
                told otherwise: use 0.0.0.0 (or an interface's address) when hospitals connect from other \
                machines. Keep DIR private and backed up.
                """
        )

        @Option(help: ArgumentHelp("Folder to make the federation in (created if missing).", valueName: "dir"))
        var dir: String

        @Option(help: ArgumentHelp("Host name or address nodes connect to (written into bundles).", valueName: "host"))
        var endpointHost: String = FederationConfig.Default.host

        @Option(help: ArgumentHelp("Address the aggregator binds (0.0.0.0 for remote hospitals).", valueName: "host"))
        var bindHost: String = FederationConfig.Default.host

        @Flag(help: "Print the summary as JSON.")
        var json = false

        func validate() throws {
            guard !dir.isEmpty else { throw ValidationError("--dir must name a folder.") }
            for (flag, host) in [("--endpoint-host", endpointHost), ("--bind-host", bindHost)] {
                do {
                    _ = try Host.validated(host)
                } catch {
                    throw ValidationError("\(flag): \(error)")
                }
            }
        }

        func run() async throws {
            let federation = try Federation.create(
                directory: dir, endpointHost: endpointHost, bindHost: bindHost,
                documenting: AggregatorConfiguration.knownKeys)
            let summary = try Summary(federation)
            if json {
                try Terminal.printJSON(summary)
            } else {
                print(summary.text())
            }
        }
    }
}

extension FederationCommand.Init {
    /// What `growda federation init` made, for the text and `--json` (key fingerprints only).
    struct Summary: Codable, Equatable {
        var directory: String
        var config: String
        var endpoints: FederationEndpoints
        var endpoint_host: String
        var bind_host: String
        var max_message_bytes: Int
        var aggregator_fingerprint: String
        var model_key_fingerprint: String
        var admin_key_fingerprint: String
        var next_step: String

        /// The summary of `federation`, its keys read back from their files.
        init(_ federation: Federation) throws {
            directory = federation.directory
            config = federation.configPath
            endpoints = try federation.config.nodeEndpoints()
            endpoint_host = try federation.config.endpointHost()
            bind_host = try federation.config.bindHost()
            max_message_bytes = try federation.config.maxMessageBytes()
            aggregator_fingerprint = try federation.verifyKey().fingerprint
            model_key_fingerprint = try federation.modelKey().fingerprint
            admin_key_fingerprint = try federation.adminKey().fingerprint
            next_step = "growda node add NAME --federation \(federation.directory) --out NAME.bundle"
        }

        /// The summary as lines of text.
        func text() -> String {
            var lines = [
                "made a federation in \(directory) (mode 0700, every file 0600)",
                "  configuration     \(config)",
                "  aggregator key    \(aggregator_fingerprint)  "
                    + "(keys/aggregator-signing.key, keys/aggregator-verify.key)",
                "  model key         \(model_key_fingerprint)  (keys/model.key)",
                "  admin key         \(admin_key_fingerprint)  (keys/admin.key)",
                "  nodes connect to  \(endpoints.updates) (updates), \(endpoints.models) (models), "
                    + "\(endpoints.snapshots) (snapshots)",
                "  aggregator binds  \(bind_host)",
            ]
            if Self.isLoopback(endpoint_host) {
                lines.append(
                    "note: nodes are told to connect to this machine's loopback address, so only a node on this "
                        + "machine can join; give --endpoint-host the aggregator's name for real hospitals")
            }
            if Self.isLoopback(bind_host) {
                lines.append(
                    "note: the aggregator accepts nodes on this machine only; set bind.host = 0.0.0.0 in \(config) "
                        + "for remote hospitals")
            }
            lines.append(
                "edit: \(config) lists every setting, commented out at its default; set model.name and "
                    + "model.classes there, then check it with growda serve --config \(config) --check-config")
            lines.append("next: \(next_step)")
            return lines.joined(separator: "\n")
        }

        /// Whether `host` names this machine only.
        static func isLoopback(_ host: String) -> Bool {
            host == "localhost" || host == "::1" || host.hasPrefix("127.")
        }
    }
}
