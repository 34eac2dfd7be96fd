import Foundation
import GRDB
import GrowdaSafetensors

/// The aggregator's durable state: one state folder, owned by one process, holding the SQLite database
/// (its schema is documented in `StateSchema.swift`), the global model checkpoints and the buffer of
/// accepted-but-unfolded updates: their rows, and one file holding the weighted sum of their deltas (the
/// folder's layout is in `StateLayout.swift`). Other processes read it with `StateReader`.
///
/// Writes are group commits: the aggregator folds a batch of accepted updates in memory, then `commit`s
/// the batch, its refusals and the resulting buffer at once (one buffer file and one transaction, so one
/// or two fsyncs per batch rather than per update), and only then acknowledges them. A step commits a
/// version from the whole buffer with `commitVersion`.
///
/// Crash rules (each write is ordered so that a kill -9 at any point leaves a state that opening repairs):
/// - A group commit writes the new buffer file atomically and durably first, then in one transaction
///   inserts the batch's pending rows, raises settled seqs, counts refusals and names the new buffer file;
///   then deletes the old one. A crash before the commit leaves an unreferenced file, removed at open;
///   nothing of the batch counted and, since nothing of it was acknowledged, its nodes resend it.
/// - Committing a version writes its checkpoint first, then in one transaction inserts the version row,
///   sets the current version, deletes the pending rows, clears the buffer file and releases pruned
///   checkpoints; then deletes those files. A crash before the commit leaves an uncommitted checkpoint
///   (removed at open; the version, buffer and rows unchanged); a crash after it leaves files removed at open.
/// - Opening takes the folder's `LOCK`, migrates, removes every file nothing committed refers to, and
///   reports where the federation stands in `recovery`.
///
/// Every method blocks on file and database I/O (under `.full` durability an fsync or two per call);
/// writes are serialized, reads run concurrently with them. The store is safe
/// to share between tasks; call it from a thread that may block, not from a hot cooperative task.
public final class StateStore: Sendable {
    /// How the store runs.
    public struct Options: Sendable {
        /// How many of the newest checkpoints to keep (the current one included), besides version 0's;
        /// at least 1.
        public var keepCheckpoints: Int
        /// The aggregation mode recorded in the federation row (e.g. `fedbuff`, `fedavg`).
        public var mode: String
        /// What a write must survive before it returns (see `Durability`); `.full` by default.
        public var durability: Durability
        /// The clock that stamps rows.
        public var now: @Sendable () -> Date

        /// Makes options; the defaults keep 5 checkpoints, record mode `fedbuff` and survive power loss.
        public init(
            keepCheckpoints: Int = 5, mode: String = "fedbuff", durability: Durability = .full,
            now: @escaping @Sendable () -> Date = Date.init
        ) {
            self.keepCheckpoints = keepCheckpoints
            self.mode = mode
            self.durability = durability
            self.now = now
        }
    }

    /// The state folder.
    public let folder: String
    /// What opening found and repaired: the version to start from and the buffer to rebuild.
    public let recovery: Recovery
    let options: Options
    let layout: StateLayout
    let pool: DatabasePool
    private let lock: FolderLock

