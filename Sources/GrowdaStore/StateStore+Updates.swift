import Foundation
import GRDB

extension StateStore {
    /// Makes an accepted update durable and counts it: the delta file first (written atomically; fsynced
    /// under `.full` durability), then one transaction that inserts its pending row and raises its node's
    /// settled seq and counters. Only after this returns `.recorded` may the caller fold the update and acknowledge it.
    ///
    /// Idempotent on (node, seq): an update whose seq is at or below the node's settled seq returns
    /// `.duplicate` and changes nothing. The settled seq is a watermark, so settling seq 7 also settles
    /// any lower seq of that node not yet seen.
    public func recordAcceptedUpdate(
        _ update: AcceptedUpdate, delta: UnsafeBufferPointer<Float>
    ) throws -> RecordOutcome {
        try recordAcceptedUpdate(update, delta: delta, crashingAt: nil)
    }

    /// Records an accepted update as `recordAcceptedUpdate(_:delta:)` does, from an array.
    public func recordAcceptedUpdate(_ update: AcceptedUpdate, delta: [Float]) throws -> RecordOutcome {
        try delta.withUnsafeBufferPointer { try recordAcceptedUpdate(update, delta: $0, crashingAt: nil) }
    }

    /// The recording sequence, stopping at `crash` (tests only) as a kill -9 there would.
    func recordAcceptedUpdate(
        _ update: AcceptedUpdate, delta: UnsafeBufferPointer<Float>, crashingAt crash: CrashPoint?
    ) throws -> RecordOutcome {
        for (field, value) in [
            ("seq", update.seq), ("base_version", update.baseVersion),
            ("staleness", update.staleness), ("sample_count", update.sampleCount),
        ] {
            try StateStore.checkStorable(value, field)
        }
        for (field, value) in [("weight", update.weight), ("norm", update.norm)] where !value.isFinite {
            throw StoreError.invalidValue(field: field, reason: "\(value) is not finite")
        }
        guard update.seq > 0 else { throw StoreError.invalidValue(field: "seq", reason: "sequence numbers start at 1") }
        let metrics = try JSONColumn.encode(metrics: update.metrics, field: "metric")
        let file = StateLayout.deltaName(node: update.node, seq: update.seq)
        let now = options.now()
        return try pool.writeWithoutTransaction { db in
            let settled =
                try UInt64.fetchOne(db, sql: "SELECT settled_seq FROM nodes WHERE id = ?", arguments: [update.node])
                ?? 0
            if update.seq <= settled { return .duplicate(settledSeq: settled) }

            try DeltaFile.write(update, delta: delta, to: layout.path(file), durability: options.durability)
            if crash == .afterDeltaFile { throw SimulatedCrash(point: .afterDeltaFile) }
            do {
                try db.inTransaction {
                    try db.execute(
                        sql: """
                            INSERT INTO nodes (id, first_seen_at, settled_seq, accepted_count, last_update_at,
                                last_metrics)
                            VALUES (?, ?, ?, 1, ?, ?)
                            ON CONFLICT(id) DO UPDATE SET settled_seq = excluded.settled_seq,
                                accepted_count = accepted_count + 1, last_update_at = excluded.last_update_at,
                                last_metrics = excluded.last_metrics
                            """,
                        arguments: [update.node, now, update.seq, now, metrics])
                    try db.execute(
                        sql: """
                            INSERT INTO pending_updates (node_id, seq, base_version, staleness, weight, sample_count,
                                metrics, norm, file, received_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            update.node, update.seq, update.baseVersion, update.staleness, update.weight,
                            update.sampleCount, metrics, update.norm, file, now,
                        ])
                    return .commit
                }
            } catch {
                try? FileManager.default.removeItem(atPath: layout.path(file))  // Never counted: not needed.
                throw error
            }
            return .recorded(PendingUpdate(update: update, receivedAt: now, deltaFile: file))
        }
    }

    /// Reads back the delta of a pending update (for rebuilding the buffer after a restart).
    public func readDelta(_ pending: PendingUpdate) throws -> [Float] {
        try DeltaFile.read(layout.path(pending.deltaFile), key: pending.key)
    }

    /// Reads the delta of a pending update into `destination`, whose count must match the delta's.
    public func readDelta(_ pending: PendingUpdate, into destination: UnsafeMutableBufferPointer<Float>) throws {
        try DeltaFile.read(layout.path(pending.deltaFile), key: pending.key, into: destination)
    }

    /// Takes pending updates out of the buffer without folding them (e.g. a restarted aggregator whose
    /// staleness bound is now lower), counting each as refused under `reason` for its node. Their seqs stay
    /// settled: the nodes do not resend them. Rows go in one transaction, then their delta files.
    public func discardPending(_ keys: [UpdateKey], reason: String) throws {
        let now = options.now()
        try pool.writeWithoutTransaction { db in
            var files: [String] = []
            try db.inTransaction {
                for key in keys {
                    guard let pending = try StateQueries.pending(db, key) else {
                        throw StoreError.notPending(node: key.node, seq: key.seq)
                    }
                    files.append(pending.deltaFile)
                    try db.execute(
                        sql: "DELETE FROM pending_updates WHERE node_id = ? AND seq = ?",
                        arguments: [key.node, key.seq])
                    try countRefusal(db, reason: reason, node: key.node, settling: nil, at: now)
                }
                return .commit
            }
            for file in files {
                try? FileManager.default.removeItem(atPath: layout.path(file))  // Leftovers are removed at open.
            }
        }
    }

    /// Counts a refusal under `reason` (a stable name such as `bad_mac`), against `node` when the
    /// message was authenticated as that node's. When the refusal is final for an update (a resend cannot
    /// fix it: stale, wrong tensors, non-finite, …), pass its seq as `settling`: the node's settled seq
    /// rises to it, so the node stops resending. Never pass a node id that was not authenticated: the
    /// per-node counts would grow with whatever ids an attacker writes.
    public func recordRefusal(reason: String, node: UInt32? = nil, settling seq: UInt64? = nil) throws {
        if let seq {
            guard node != nil else {
                throw StoreError.invalidValue(field: "settling", reason: "a refusal can settle a seq only for a node")
            }
            try StateStore.checkStorable(seq, "settling")
        }
        let now = options.now()
        try pool.write { db in try countRefusal(db, reason: reason, node: node, settling: seq, at: now) }
    }

    /// Counts one refusal by reason (and node), raising the node's settled seq to `seq` when given.
    private func countRefusal(
        _ db: Database, reason: String, node: UInt32?, settling seq: UInt64?, at now: Date
    )
        throws
    {
        try db.execute(
            sql: """
                INSERT INTO refusals (reason, node_id, count, last_at) VALUES (?, ?, 1, ?)
                ON CONFLICT(reason, node_id) DO UPDATE SET count = count + 1, last_at = excluded.last_at
                """,
            arguments: [reason, node ?? 0, now])
        guard let node else { return }
        try db.execute(
            sql: """
                INSERT INTO nodes (id, first_seen_at, settled_seq, refused_count) VALUES (?, ?, ?, 1)
                ON CONFLICT(id) DO UPDATE SET refused_count = refused_count + 1,
                    settled_seq = max(settled_seq, excluded.settled_seq)
                """,
            arguments: [node, now, seq ?? 0])
    }

    /// Records one heartbeat: a single upsert of the node's liveness fields.
    public func recordHeartbeat(_ heartbeat: Heartbeat) throws {
        try recordHeartbeats([heartbeat])
    }

    /// Records heartbeats in one transaction, in order: a caller receiving many can gather them and write
    /// them at once. Liveness is not worth an fsync: the transaction does not wait for the disk (a power
    /// loss may forget the last heartbeats; a process crash forgets none).
    public func recordHeartbeats(_ heartbeats: [Heartbeat]) throws {
        guard !heartbeats.isEmpty else { return }
        for heartbeat in heartbeats {
            if let version = heartbeat.versionHeld { try StateStore.checkStorable(version, "version_held") }
        }
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            let written = Result {
                try db.inTransaction {
                    let statement = try db.cachedStatement(
                        sql: """
                            INSERT INTO nodes (id, first_seen_at, last_heartbeat_at, reported_state, version_held)
                            VALUES (?, ?, ?, ?, ?)
                            ON CONFLICT(id) DO UPDATE SET last_heartbeat_at = excluded.last_heartbeat_at,
                                reported_state = excluded.reported_state, version_held = excluded.version_held
                            """)
                    for heartbeat in heartbeats {
                        try statement.execute(arguments: [
                            heartbeat.node, heartbeat.at, heartbeat.at, heartbeat.state, heartbeat.versionHeld,
                        ])
                    }
                    return .commit
                }
            }
            try db.execute(sql: "PRAGMA synchronous = \(options.durability.synchronousPragma)")
            try written.get()
        }
    }
}
