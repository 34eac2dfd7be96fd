import Foundation
import GRDB

/// The reads shared by the aggregator's `StateStore` and the read-only `StateReader`: SQL rows to
/// public records.
enum StateQueries {
    static func federation(_ db: Database) throws -> FederationRecord? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM federation WHERE id = 1") else { return nil }
        return FederationRecord(
            currentVersion: row["current_version"], mode: row["mode"], createdAt: row["created_at"],
            updatedAt: row["updated_at"], optimizerStateFile: row["optimizer_state_file"],
            bufferFile: row["buffer_file"])
    }

    static func history(_ db: Database) throws -> [VersionRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM versions ORDER BY version").map(versionRecord)
    }

    static func version(_ db: Database, _ version: UInt64) throws -> VersionRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM versions WHERE version = ?", arguments: [version]).map(versionRecord)
    }

    static func nodes(_ db: Database) throws -> [NodeRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM nodes ORDER BY id").map { row in
            NodeRecord(
                id: row["id"], name: row["name"], settledSeq: row["settled_seq"], firstSeenAt: row["first_seen_at"],
                lastHeartbeatAt: row["last_heartbeat_at"], reportedState: row["reported_state"],
                versionHeld: row["version_held"], acceptedCount: row["accepted_count"],
                refusedCount: row["refused_count"], lastUpdateAt: row["last_update_at"],
                lastMetrics: try JSONColumn.metrics(row["last_metrics"]))
        }
    }

    static func settledSeqs(_ db: Database) throws -> [UInt32: UInt64] {
        let rows = try Row.fetchAll(db, sql: "SELECT id, settled_seq FROM nodes WHERE settled_seq > 0")
        return Dictionary(uniqueKeysWithValues: rows.map { ($0["id"], $0["settled_seq"]) })
    }

    static func refusals(_ db: Database) throws -> [RefusalCount] {
        try Row.fetchAll(db, sql: "SELECT * FROM refusals ORDER BY reason, node_id").map { row in
            let node: UInt32 = row["node_id"]
            return RefusalCount(
                reason: row["reason"], node: node == 0 ? nil : node, count: row["count"], lastAt: row["last_at"])
        }
    }

    /// The buffer in acceptance order.
    static func pending(_ db: Database) throws -> [PendingUpdate] {
        try Row.fetchAll(db, sql: "SELECT * FROM pending_updates ORDER BY rowid").map(pendingUpdate)
    }

    static func pending(_ db: Database, _ key: UpdateKey) throws -> PendingUpdate? {
        try Row.fetchOne(
            db, sql: "SELECT * FROM pending_updates WHERE node_id = ? AND seq = ?", arguments: [key.node, key.seq]
        ).map(pendingUpdate)
    }

    private static func pendingUpdate(_ row: Row) throws -> PendingUpdate {
        let update = AcceptedUpdate(
            node: row["node_id"], seq: row["seq"], baseVersion: row["base_version"], staleness: row["staleness"],
            weight: row["weight"], sampleCount: row["sample_count"], metrics: try JSONColumn.metrics(row["metrics"]),
            norm: row["norm"])
        return PendingUpdate(update: update, receivedAt: row["received_at"])
    }

    private static func versionRecord(_ row: Row) throws -> VersionRecord {
        let accuracy: Double? = row["eval_accuracy"]
        return VersionRecord(
            version: row["version"], createdAt: row["created_at"], updatesFolded: row["updates_folded"],
            totalWeight: row["total_weight"], meanStaleness: row["mean_staleness"],
            maxStaleness: row["max_staleness"], contributingNodes: try JSONColumn.nodes(row["contributing_nodes"]),
            checkpoint: row["checkpoint"],
            evaluation: accuracy.map { Evaluation(accuracy: $0, auc: row["eval_auc"], loss: row["eval_loss"]) },
            trainMetrics: try JSONColumn.metrics(row["train_metrics"]))
    }
}
