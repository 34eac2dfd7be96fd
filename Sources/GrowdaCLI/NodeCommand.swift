import ArgumentParser
import Foundation
import GrowdaAggregator
import GrowdaCrypto
import GrowdaNode
import GrowdaProvisioning

/// `growda node`: add, revoke and list the hospitals of a federation.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Add, revoke and list a federation's nodes (one per hospital).",
        subcommands: [Add.self, Revoke.self, List.self]
    )
}

/// The `--federation DIR` option every `growda node` command takes.
struct FederationOption: ParsableArguments {
    @Option(help: ArgumentHelp("The federation's folder, made by `growda federation init`.", valueName: "dir"))
    var federation: String
}

extension NodeCommand {
    /// `growda node add`: a new node's key and bundle.
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add node NAME: make its key and write its bundle (mode 0600) for the hospital.",
            discussion: """
                The bundle holds the node's id and key, the model key, the aggregator's verify key and the \
                endpoints. Beside it, NAME.console-token (for NAME.bundle) opens the hospital's diagnosis desk \
                (growda-node run --console-port). Other nodes and their bundles are not touched. Copy the bundle to the hospital over \
                a secure channel, then run `growda-node run --bundle FILE --data DIR` there.
                """
        )

        @Argument(help: "The node's name: 1–64 letters, digits, '.', '_' or '-', unique among active nodes.")
        var name: String

        @OptionGroup var federation: FederationOption

        @Option(
            help: ArgumentHelp("Where to write the node's bundle; must not exist unless --force.", valueName: "file"))
        var out: String

        @Flag(help: "Replace the file at --out if there is one.")
        var force = false

        @Flag(help: "Print the new node as JSON.")
        var json = false

        func validate() throws {
            do {
                try NodeName.validate(name)
            } catch {
                throw ValidationError(error.description)
            }
            guard !out.isEmpty else { throw ValidationError("--out must name a file.") }
        }

        func run() async throws {
            var federation = try Federation.load(directory: federation.federation)
            // The bundle carries the endpoints: a misspelt endpoint key would send the hospital elsewhere.
            let unknown = federation.config.unknownKeys(known: AggregatorConfiguration.knownKeys.map(\.name))
            guard unknown.isEmpty else {
                let path = federation.configPath
                let count = unknown.count == 1 ? "an unknown key" : "\(unknown.count) unknown keys"
                let head =
                    "\(path) has \(count), so no bundle was written; fix the file (growda serve --config "
                    + "\(path) --check-config checks it) and add the node again:"
                throw CLIError(([head] + unknown.map { "  \($0)" }).joined(separator: "\n"))
            }
            let added = try federation.addNode(name: name, bundlePath: out, overwrite: force)
            // The desk's login: a token the hospital keeps beside the bundle (the federation keeps no copy).
            let tokenPath = GrowdaNodeCommand.Run.defaultConsoleToken(forBundle: out)
            do {
                try ConsoleToken.generate().write(path: tokenPath, overwrite: force)
            } catch {
                throw CLIError(
                    "node \(name) was added and its bundle written, but its desk token \(tokenPath) was not: \(error); "
                        + "make it with growda console token --out \(tokenPath)")
            }
            var report = Report(added)
            report.console_token = tokenPath
            if json {
                try Terminal.printJSON(report)
            } else {
                print(report.text())
            }
        }

        /// What `growda node add` did (fingerprints only, never key bytes).
        struct Report: Codable, Equatable {
            var id: UInt32
            var name: String
            var key_fingerprint: String
            var added: String
            var bundle: String
            var endpoints: FederationEndpoints
            var console_token: String?
            var next_step: String

            init(_ added: Federation.AddedNode) {
                id = added.record.id
                name = added.record.name
                key_fingerprint = added.record.keyFingerprint
                self.added = Federation.timestamp(added.record.added)
                bundle = added.bundlePath
                endpoints = added.bundle.endpoints
                next_step =
                    "copy \(bundle) to the hospital over a secure channel; "
                    + "run growda-node run --bundle \(bundle) --data DIR"
            }

            /// The report as lines of text.
            func text() -> String {
                """
                added node \(id) "\(name)", key fingerprint \(key_fingerprint)
                bundle: \(bundle) (mode 0600; it connects to \(endpoints.updates), \(endpoints.models), \
                \(endpoints.snapshots))
                desk token: \(console_token ?? "none") (mode 0600; opens growda-node run --console-port; copy it with \
                the bundle)
                next: \(next_step)
                """
            }
        }
    }

    /// `growda node revoke`: the node is refused from then on, and the model key is rotated.
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke node NAME: refuse it from now on and rotate the federation's model key.",
            discussion: """
                Everything the node sends is refused from then on. The federation's model key is replaced \
                (keys/model.key), so the node cannot open any model made after this; the other nodes \
                receive the new key sealed under their own keys in their next snapshot reply, and no other \
                bundle needs re-issuing. The aggregator (running or started later) tells the revoked node \
                it was revoked, and the node stops (exit status 3). Its key moves to nodes/ID.revoked.key, \
                kept only to seal that notice. Its id is never given again; `growda node add NAME` makes a \
                new node with a new id and key if the hospital should rejoin.
                """
        )

        @Argument(help: "The name of the node to revoke.")
        var name: String

        @OptionGroup var federation: FederationOption

        @Flag(help: "Print the revoked node as JSON.")
        var json = false

        func run() async throws {
            var federation = try Federation.load(directory: federation.federation)
            let record = try federation.revokeNode(name: name)
            if json {
                try Terminal.printJSON(List.Row(record))
            } else {
                print("revoked node \(record.id) \"\(record.name)\": everything it sends is refused from now on")
                print(
                    "model key rotated (\(federation.modelKeyPath), fingerprint \(try federation.modelKey().fingerprint)): "
                        + "the other nodes receive it in their next snapshot reply; no bundle needs re-issuing")
                print("the aggregator tells \(record.name) it was revoked; its growda-node then stops (exit status 3)")
            }
        }
    }

    /// `growda node list`: every node ever added, revoked ones included.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the nodes: id, name, key fingerprint, when added, state (active or revoked)."
        )

        @OptionGroup var federation: FederationOption

        @Flag(help: "Print the nodes as a JSON array.")
        var json = false

        func run() async throws {
            let federation = try Federation.load(directory: federation.federation)
            let rows = federation.registry.nodes.map(Row.init)
            if json {
                try Terminal.printJSON(rows)
            } else {
                print(Self.table(rows))
            }
        }

        /// One node as listed (JSON keys are stable).
        struct Row: Codable, Equatable {
            var id: UInt32
            var name: String
            var key_fingerprint: String
            var added: String
            var revoked: String?
            var state: String

            init(_ record: NodeRecord) {
                id = record.id
                name = record.name
                key_fingerprint = record.keyFingerprint
                added = Federation.timestamp(record.added)
                revoked = record.revoked.map(Federation.timestamp)
                state = record.isActive ? "active" : "revoked"
            }

            /// Every key, `revoked` as null for an active node.
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(id, forKey: .id)
                try container.encode(name, forKey: .name)
                try container.encode(key_fingerprint, forKey: .key_fingerprint)
                try container.encode(added, forKey: .added)
                try container.encode(revoked, forKey: .revoked)
                try container.encode(state, forKey: .state)
            }
        }

        /// The rows as an aligned table with a header, or a hint when there are none.
        static func table(_ rows: [Row]) -> String {
            guard !rows.isEmpty else {
                return "no nodes yet; add one with growda node add NAME --federation DIR --out FILE"
            }
            let header = ["id", "name", "fingerprint", "added", "state"]
            let cells = rows.map { row in
                [
                    String(row.id), row.name, row.key_fingerprint, row.added,
                    row.revoked.map { "revoked \($0)" } ?? "active",
                ]
            }
            let widths = header.indices.map { c in max(header[c].count, cells.map { $0[c].count }.max() ?? 0) }
            func line(_ values: [String]) -> String {
                let text = values.enumerated().map { c, value in
                    let pad = String(repeating: " ", count: widths[c] - value.count)
                    return c == 0 ? pad + value : value + pad
                }.joined(separator: "  ")
                return String(text.reversed().drop { $0 == " " }.reversed())
            }
            return ([line(header)] + cells.map(line)).joined(separator: "\n")
        }
    }
}
