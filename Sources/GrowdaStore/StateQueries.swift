import Foundation
import GRDB

/// The reads shared by the aggregator's `StateStore` and the read-only `StateReader`: SQL rows to
/// public records. Every column is read through `Row.value(_:of:in:)`, so a damaged row is a
/// `StoreError.damaged`, not a trap.
enum StateQueries {
    static func federation(_ db: Database) throws -> FederationRecord? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM federation WHERE id = 1") else { return nil }
        let table = "federation"
        var best: BestVersion? = nil
        if let version: UInt64 = try row.value("best_version", of: table, in: db) {
            best = BestVersion(
                version: version, metric: try row.value("best_metric", of: table, in: db),
                value: try row.value("best_value", of: table, in: db))
        }
        return FederationRecord(
            currentVersion: try row.value("current_version", of: table, in: db),
            mode: try row.value("mode", of: table, in: db),
            createdAt: try row.value("created_at", of: table, in: db),
            updatedAt: try row.value("updated_at", of: table, in: db),
            optimizerStateFile: try row.value("optimizer_state_file", of: table, in: db),
            bufferFile: try row.value("buffer_file", of: table, in: db), best: best)
    }

    static func history(_ db: Database) throws -> [VersionRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM versions ORDER BY version").map { try versionRecord($0, db) }
    }

    static func version(_ db: Database, _ version: UInt64) throws -> VersionRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM versions WHERE version = ?", arguments: [version]).map {
            try versionRecord($0, db)
        }
    }

    static func nodes(_ db: Database) throws -> [NodeRecord] {
        let table = "nodes"
        return try Row.fetchAll(db, sql: "SELECT * FROM nodes ORDER BY id").map { row in
            NodeRecord(
                id: try row.value("id", of: table, in: db),
                name: try row.value("name", of: table, in: db),
                settledSeq: try row.value("settled_seq", of: table, in: db),
                firstSeenAt: try row.value("first_seen_at", of: table, in: db),
                lastHeartbeatAt: try row.value("last_heartbeat_at", of: table, in: db),
                reportedState: try row.value("reported_state", of: table, in: db),
                versionHeld: try row.value("version_held", of: table, in: db),
                acceptedCount: try row.value("accepted_count", of: table, in: db),
                refusedCount: try row.value("refused_count", of: table, in: db),
                lastUpdateAt: try row.value("last_update_at", of: table, in: db),
                lastMetrics: try row.json("last_metrics", of: table, in: db, JSONColumn.metrics))
        }
    }

    static func settledSeqs(_ db: Database) throws -> [UInt32: UInt64] {
        let rows = try Row.fetchAll(db, sql: "SELECT id, settled_seq FROM nodes WHERE settled_seq > 0")
        let pairs: [(UInt32, UInt64)] = try rows.map { row in
            (try row.value("id", of: "nodes", in: db), try row.value("settled_seq", of: "nodes", in: db))
        }
        return Dictionary(pairs, uniquingKeysWith: { first, _ in first })
    }

    static func refusals(_ db: Database) throws -> [RefusalCount] {
        let table = "refusals"
        return try Row.fetchAll(db, sql: "SELECT * FROM refusals ORDER BY reason, node_id").map { row in
            let node: UInt32 = try row.value("node_id", of: table, in: db)
            return RefusalCount(
                reason: try row.value("reason", of: table, in: db), node: node == 0 ? nil : node,
                count: try row.value("count", of: table, in: db), lastAt: try row.value("last_at", of: table, in: db))
        }
    }

    /// The buffer in acceptance order.
    static func pending(_ db: Database) throws -> [PendingUpdate] {
        try Row.fetchAll(db, sql: "SELECT * FROM pending_updates ORDER BY rowid").map { try pendingUpdate($0, db) }
    }

    static func pending(_ db: Database, _ key: UpdateKey) throws -> PendingUpdate? {
        try Row.fetchOne(
            db, sql: "SELECT * FROM pending_updates WHERE node_id = ? AND seq = ?", arguments: [key.node, key.seq]
        ).map { try pendingUpdate($0, db) }
    }

    private static func pendingUpdate(_ row: Row, _ db: Database) throws -> PendingUpdate {
        let table = "pending_updates"
        let update = AcceptedUpdate(
            node: try row.value("node_id", of: table, in: db), seq: try row.value("seq", of: table, in: db),
            baseVersion: try row.value("base_version", of: table, in: db),
            staleness: try row.value("staleness", of: table, in: db),
            weight: try row.value("weight", of: table, in: db),
            sampleCount: try row.value("sample_count", of: table, in: db),
            metrics: try row.json("metrics", of: table, in: db, JSONColumn.metrics),
            norm: try row.value("norm", of: table, in: db), bytes: try row.value("bytes", of: table, in: db))
        return PendingUpdate(update: update, receivedAt: try row.value("received_at", of: table, in: db))
    }

    private static func versionRecord(_ row: Row, _ db: Database) throws -> VersionRecord {
        let table = "versions"
        let accuracy: Double? = try row.value("eval_accuracy", of: table, in: db)
        let evaluation = try accuracy.map { accuracy in
            Evaluation(
                accuracy: accuracy, auc: try row.value("eval_auc", of: table, in: db),
                loss: try row.value("eval_loss", of: table, in: db))
        }
        return VersionRecord(
            version: try row.value("version", of: table, in: db),
            createdAt: try row.value("created_at", of: table, in: db),
            updatesFolded: try row.value("updates_folded", of: table, in: db),
            totalWeight: try row.value("total_weight", of: table, in: db),
            meanStaleness: try row.value("mean_staleness", of: table, in: db),
            maxStaleness: try row.value("max_staleness", of: table, in: db),
            contributingNodes: try row.json("contributing_nodes", of: table, in: db, JSONColumn.nodes),
            checkpoint: try row.value("checkpoint", of: table, in: db), evaluation: evaluation,
            trainMetrics: try row.json("train_metrics", of: table, in: db, JSONColumn.metrics),
            updateBytes: try row.value("update_bytes", of: table, in: db))
    }
}
