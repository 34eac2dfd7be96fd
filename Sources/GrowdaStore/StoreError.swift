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
    /// An update named in a commit is not in the pending buffer.
    case notPending(node: UInt32, seq: UInt64)
    /// No version with this number was committed.
    case unknownVersion(UInt64)
    /// The same update was named twice in one commit.
    case foldedTwice(node: UInt32, seq: UInt64)
    /// A value the store cannot hold: an integer above SQLite's signed 64-bit range, a non-finite number,
    /// or a setting outside its range.
    case invalidValue(field: String, reason: String)
    /// The checkpoint of the committed version is missing: the state folder was altered by hand.
    case missingCheckpoint(version: UInt64, path: String)
    /// A delta file does not hold the update its pending row describes.
    case corruptDelta(path: String, reason: String)

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
        case .notPending(let node, let seq):
            return "update \(seq) of node \(node) is not in the pending buffer, so it cannot be folded"
        case .unknownVersion(let version):
            return "version \(version) was never committed"
        case .foldedTwice(let node, let seq):
            return "update \(seq) of node \(node) is named twice in one commit"
        case .invalidValue(let field, let reason):
            return "\(field): \(reason)"
        case .missingCheckpoint(let version, let path):
            return "the checkpoint of committed version \(version) is missing (\(path)): the state folder was "
                + "altered; restore it from a backup"
        case .corruptDelta(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}