    /// Opens (creating it if needed) the state folder at `folder` for this process alone, recovering from
    /// any crash; throws `StoreError.locked` when another aggregator holds it, and `StoreError.damaged`
    /// when its database is damaged.
    public init(folder: String, options: Options = Options()) throws {
        guard options.keepCheckpoints >= 1 else {
            throw StoreError.invalidValue(field: "keepCheckpoints", reason: "\(options.keepCheckpoints) is below 1")
        }
        let folder = folder.count > 1 && folder.hasSuffix("/") ? String(folder.dropLast()) : folder
        let layout = StateLayout(folder: folder)
        for path in [layout.modelsFolder, layout.pendingFolder] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        let lock = try FolderLock.acquire(path: layout.lockPath, folder: folder)
        let path = layout.databasePath
        let (pool, recovery) = try StoreError.mappingDamage(path: path) { () throws -> (DatabasePool, Recovery) in
            var configuration = Configuration()
            configuration.label = path
            configuration.busyMode = .timeout(10)
            let pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB opens WAL databases with synchronous = NORMAL; only the writer connection commits.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = \(options.durability.synchronousPragma)")
            }
            try pool.read { try StateSchema.checkIntact($0, path: path) }
            let migrator = StateSchema.migrator
            if try pool.read({ try migrator.hasBeenSuperseded($0) }) {
                throw StoreError.schemaTooNew(path: path)
            }
            try migrator.migrate(pool)
            let now = options.now()
            try pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO federation (id, mode, created_at, updated_at) VALUES (1, ?, ?, ?)
                        ON CONFLICT(id) DO UPDATE SET mode = excluded.mode,
                            updated_at = CASE WHEN mode = excluded.mode THEN updated_at ELSE excluded.updated_at END
                        """,
                    arguments: [options.mode, now, now])
            }
            return (pool, try StateStore.recover(pool: pool, layout: layout))
        }
        self.recovery = recovery
        self.folder = folder
        self.options = options
        self.layout = layout
        self.pool = pool
        self.lock = lock
    }

    /// Closes the database and releases the folder's `LOCK`; the store must not be used afterwards.
    /// (Dropping the last reference does the same.)
    public func close() throws {
        try pool.close()
        lock.release()
    }

    /// The absolute path of a folder-relative file name from a record (`models/…`, `pending/…`).
    public func path(of file: String) -> String { layout.path(file) }

    // MARK: Reads

    /// The federation's summary row.
    public func federation() throws -> FederationRecord {
        guard let record = try pool.read(StateQueries.federation) else {
            throw StoreError.noState(folder: folder)
        }
        return record
    }

    /// The committed version, nil before version 0 is committed.
    public func currentVersion() throws -> UInt64? {
        try federation().currentVersion
    }

    /// The absolute path of the current version's checkpoint, nil before version 0 is committed.
    public func currentCheckpointPath() throws -> String? {
        try pool.read { db in
            guard let version = try StateQueries.federation(db)?.currentVersion,
                let file = try StateQueries.version(db, version)?.checkpoint
            else { return nil }
            return layout.path(file)
        }
    }

    /// Every node the state knows, by id: liveness, counters and settled seq, for status replies.
    public func nodeSnapshot() throws -> [NodeRecord] {
        try pool.read(StateQueries.nodes)
    }

    /// Each node's settled sequence number (nodes with none settled are left out).
    public func settledSeqs() throws -> [UInt32: UInt64] {
        try pool.read(StateQueries.settledSeqs)
    }

    /// The committed versions, oldest first.
    public func history() throws -> [VersionRecord] {
        try pool.read(StateQueries.history)
    }

    /// The cumulative refusal counts, by reason then node.
    public func refusals() throws -> [RefusalCount] {
        try pool.read(StateQueries.refusals)
    }

    /// The buffer: accepted updates not yet folded into a version, in acceptance order.
    public func pendingUpdates() throws -> [PendingUpdate] {
        try pool.read(StateQueries.pending)
    }

    // MARK: Node registry

    /// Records (or renames) a provisioned node.
    public func registerNode(_ id: UInt32, name: String) throws {
        let now = options.now()
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO nodes (id, name, first_seen_at) VALUES (?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET name = excluded.name
                    """,
                arguments: [id, name, now])
        }
    }

    /// Throws `StoreError.invalidValue` unless `value` fits SQLite's signed 64-bit integers.
    static func checkStorable(_ value: UInt64, _ field: String) throws {
        guard value <= UInt64(Int64.max) else {
            throw StoreError.invalidValue(field: field, reason: "\(value) is above \(Int64.max)")
        }
    }
}
