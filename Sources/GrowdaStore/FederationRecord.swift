import Foundation

/// The federation's one-row summary: where it stands and how it runs.
public struct FederationRecord: Sendable, Equatable {
    /// The committed version, nil before version 0 is committed.
    public var currentVersion: UInt64?
    /// The aggregation mode the aggregator last opened the state with (e.g. `fedbuff`, `fedavg`).
    public var mode: String
    /// When the state was created.
    public var createdAt: Date
    /// When the state last changed version or mode.
    public var updatedAt: Date
    /// The server optimizer's state file of the current version (relative to the state folder), if any.
    public var optimizerStateFile: String?
    /// The buffer file covering the pending updates (relative to the state folder), nil when none is pending.
    public var bufferFile: String?
    /// The best version by the evaluation metric, whose checkpoint is kept; nil until one is recorded.
    public var best: BestVersion?

    /// Makes a federation record.
    public init(
        currentVersion: UInt64?, mode: String, createdAt: Date, updatedAt: Date, optimizerStateFile: String?,
        bufferFile: String? = nil, best: BestVersion? = nil
    ) {
        self.bufferFile = bufferFile
        self.best = best
        self.currentVersion = currentVersion
        self.mode = mode
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.optimizerStateFile = optimizerStateFile
    }
}
