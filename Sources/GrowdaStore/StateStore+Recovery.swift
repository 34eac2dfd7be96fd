import Foundation
import GRDB

extension StateStore {
    /// Brings the folder back to what the database says, after any crash:
    /// - the current version's checkpoint must exist (else `StoreError.missingCheckpoint`: nothing is removed);
    /// - a pending row whose delta file is missing is dropped and reported as lost;
    /// - files in `models/` and `pending/` that no row refers to are removed: deltas written before their row
    ///   committed or left after their version committed, checkpoints newer than the committed version or
    ///   released by pruning, and temporary files of interrupted atomic writes. Other files are left alone.
    static func recover(pool: DatabasePool, layout: StateLayout) throws -> Recovery {
        try pool.write { db in
            let federation = try StateQueries.federation(db)
            let version = federation?.currentVersion
            var checkpointPath: String?
            if let version {
                let expected = StateLayout.checkpointName(version: version)
                guard let file = try StateQueries.version(db, version)?.checkpoint,
                    FileManager.default.fileExists(atPath: layout.path(file))
                else { throw StoreError.missingCheckpoint(version: version, path: layout.path(expected)) }
                checkpointPath = layout.path(file)
            }

            var pending: [PendingUpdate] = []
            var lost: [UpdateKey] = []
            for update in try StateQueries.pending(db) {
                if FileManager.default.fileExists(atPath: layout.path(update.deltaFile)) {
                    pending.append(update)
                } else {
                    lost.append(update.key)
                    try db.execute(
                        sql: "DELETE FROM pending_updates WHERE node_id = ? AND seq = ?",
                        arguments: [update.key.node, update.key.seq])
                }
            }

            var referenced = Set(
                try String.fetchAll(db, sql: "SELECT checkpoint FROM versions WHERE checkpoint IS NOT NULL"))
            if let file = federation?.optimizerStateFile { referenced.insert(file) }
            referenced.formUnion(pending.map(\.deltaFile))

            var removed: [RemovedFile] = []
            for name in try FileManager.default.contentsOfDirectory(atPath: layout.modelsFolder) {
                let file = "models/\(name)"
                if StateLayout.isTemporaryFile(name) {
                    removed.append(RemovedFile(file: file, reason: .temporary))
                } else if let parsed = StateLayout.parseModelFile(name), !referenced.contains(file) {
                    let isUncommitted = version.map { parsed.version > $0 } ?? true
                    removed.append(RemovedFile(file: file, reason: isUncommitted ? .uncommittedVersion : .pruned))
                }
            }
            for name in try FileManager.default.contentsOfDirectory(atPath: layout.pendingFolder) {
                let file = "pending/\(name)"
                if StateLayout.isTemporaryFile(name) {
                    removed.append(RemovedFile(file: file, reason: .temporary))
                } else if StateLayout.isDeltaFile(name), !referenced.contains(file) {
                    removed.append(RemovedFile(file: file, reason: .unreferencedDelta))
                }
            }
            removed.sort { $0.file < $1.file }
            for entry in removed { try FileManager.default.removeItem(atPath: layout.path(entry.file)) }

            return Recovery(
                version: version, checkpointPath: checkpointPath,
                optimizerStatePath: federation?.optimizerStateFile.map(layout.path), pending: pending,
                settledSeqs: try StateQueries.settledSeqs(db), removedFiles: removed, lostUpdates: lost)
        }
    }
}
