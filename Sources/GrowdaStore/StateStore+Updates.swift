import Foundation
import GRDB
import GrowdaSafetensors

/// What one group commit makes durable at once: the updates accepted and the messages refused since the
/// last commit, and the buffer they leave.
public struct UpdateBatch: Sendable {
    /// Updates accepted (and already folded by the caller), in acceptance order.
    public var accepted: [AcceptedUpdate]
    /// Refusals to count.
    public var refusals: [RefusedMessage]
    /// The buffer after folding `accepted`: S and its counts over every pending update, these included, as
    /// the caller encodes it. Required when `accepted` is not empty; nil keeps the current buffer file.
    public var buffer: SafetensorsWriter?

    /// Makes a batch.
    public init(accepted: [AcceptedUpdate] = [], refusals: [RefusedMessage] = [], buffer: SafetensorsWriter? = nil) {
        self.accepted = accepted
        self.refusals = refusals
        self.buffer = buffer
    }

    /// Whether there is nothing to commit.
    public var isEmpty: Bool { accepted.isEmpty && refusals.isEmpty && buffer == nil }
}

/// A refused message, to count: see `StateStore.recordRefusal(reason:node:settling:)`.
public struct RefusedMessage: Sendable, Equatable {
    /// The stable reason name (`bad_mac`, `stale`, …).
    public var reason: String
    /// The node, only when the message was authenticated as that node's.
    public var node: UInt32?
    /// The update seq this refusal settles for good, if it does.
    public var settling: UInt64?

    /// Makes a refusal.
    public init(reason: String, node: UInt32? = nil, settling: UInt64? = nil) {
        self.reason = reason
        self.node = node
        self.settling = settling
    }
}

extension StateStore {
    /// A group commit: makes a batch of accepted updates, refusals and the buffer they leave durable at once,
    /// with one buffer-file write and one transaction however many updates the batch holds.
    ///
    /// Order: the buffer is written into the buffer file not in force (there are two, `buffer-0` and
    /// `buffer-1`, taking turns), in place and flushed (fdatasync under `.full`); then one transaction
    /// inserts the pending rows, raises each node's settled seq and counters, counts the refusals and
    /// names that file as the one in force. A crash before the commit leaves the old buffer file and rows
    /// in force (the other file, maybe torn, is not read, and is removed at open): none of the batch
    /// counted, and since none of it was acknowledged the nodes resend it. Only after this returns may the
    /// caller acknowledge the batch's updates.
    ///
    /// An accepted update whose seq is at or below its node's settled seq is refused with
    /// `StoreError.alreadySettled` and nothing is committed: the caller must drop duplicates before folding.
    public func commit(_ batch: UpdateBatch) throws {
        try commit(batch, crashingAt: nil)
    }

    /// The group commit, stopping at `crash` (tests only) as a kill -9 there would.
    func commit(_ batch: UpdateBatch, crashingAt crash: CrashPoint?) throws {
        guard !batch.isEmpty else { return }
        guard batch.accepted.isEmpty || batch.buffer != nil else {
            throw StoreError.missingBuffer(updates: batch.accepted.count)
        }
        let rows = try batch.accepted.map { try PendingRow($0) }
        for refusal in batch.refusals { try StateStore.checkRefusal(refusal) }
        let now = options.now()
        try pool.writeWithoutTransaction { db in
            try StateStore.checkUnsettled(rows.map(\.update), db)
            let federation = try StateQueries.federation(db)
            let previousBuffer = federation?.bufferFile
            var newBuffer: String?
            if let buffer = batch.buffer {
                let inForce = previousBuffer.flatMap { StateLayout.parseBufferFile(StateLayout.fileName($0)) }
                let name = StateLayout.bufferName(slot: inForce == 0 ? 1 : 0)
                try options.durability.overwrite(buffer.encoded(), at: layout.path(name))
                newBuffer = name
            }
            if crash == .afterBufferFile { throw SimulatedCrash(point: .afterBufferFile) }
            try db.inTransaction {
                for row in rows { try insertPending(row, db, at: now) }
                for refusal in batch.refusals {
                    try countRefusal(db, reason: refusal.reason, node: refusal.node, settling: refusal.settling, at: now)
                }
                if let newBuffer {
                    try db.execute(sql: "UPDATE federation SET buffer_file = ? WHERE id = 1", arguments: [newBuffer])
                }
                return .commit
            }
        }
    }

