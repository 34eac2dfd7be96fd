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
    /// that fall out of the kept window (never version 0's, nor the best version's: see `recordEvaluation`);
    /// then the released files are deleted. (The buffer files stay, for the next group commits to write
    /// again; opening removes those not in force.)
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
                released = try StateStore.prune(below: StateStore.keptFrom(version, keep: keep), db)
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
    ///
    /// With `best` (which must name `version`), the version also becomes the best one: the federation row
    /// names it, and its checkpoint is kept whatever the pruning. A best version's checkpoint already
    /// pruned (its evaluation came back after the kept window moved past it) is written from `checkpoint`,
    /// first, atomically and durably; then one transaction records the evaluation, names the new best and
    /// releases the previous best's checkpoint when it has fallen out of the kept window; then the released
    /// file is deleted. (A crash between the two leaves a file no row names, removed at open.)
    public func recordEvaluation(
        _ evaluation: Evaluation, version: UInt64, best: BestVersion? = nil, checkpoint: SafetensorsWriter? = nil
    ) throws {
        try StateStore.checkStorable(version, "version")
        try evaluation.validate()
        if let best {
            guard best.version == version, best.value.isFinite else {
                throw StoreError.invalidValue(
                    field: "best version", reason: "v\(best.version) = \(best.value) for the evaluation of v\(version)")
            }
        }
        let keep = UInt64(options.keepCheckpoints)
        try pool.writeWithoutTransaction { db in
            guard let row = try StateQueries.version(db, version) else { throw StoreError.unknownVersion(version) }
            let name = StateLayout.checkpointName(version: version)
            var restored = false
            if let best, row.checkpoint == nil {
                guard let checkpoint else {
                    throw StoreError.missingCheckpoint(version: best.version, path: layout.path(name))
                }
                try options.durability.write(checkpoint.encoded(), to: layout.path(name))
                restored = true
            }
            var released: [String] = []
            try db.inTransaction {
                try db.execute(
                    sql: "UPDATE versions SET eval_accuracy = ?, eval_auc = ?, eval_loss = ? WHERE version = ?",
                    arguments: [evaluation.accuracy, evaluation.auc, evaluation.loss, version])
                guard let best else { return .commit }
                if restored {
                    try db.execute(
                        sql: "UPDATE versions SET checkpoint = ? WHERE version = ?", arguments: [name, version])
                }
                try db.execute(
                    sql: "UPDATE federation SET best_version = ?, best_metric = ?, best_value = ? WHERE id = 1",
                    arguments: [best.version, best.metric, best.value])
                // The previous best, no longer protected, goes the way of the versions around it.
                if let current = try StateQueries.federation(db)?.currentVersion {
                    released = try StateStore.prune(below: StateStore.keptFrom(current, keep: keep), db)
                }
                return .commit
            }
            for file in released {
                try? FileManager.default.removeItem(atPath: layout.path(file))  // Leftovers are removed at open.
            }
        }
    }

    /// The best version by the evaluation metric, nil until one is recorded.
    public func bestVersion() throws -> BestVersion? {
        try federation().best
    }

    /// The oldest version whose checkpoint the kept window holds when `current` is the newest.
    static func keptFrom(_ current: UInt64, keep: UInt64) -> UInt64 {
        current >= keep ? current - keep + 1 : 0
    }

    /// Releases the checkpoints of versions below `keptFrom`, except version 0's and the best version's;
    /// returns their files, for the caller to delete once the transaction is committed.
    static func prune(below keptFrom: UInt64, _ db: Database) throws -> [String] {
        let window = """
            checkpoint IS NOT NULL AND version > 0 AND version < ?
                AND version IS NOT (SELECT best_version FROM federation WHERE id = 1)
            """
        let released = try String.fetchAll(
            db, sql: "SELECT checkpoint FROM versions WHERE \(window)", arguments: [keptFrom])
        try db.execute(sql: "UPDATE versions SET checkpoint = NULL WHERE \(window)", arguments: [keptFrom])
        return released
    }

    private func insert(_ record: VersionRecord, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO versions (version, created_at, updates_folded, total_weight, mean_staleness,
                    max_staleness, contributing_nodes, checkpoint, eval_accuracy, eval_auc, eval_loss, train_metrics,
                    update_bytes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                record.version, record.createdAt, record.updatesFolded, record.totalWeight, record.meanStaleness,
                record.maxStaleness, try JSONColumn.encode(nodes: record.contributingNodes), record.checkpoint,
                record.evaluation?.accuracy, record.evaluation?.auc, record.evaluation?.loss,
                try JSONColumn.encode(metrics: record.trainMetrics, field: "train metric"), record.updateBytes,
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
            trainMetrics: sums.mapValues { $0.total / Double($0.count) },
            updateBytes: updates.reduce(0) { $0 + $1.bytes })
    }
}
