/// What opening a state folder found and repaired: where the federation stands and the buffer to rebuild.
///
/// The aggregator starts from `version` (loading `checkpointPath`), restores its buffer from `bufferPath`
/// (which covers exactly the updates in `pending`), seeds its replay table from `settledSeqs`, and logs
/// `removedFiles` as information and `lostUpdates` as errors.
public struct Recovery: Sendable, Equatable {
    /// The committed version, nil for a fresh state (commit version 0 first).
    public var version: UInt64?
    /// The absolute path of that version's checkpoint, nil for a fresh state.
    public var checkpointPath: String?
    /// The absolute path of the server optimizer's state for that version, if one was committed.
    public var optimizerStatePath: String?
    /// The absolute path of the buffer file holding the sum of the pending updates' deltas, nil when
    /// none is pending.
    public var bufferPath: String?
    /// The accepted updates not yet folded into a version, in the order they were accepted.
    public var pending: [PendingUpdate]
    /// Each node's settled sequence number (nodes with none settled are left out).
    public var settledSeqs: [UInt32: UInt64]
    /// Files removed because nothing committed refers to them, with why.
    public var removedFiles: [RemovedFile]
    /// Pending updates whose buffer file was missing: they were dropped from the buffer and are lost.
    /// The store's write order makes this impossible unless the folder was altered; report it as an error.
    public var lostUpdates: [UpdateKey]

    /// Makes a recovery report.
    public init(
        version: UInt64?, checkpointPath: String?, optimizerStatePath: String?, bufferPath: String? = nil,
        pending: [PendingUpdate], settledSeqs: [UInt32: UInt64], removedFiles: [RemovedFile],
        lostUpdates: [UpdateKey]
    ) {
        self.bufferPath = bufferPath
        self.version = version
        self.checkpointPath = checkpointPath
        self.optimizerStatePath = optimizerStatePath
        self.pending = pending
        self.settledSeqs = settledSeqs
        self.removedFiles = removedFiles
        self.lostUpdates = lostUpdates
    }
}

/// A file that opening a state folder removed, and why.
public struct RemovedFile: Sendable, Equatable {
    /// Why a file was left over.
    public enum Reason: String, Sendable, Equatable {
        /// A per-update delta file of an older Growda that no pending row refers to.
        case unreferencedDelta = "unreferenced_delta"
        /// A checkpoint or optimizer state newer than the committed version: written before a crash that
        /// came before the version's commit.
        case uncommittedVersion = "uncommitted_version"
        /// A checkpoint or optimizer state of a committed version that pruning had released.
        case pruned
        /// The temporary file of an interrupted atomic write.
        case temporary
    }

    /// The path, relative to the state folder.
    public var file: String
    /// Why it was removed.
    public var reason: Reason

    /// Makes an entry.
    public init(file: String, reason: Reason) {
        self.file = file
        self.reason = reason
    }
}
