/// A strategy's answer to an update candidate: fold it with a weight, or refuse it for a reason.
/// Refusals are ordinary values (the aggregator counts them by reason and carries on).
public enum Verdict: Sendable, Equatable {
    /// Fold the update as described.
    case accept(Acceptance)
    /// Do not fold the update.
    case refuse(Refusal)

    /// The acceptance, or nil for a refusal.
    public var acceptance: Acceptance? {
        if case .accept(let acceptance) = self { return acceptance }
        return nil
    }

    /// The refusal, or nil for an acceptance.
    public var refusal: Refusal? {
        if case .refuse(let refusal) = self { return refusal }
        return nil
    }
}

/// An accepted update's place in the buffer: its staleness and its weight a = n · f(s), valid for the
/// global version at which it was judged (folding it at another version is a programming error).
public struct Acceptance: Sendable, Equatable {
    /// The sending node.
    public var node: NodeID
    /// The global version t when the verdict was given.
    public var version: UInt64
    /// s = t − τ.
    public var staleness: Int
    /// a = n · f(s).
    public var weight: Double

    /// Makes an acceptance.
    public init(node: NodeID, version: UInt64, staleness: Int, weight: Double) {
        self.node = node
        self.version = version
        self.staleness = staleness
        self.weight = weight
    }
}

/// Why a strategy refused an update.
public enum Refusal: Sendable, Equatable, Hashable {
    /// s = t − τ exceeds the limit (s_max in FedBuff; 0 in synchronous FedAvg, where only the current
    /// round's version counts).
    case stale(staleness: Int, limit: Int)
    /// The update claims a base version newer than the current one.
    case futureVersion(base: UInt64, current: UInt64)
    /// Synchronous FedAvg: the node already reported in this round.
    case alreadyReported
    /// The update was trained on no samples, so its weight would be zero.
    case noSamples
    /// FedBuff with `fedbuff.max_share`: the node already holds `count` of this buffer's updates, the most
    /// it may (`limit`). Not a fault of the update: it fits a later buffer.
    case overShare(count: Int, limit: Int)

    /// A short constant label for metrics and logs (`stale`, `future_version`, `already_reported`,
    /// `no_samples`, `over_share`).
    public var label: String {
        switch self {
        case .stale: "stale"
        case .futureVersion: "future_version"
        case .alreadyReported: "already_reported"
        case .noSamples: "no_samples"
        case .overShare: "over_share"
        }
    }
}
