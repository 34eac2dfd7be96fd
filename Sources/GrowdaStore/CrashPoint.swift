/// Test hooks: the places where a write sequence can be cut short, as a kill -9 there would.
///
/// Internal methods take an optional crash point and throw `SimulatedCrash` when they reach it, leaving
/// the folder exactly as a crash at that moment would (no cleanup runs). Tests then drop the store and
/// open the folder again to check recovery.
enum CrashPoint: Sendable, Equatable {
    /// A group commit: the new buffer file is on disk, the batch's rows and settled seqs are not.
    case afterBufferFile
    /// Committing a version: the checkpoint (and optimizer state) are on disk, the version row is not.
    case afterCheckpointFile
    /// Committing a version: the transaction is committed, the folded deltas and pruned checkpoints are
    /// still on disk.
    case afterVersionTransaction
}

/// The error a test hook throws at its crash point.
struct SimulatedCrash: Error, Equatable {
    let point: CrashPoint
}
