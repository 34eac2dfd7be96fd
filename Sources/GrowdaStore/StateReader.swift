import Foundation
import GRDB

/// A read-only view of a state folder, for operators' tools (`growda history`, status without a running
/// aggregator). It takes no lock and never writes, so it works while the aggregator runs: the database is
/// in WAL mode, and each call reads one consistent snapshot of it.
public final class StateReader: Sendable {
    /// The state folder.
    public let folder: String
    private let queue: DatabaseQueue

    /// Opens the state at `folder` read-only; throws `StoreError.noState` when it holds none, and
    /// `StoreError.schemaTooNew`/`.schemaTooOld` when its schema is not this build's, and
    /// `StoreError.damaged` when its database is damaged.
    public init(folder: String) throws {
        let layout = StateLayout(folder: folder)
        guard FileManager.default.fileExists(atPath: layout.databasePath) else {
            throw StoreError.noState(folder: folder)
        }
        let path = layout.databasePath
        let queue = try StoreError.mappingDamage(path: path) {
            var configuration = Configuration()
            configuration.label = path
            configuration.readonly = true
            configuration.busyMode = .timeout(10)
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.read { db in
                try StateSchema.checkIntact(db, path: path)
                try StateSchema.checkCurrent(db, path: path)
            }
            return queue
        }
        self.folder = folder
        self.queue = queue
    }

    /// Closes the database connection; the reader must not be used afterwards.
    public func close() throws {
        try queue.close()
    }

    /// The federation's summary row.
    public func federation() throws -> FederationRecord {
        guard let record = try queue.read(StateQueries.federation) else { throw StoreError.noState(folder: folder) }
        return record
    }

    /// The committed versions, oldest first.
    public func history() throws -> [VersionRecord] {
        try queue.read(StateQueries.history)
    }

    /// The absolute path of a folder-relative file name from a record (`models/…`).
    public func path(of file: String) -> String { StateLayout(folder: folder).path(file) }

    /// Every node the state knows, by id.
    public func nodes() throws -> [NodeRecord] {
        try queue.read(StateQueries.nodes)
    }

    /// The cumulative refusal counts, by reason then node.
    public func refusals() throws -> [RefusalCount] {
        try queue.read(StateQueries.refusals)
    }

    /// The accepted updates not yet folded into a version, in acceptance order.
    public func pendingUpdates() throws -> [PendingUpdate] {
        try queue.read(StateQueries.pending)
    }
}
