/// A state-folder operation that could not be carried out: what went wrong and what to do next.
///
/// File-system failures surface as `FileError` (from GrowdaSafetensors) and SQLite failures as
/// GRDB's `DatabaseError`; this enum covers the store's own rules.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Another process holds the folder's `LOCK` (its pid when the lock file names one).
    case locked(folder: String, holder: Int32?)
    /// The folder has no `state.sqlite`, so there is no state to read.
    case noState(folder: String)
    /// The database was written by a newer Growda (it holds migrations this build does not know).
    case schemaTooNew(path: String)
    /// The database lacks migrations this build needs; open it once with the aggregator to migrate it.
    case schemaTooOld(path: String)
    /// A version was committed out of order: versions start at 0 and grow by one.
    case versionOutOfOrder(expected: UInt64, got: UInt64)
    /// No version with this number was committed.
    case unknownVersion(UInt64)
    /// The same update would be folded twice into one version.
    case foldedTwice(node: UInt32, seq: UInt64)
    /// A value the store cannot hold: an integer above SQLite's signed 64-bit range, a non-finite number,
    /// or a setting outside its range.
    case invalidValue(field: String, reason: String)
    /// The checkpoint of the committed version is missing: the state folder was altered by hand.
    case missingCheckpoint(version: UInt64, path: String)
    /// A commit counted an update its node had already settled (the caller must drop those before folding).
    case alreadySettled(node: UInt32, seq: UInt64, settledSeq: UInt64)
    /// Updates were committed as pending without the buffer file that holds their deltas.
    case missingBuffer(updates: Int)
    /// The state folder holds pending updates in the one-file-per-update form of an older Growda.
    case legacyPending(count: Int)
    /// The database file is damaged (truncated, overwritten, not SQLite) or was edited by hand into values
    /// the store cannot read.
    case damaged(path: String, detail: String)

    /// One line for an operator: what failed and what to do next.
    public var description: String {
        switch self {
        case .locked(let folder, let holder):
            let who = holder.map { "process \($0)" } ?? "another process"
            return "\(folder) is in use by \(who) (its LOCK is held): stop that aggregator first, "
                + "or give this one another state folder"
        case .noState(let folder):
            return "\(folder) holds no Growda state (no state.sqlite): check the path, or start an aggregator on it"
        case .schemaTooNew(let path):
            return "\(path) was written by a newer Growda: upgrade this program to read it"
        case .schemaTooOld(let path):
            return "\(path) uses an older schema: open it once with the aggregator (which migrates it), then retry"
        case .versionOutOfOrder(let expected, let got):
            return "version \(got) cannot be committed: the next version is \(expected)"
        case .unknownVersion(let version):
            return "version \(version) was never committed"
        case .foldedTwice(let node, let seq):
            return "update \(seq) of node \(node) would be folded twice into one version"
        case .invalidValue(let field, let reason):
            return "\(field): \(reason)"
        case .missingCheckpoint(let version, let path):
            return "the checkpoint of committed version \(version) is missing (\(path)): the state folder was "
                + "altered; restore it from a backup"
        case .alreadySettled(let node, let seq, let settled):
            return "update \(seq) of node \(node) was already settled (settled seq \(settled)); it cannot count again"
        case .missingBuffer(let updates):
            return "\(updates) updates were committed as pending without a buffer file holding their deltas"
        case .legacyPending(let count):
            return "the state folder holds \(count) pending updates in the form of an older Growda (one file per "
                + "update): run that older build until they fold into a version (`growda status` shows an empty "
                + "buffer), stop it, then start this one"
        case .damaged(let path, let detail):
            return "\(path) is damaged (\(detail)): restore the state folder from a backup, or move it away to "
                + "start a new federation"
        }
    }
}