    /// An accepted update's row values, checked.
    struct PendingRow {
        let update: AcceptedUpdate
        let metrics: String

        init(_ update: AcceptedUpdate) throws {
            for (field, value) in [
                ("seq", update.seq), ("base_version", update.baseVersion),
                ("staleness", update.staleness), ("sample_count", update.sampleCount),
            ] {
                try StateStore.checkStorable(value, field)
            }
            for (field, value) in [("weight", update.weight), ("norm", update.norm)] where !value.isFinite {
                throw StoreError.invalidValue(field: field, reason: "\(value) is not finite")
            }
            guard update.seq > 0 else {
                throw StoreError.invalidValue(field: "seq", reason: "sequence numbers start at 1")
            }
            self.update = update
            metrics = try JSONColumn.encode(metrics: update.metrics, field: "metric")
        }
    }

    /// Throws `StoreError.alreadySettled`, before anything is written, when one of `updates` (in order) is
    /// at or below its node's settled seq, counting the earlier ones.
    static func checkUnsettled(_ updates: [AcceptedUpdate], _ db: Database) throws {
        var settled = try StateQueries.settledSeqs(db)
        for update in updates {
            let seen = settled[update.node] ?? 0
            guard update.seq > seen else {
                throw StoreError.alreadySettled(node: update.node, seq: update.seq, settledSeq: seen)
            }
            settled[update.node] = update.seq
        }
    }

    /// Counts an accepted update against its node (settled seq, accepted count, last metrics); with
    /// `pending`, also inserts its pending row. The caller has run `checkUnsettled` in the same write.
    func insertPending(_ row: PendingRow, _ db: Database, at now: Date, pending: Bool = true) throws {
        let update = row.update
        try db.execute(
            sql: """
                INSERT INTO nodes (id, first_seen_at, settled_seq, accepted_count, last_update_at, last_metrics)
                VALUES (?, ?, ?, 1, ?, ?)
                ON CONFLICT(id) DO UPDATE SET settled_seq = excluded.settled_seq,
                    accepted_count = accepted_count + 1, last_update_at = excluded.last_update_at,
                    last_metrics = excluded.last_metrics
                """,
            arguments: [update.node, now, update.seq, now, row.metrics])
        guard pending else { return }
        try db.execute(
            sql: """
                INSERT INTO pending_updates (node_id, seq, base_version, staleness, weight, sample_count,
                    metrics, norm, bytes, received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                update.node, update.seq, update.baseVersion, update.staleness, update.weight, update.sampleCount,
                row.metrics, update.norm, update.bytes, now,
            ])
    }

    /// Reads the buffer file the pending updates are summed in (nil when none is pending).
    public func bufferFile() throws -> SafetensorsFile? {
        guard let file = try federation().bufferFile else { return nil }
        return try SafetensorsFile(contentsOf: layout.path(file))
    }

    /// Counts a refusal under `reason` (a stable name such as `bad_mac`), against `node` when the
    /// message was authenticated as that node's. When the refusal is final for an update (a resend cannot
    /// fix it: stale, wrong tensors, non-finite, …), pass its seq as `settling`: the node's settled seq
    /// rises to it, so the node stops resending. Never pass a node id that was not authenticated: the
    /// per-node counts would grow with whatever ids an attacker writes.
    public func recordRefusal(reason: String, node: UInt32? = nil, settling seq: UInt64? = nil) throws {
        try commit(UpdateBatch(refusals: [RefusedMessage(reason: reason, node: node, settling: seq)]))
    }

    /// Throws unless `refusal` can be stored: a settled seq needs a node, and must fit in 63 bits.
    static func checkRefusal(_ refusal: RefusedMessage) throws {
        guard let seq = refusal.settling else { return }
        guard refusal.node != nil else {
            throw StoreError.invalidValue(field: "settling", reason: "a refusal can settle a seq only for a node")
        }
        try StateStore.checkStorable(seq, "settling")
    }

    /// Counts one refusal by reason (and node), raising the node's settled seq to `seq` when given.
    func countRefusal(
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
