import GRDB

/// The database schema of `STATE/state.sqlite`, built by named migrations that only ever run forward.
///
/// Integers are SQLite INTEGERs (node ids, sequence numbers and versions fit in 63 bits; the store
/// refuses larger ones), times are GRDB dates (`yyyy-MM-dd HH:mm:ss.SSS`, UTC), JSON columns hold
/// compact UTF-8 JSON, and file paths are relative to the state folder.
///
/// ```
/// federation          one row (id = 1)
///   current_version     INTEGER NULL    the committed version; NULL before version 0
///   mode                TEXT            aggregation mode the aggregator last opened with
///   created_at          DATETIME
///   updated_at          DATETIME        last version commit or mode change
///   optimizer_state_file TEXT NULL      server optimizer state of the current version
///   buffer_file         TEXT NULL       the buffer (S and its counts) covering every pending row; NULL when
///                                       none is pending (v2)
///   best_version        INTEGER NULL    the best version by the evaluation metric; its checkpoint is never
///                                       pruned; NULL until one is recorded (v3)
///   best_metric         TEXT NULL       the metric it is best by: auc or accuracy (v3)
///   best_value          REAL NULL       its value of that metric (v3)
///
/// nodes               one row per node ever heard of
///   id                  INTEGER PK      provisioning id (1 … 2³²−2)
///   name                TEXT NULL       provisioning name
///   settled_seq         INTEGER         highest settled update seq (accepted, or refused for good); 0: none
///   first_seen_at       DATETIME
///   last_heartbeat_at   DATETIME NULL
///   reported_state      TEXT NULL       state named by the last heartbeat
///   version_held        INTEGER NULL    model version named by the last heartbeat
///   accepted_count      INTEGER         updates accepted
///   refused_count       INTEGER         messages refused (all reasons)
///   last_update_at      DATETIME NULL   last accepted update
///   last_metrics        TEXT            JSON object: local metrics of the last accepted update
///
/// pending_updates     the current buffer: accepted, not yet folded into a version (their deltas are
///                     summed in federation.buffer_file, not kept one by one)
///   node_id, seq        INTEGER         PRIMARY KEY (node_id, seq); node_id → nodes.id
///   base_version        INTEGER
///   staleness           INTEGER         t − τ on receipt
///   weight              REAL            aggregation weight a = n·f(s)
///   sample_count        INTEGER
///   metrics             TEXT            JSON object
///   norm                REAL            L2 norm of the delta
///   bytes               INTEGER         the update message's size on the wire (v4; 0 before)
///   received_at         DATETIME
///   (rowid order is acceptance order. v1 also had `file`, one delta file per update; v2 dropped it.)
///
/// versions            the history, one row per committed version
///   version             INTEGER PK
///   created_at          DATETIME
///   updates_folded      INTEGER
///   total_weight        REAL
///   mean_staleness      REAL NULL       NULL when nothing was folded
///   max_staleness       INTEGER NULL
///   contributing_nodes  TEXT            JSON array of node ids, ascending
///   checkpoint          TEXT NULL       models/v<version>.safetensors; NULL once pruned
///   eval_accuracy       REAL NULL       server-side evaluation, recorded with or after the commit
///   eval_auc            REAL NULL
///   eval_loss           REAL NULL
///   train_metrics       TEXT            JSON object: mean of each local metric over the folded updates
///   update_bytes        INTEGER         the folded updates' sizes on the wire, summed (v4; 0 before)
///
/// refusals            cumulative refusal counts
///   reason              TEXT            stable reason name
///   node_id             INTEGER         the authenticated node; 0 for refusals attributed to none
///   count               INTEGER
///   last_at             DATETIME
///   PRIMARY KEY (reason, node_id)
/// ```
enum StateSchema {
    /// The migrator that brings a database to this build's schema.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: federation, nodes, pending updates, versions, refusals") { db in
            try db.create(table: "federation") { t in
                t.column("id", .integer).primaryKey().check { $0 == 1 }
                t.column("current_version", .integer)
                t.column("mode", .text).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
                t.column("optimizer_state_file", .text)
            }
            try db.create(table: "nodes") { t in
                t.column("id", .integer).primaryKey()
                t.column("name", .text)
                t.column("settled_seq", .integer).notNull().defaults(to: 0)
                t.column("first_seen_at", .datetime).notNull()
                t.column("last_heartbeat_at", .datetime)
                t.column("reported_state", .text)
                t.column("version_held", .integer)
                t.column("accepted_count", .integer).notNull().defaults(to: 0)
                t.column("refused_count", .integer).notNull().defaults(to: 0)
                t.column("last_update_at", .datetime)
                t.column("last_metrics", .text).notNull().defaults(to: "{}")
            }
            try db.create(table: "pending_updates") { t in
                t.column("node_id", .integer).notNull().references("nodes")
                t.column("seq", .integer).notNull()
                t.primaryKey(["node_id", "seq"])
                t.column("base_version", .integer).notNull()
                t.column("staleness", .integer).notNull()
                t.column("weight", .double).notNull()
                t.column("sample_count", .integer).notNull()
                t.column("metrics", .text).notNull()
                t.column("norm", .double).notNull()
                t.column("file", .text).notNull().unique()
                t.column("received_at", .datetime).notNull()
            }
            try db.create(table: "versions") { t in
                t.column("version", .integer).primaryKey()
                t.column("created_at", .datetime).notNull()
                t.column("updates_folded", .integer).notNull()
                t.column("total_weight", .double).notNull()
                t.column("mean_staleness", .double)
                t.column("max_staleness", .integer)
                t.column("contributing_nodes", .text).notNull()
                t.column("checkpoint", .text)
                t.column("eval_accuracy", .double)
                t.column("eval_auc", .double)
                t.column("eval_loss", .double)
                t.column("train_metrics", .text).notNull()
            }
            try db.create(table: "refusals") { t in
                t.column("reason", .text).notNull()
                t.column("node_id", .integer).notNull()
                t.primaryKey(["reason", "node_id"])
                t.column("count", .integer).notNull()
                t.column("last_at", .datetime).notNull()
            }
        }
        migrator.registerMigration("v2: group commit, one buffer file instead of a delta file per update") { db in
            let legacy = try Int.fetchOne(db, sql: "SELECT count(*) FROM pending_updates") ?? 0
            guard legacy == 0 else { throw StoreError.legacyPending(count: legacy) }
            try db.alter(table: "federation") { t in t.add(column: "buffer_file", .text) }
            try db.drop(table: "pending_updates")
            try db.create(table: "pending_updates") { t in
                t.column("node_id", .integer).notNull().references("nodes")
                t.column("seq", .integer).notNull()
                t.primaryKey(["node_id", "seq"])
                t.column("base_version", .integer).notNull()
                t.column("staleness", .integer).notNull()
                t.column("weight", .double).notNull()
                t.column("sample_count", .integer).notNull()
                t.column("metrics", .text).notNull()
                t.column("norm", .double).notNull()
                t.column("received_at", .datetime).notNull()
            }
        }
        migrator.registerMigration("v3: the best version by the evaluation metric, kept beside the latest") { db in
            try db.alter(table: "federation") { t in
                t.add(column: "best_version", .integer)
                t.add(column: "best_metric", .text)
                t.add(column: "best_value", .double)
            }
        }
        migrator.registerMigration("v4: the bytes each update took on the wire, summed per version") { db in
            try db.alter(table: "pending_updates") { t in t.add(column: "bytes", .integer).notNull().defaults(to: 0) }
            try db.alter(table: "versions") { t in t.add(column: "update_bytes", .integer).notNull().defaults(to: 0) }
        }
        return migrator
    }

    /// Throws `StoreError.damaged` unless SQLite's `quick_check` finds `db` intact (a truncated or overwritten
    /// file shows here, before any read trusts it).
    static func checkIntact(_ db: Database, path: String) throws {
        let problems = try String.fetchAll(db, sql: "PRAGMA quick_check").filter { $0 != "ok" }
        if let first = problems.first {
            throw StoreError.damaged(path: path, detail: "SQLite's integrity check: \(first)")
        }
    }

    /// Throws unless `db` holds exactly this build's migrations (for read-only opens, which cannot migrate).
    static func checkCurrent(_ db: Database, path: String) throws {
        let migrator = self.migrator
        if try migrator.hasBeenSuperseded(db) { throw StoreError.schemaTooNew(path: path) }
        if try !migrator.hasCompletedMigrations(db) { throw StoreError.schemaTooOld(path: path) }
    }
}
