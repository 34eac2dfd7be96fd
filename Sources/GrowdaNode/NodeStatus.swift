import Foundation
import GrowdaSafetensors

/// What a running node last said of itself, kept in its state folder as `status.json` (rewritten every
/// few seconds and at once when its contact with the aggregator changes level), and shown by
/// `growda-node status`. Its JSON keys are stable.
public struct NodeStatus: Codable, Sendable, Equatable {
    /// The node's id and name, from its bundle.
    public var node_id: UInt32
    public var node_name: String
    /// When the node wrote this (seconds since the Unix epoch).
    public var written_at: Double
    /// The global model version it holds (nil: none yet).
    public var model_version: UInt64?
    /// Updates waiting for acknowledgement.
    public var outbox: Int
    /// Updates sent, resent, acknowledged; messages refused from the aggregator.
    public var sent: Int, resent: Int, acknowledged: Int, refused: Int
    /// ok, warning or error: whether the aggregator answers (see `AggregatorContact`).
    public var contact: AggregatorContact.Level
    /// Seconds the node has waited for an answer (0 when none is outstanding).
    public var seconds_without_answer: Double
    /// What is wrong and what to check, when `contact` is not ok or the node was revoked.
    public var message: String?
    /// The aggregator said this node was revoked; it has stopped.
    public var revoked = false
    /// The figures of the node's last local training round (`train_loss`, `val_accuracy`, `val_auc`, …),
    /// with `base_version`, the version it trained from; nil before the first round since the node started.
    public var last_training: [String: Double]? = nil
    /// The privacy this node has spent and the policy in force; nil without a policy or a ledger entry.
    public var privacy: NodePrivacyStatus? = nil
    /// The codec updates are compressed with (`none`, `int8`, `topk:0.01`, …), as the aggregator announced.
    public var codec: String? = nil
    /// The sealed size of the last update made, in bytes (nil before the first).
    public var last_update_bytes: Int? = nil
    /// The sealed size of every update made since the node started, in bytes (resends not counted).
    public var update_bytes: Int? = nil

    /// The exit status `growda-node status` gives: 0 ok, 1 warning, 2 error.
    public var exitCode: Int32 { revoked ? 2 : contact == .ok ? 0 : contact == .warning ? 1 : 2 }
}

extension NodeStateFolder {
    var statusPath: String { path + "/status.json" }

    /// Writes the node's status atomically (mode 0600).
    func writeStatus(_ status: NodeStatus) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(Array(try encoder.encode(status)), to: statusPath, permissions: 0o600)
    }

}

extension NodeStatus {
    /// The status a node last wrote in the state folder at `path`.
    public static func read(stateFolder path: String) throws -> NodeStatus {
        let file = path + "/status.json"
        guard FileManager.default.fileExists(atPath: file) else {
            throw NodeStatusUnavailable(
                description: "\(file) does not exist: no growda-node has run with --state \(path) yet (or give its --state)")
        }
        do {
            return try JSONDecoder().decode(NodeStatus.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            throw NodeStatusUnavailable(
                description: "\(file) cannot be read (\(error)); a running node rewrites it within seconds")
        }
    }
}

/// Why `growda-node status` has nothing to show.
public struct NodeStatusUnavailable: Error, CustomStringConvertible {
    public var description: String
}
