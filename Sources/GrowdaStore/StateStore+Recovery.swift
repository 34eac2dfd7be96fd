import Foundation
import GRDB

extension StateStore {
    /// Brings the folder back to what the database says, after any crash:
    /// - the current version's checkpoint must exist (else `StoreError.missingCheckpoint`: nothing is removed);
    /// - pending rows whose buffer file is missing are dropped and reported as lost (the store's write order
    ///   makes this impossible unless the folder was altered);
    /// - files in `models/` and `pending/` that no row refers to are removed: checkpoints newer than the
    ///   committed version or released by pruning, per-update delta files of an older Growda, and temporary
    ///   files of interrupted atomic writes. The two buffer files stay (the one not in force, maybe torn by
    ///   a crash, is written again by the next group commit); other files are left alone.
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

            var pending = try StateQueries.pending(db)
            var lost: [UpdateKey] = []
            var bufferFile = federation?.bufferFile
            if let file = bufferFile, !FileManager.default.fileExists(atPath: layout.path(file)) { bufferFile = nil }
            if bufferFile == nil, !pending.isEmpty {
                lost = pending.map(\.key)
                pending = []
                try db.execute(sql: "DELETE FROM pending_updates")
            }
            if bufferFile != federation?.bufferFile {
                try db.execute(sql: "UPDATE federation SET buffer_file = ? WHERE id = 1", arguments: [bufferFile])
            }

            var referenced = Set(
                try String.fetchAll(db, sql: "SELECT checkpoint FROM versions WHERE checkpoint IS NOT NULL"))
            if let file = federation?.optimizerStateFile { referenced.insert(file) }
            if let bufferFile { referenced.insert(bufferFile) }

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
                optimizerStatePath: federation?.optimizerStateFile.map(layout.path),
                bufferPath: bufferFile.map(layout.path), pending: pending,
                settledSeqs: try StateQueries.settledSeqs(db), removedFiles: removed, lostUpdates: lost)
        }
    }
}
