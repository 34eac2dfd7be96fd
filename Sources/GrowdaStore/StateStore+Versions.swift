import Foundation
import GRDB
import GrowdaSafetensors

extension StateStore {
    /// Commits a new global model version, made from the whole buffer.
    ///
    /// Versions start at 0 (the initial model, usually folding nothing) and grow by one. A version folds
    /// every pending update and `accepted`: updates accepted since the last group commit, which this
    /// commit counts for their nodes as `commit(_:)` would (so a step need not write a buffer file first).
    /// The history row's summary (weights, staleness, nodes, mean local metrics) is computed from them.
    /// Order: the checkpoint (and `optimizerState`, the server optimizer's tensors after this step) are
    /// written atomically and durably first; then one transaction counts `accepted`, inserts the version
    /// row, makes it current, deletes the pending rows, clears the buffer file and releases the checkpoints
    /// that fall out of the kept window; then the released files are deleted. (The buffer files stay, for
    /// the next group commits to write again; opening removes those not in force.)
    @discardableResult
    public func commitVersion(
        _ version: UInt64, checkpoint: SafetensorsWriter, accepting accepted: [AcceptedUpdate] = [],
        evaluation: Evaluation? = nil, optimizerState: SafetensorsWriter? = nil
    ) throws -> VersionRecord {
        try commitVersion(
            version, checkpoint: checkpoint, accepting: accepted, evaluation: evaluation,
            optimizerState: optimizerState, crashingAt: nil)
    }

    /// The commit sequence, stopping at `crash` (tests only) as a kill -9 there would.
    func commitVersion(
        _ version: UInt64, checkpoint: SafetensorsWriter, accepting accepted: [AcceptedUpdate],
        evaluation: Evaluation?, optimizerState: SafetensorsWriter?, crashingAt crash: CrashPoint?
    ) throws -> VersionRecord {
        try StateStore.checkStorable(version, "version")
        try evaluation?.validate()
        var seen = Set<UpdateKey>()
        for update in accepted where !seen.insert(update.key).inserted {
            throw StoreError.foldedTwice(node: update.node, seq: update.seq)
        }
        let rows = try accepted.map { try PendingRow($0) }
        let now = options.now()
        let keep = UInt64(options.keepCheckpoints)
        return try pool.writeWithoutTransaction { db in
            let current = try StateQueries.federation(db)?.currentVersion
            let expected = current.map { $0 + 1 } ?? 0
            guard version == expected else { throw StoreError.versionOutOfOrder(expected: expected, got: version) }
            let pending = try StateQueries.pending(db)
            for update in pending where seen.contains(update.key) {
                throw StoreError.foldedTwice(node: update.key.node, seq: update.key.seq)
            }
            try StateStore.checkUnsettled(accepted, db)
            let record = VersionRecord(
                folding: pending.map(\.update) + accepted, version: version, createdAt: now,
                checkpoint: StateLayout.checkpointName(version: version), evaluation: evaluation)
            let previousOptimizerFile = try StateQueries.federation(db)?.optimizerStateFile
            let optimizerFile = optimizerState.map { _ in StateLayout.optimizerStateName(version: version) }

            let durability = options.durability
            try durability.write(checkpoint.encoded(), to: layout.path(StateLayout.checkpointName(version: version)))
            if let optimizerState, let optimizerFile {
                try durability.write(optimizerState.encoded(), to: layout.path(optimizerFile))
            }
            if crash == .afterCheckpointFile { throw SimulatedCrash(point: .afterCheckpointFile) }

            var released: [String] = []
            try db.inTransaction {
                for row in rows { try insertPending(row, db, at: now, pending: false) }
                try insert(record, db)
                try db.execute(
                    sql: """
                        UPDATE federation SET current_version = ?, updated_at = ?, optimizer_state_file = ?,
                            buffer_file = NULL
                        WHERE id = 1
                        """,
                    arguments: [version, now, optimizerFile])
                try db.execute(sql: "DELETE FROM pending_updates")
                let prunedBelow = version >= keep ? version - keep + 1 : 0
                let window = "checkpoint IS NOT NULL AND version > 0 AND version < ?"
                released = try String.fetchAll(
                    db, sql: "SELECT checkpoint FROM versions WHERE \(window)", arguments: [prunedBelow])
                try db.execute(sql: "UPDATE versions SET checkpoint = NULL WHERE \(window)", arguments: [prunedBelow])
                return .commit
            }
            if crash == .afterVersionTransaction { throw SimulatedCrash(point: .afterVersionTransaction) }

            if let previousOptimizerFile, previousOptimizerFile != optimizerFile {
                released.append(previousOptimizerFile)
            }
            for file in released {
                try? FileManager.default.removeItem(atPath: layout.path(file))  // Leftovers are removed at open.
            }
            return record
        }
    }

    /// Records (or replaces) the server-side evaluation of a committed version.
    public func recordEvaluation(_ evaluation: Evaluation, version: UInt64) throws {
        try StateStore.checkStorable(version, "version")
        try evaluation.validate()
        try pool.write { db in
            try db.execute(
                sql: "UPDATE versions SET eval_accuracy = ?, eval_auc = ?, eval_loss = ? WHERE version = ?",
                arguments: [evaluation.accuracy, evaluation.auc, evaluation.loss, version])
            guard db.changesCount == 1 else { throw StoreError.unknownVersion(version) }
        }
    }

    private func insert(_ record: VersionRecord, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO versions (version, created_at, updates_folded, total_weight, mean_staleness,
                    max_staleness, contributing_nodes, checkpoint, eval_accuracy, eval_auc, eval_loss, train_metrics)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                record.version, record.createdAt, record.updatesFolded, record.totalWeight, record.meanStaleness,
                record.maxStaleness, try JSONColumn.encode(nodes: record.contributingNodes), record.checkpoint,
                record.evaluation?.accuracy, record.evaluation?.auc, record.evaluation?.loss,
                try JSONColumn.encode(metrics: record.trainMetrics, field: "train metric"),
            ])
    }
}

extension VersionRecord {
    /// The history row of a version made from `updates`: their count, total weight, staleness, nodes and
    /// the plain mean of each local metric over the updates that reported it.
    init(
        folding updates: [AcceptedUpdate], version: UInt64, createdAt: Date, checkpoint: String, evaluation: Evaluation?
    ) {
        var sums: [String: (total: Double, count: Int)] = [:]
        for update in updates {
            for (name, value) in update.metrics {
                let sum = sums[name, default: (0, 0)]
                sums[name] = (sum.total + value, sum.count + 1)
            }
        }
        let staleness = updates.map(\.staleness)
        self.init(
            version: version, createdAt: createdAt, updatesFolded: updates.count,
            totalWeight: updates.reduce(0) { $0 + $1.weight },
            meanStaleness: updates.isEmpty ? nil : Double(staleness.reduce(0, +)) / Double(updates.count),
            maxStaleness: staleness.max(), contributingNodes: Set(updates.map(\.node)).sorted(),
            checkpoint: checkpoint, evaluation: evaluation,
            trainMetrics: sums.mapValues { $0.total / Double($0.count) })
    }
}
