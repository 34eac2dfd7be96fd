import Foundation

/// The facts of an update the aggregator has validated and weighed, as the store records them.
///
/// The aggregation maths (staleness, weight) is computed once, on receipt, and stored, so that a
/// restarted aggregator folds a replayed update with exactly the weight it had the first time.
public struct AcceptedUpdate: Sendable, Equatable {
    /// The sending node's id.
    public var node: UInt32
    /// The node's sequence number for this update (1 for its first).
    public var seq: UInt64
    /// The model version the node trained from.
    public var baseVersion: UInt64
    /// The staleness `t − τ` when the update was received.
    public var staleness: UInt64
    /// The aggregation weight `a = n · f(s)`.
    public var weight: Double
    /// The local sample count `n`.
    public var sampleCount: UInt64
    /// The node's local metrics, finite values only.
    public var metrics: [String: Double]
    /// The delta's L2 norm.
    public var norm: Double
    /// The update message's size on the wire, in bytes (0 when not known): what the node uploaded.
    public var bytes: Int

    /// Makes the facts of one accepted update.
    public init(
        node: UInt32, seq: UInt64, baseVersion: UInt64, staleness: UInt64, weight: Double, sampleCount: UInt64,
        metrics: [String: Double] = [:], norm: Double, bytes: Int = 0
    ) {
        self.bytes = bytes
        self.node = node
        self.seq = seq
        self.baseVersion = baseVersion
        self.staleness = staleness
        self.weight = weight
        self.sampleCount = sampleCount
        self.metrics = metrics
        self.norm = norm
    }

    /// The update's identity.
    public var key: UpdateKey { UpdateKey(node: node, seq: seq) }
}

/// An update's identity: its node and that node's sequence number.
public struct UpdateKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The node id.
    public var node: UInt32
    /// The node's sequence number.
    public var seq: UInt64

    /// Makes a key.
    public init(node: UInt32, seq: UInt64) {
        self.node = node
        self.seq = seq
    }

    /// Orders by node, then sequence number.
    public static func < (left: UpdateKey, right: UpdateKey) -> Bool {
        (left.node, left.seq) < (right.node, right.seq)
    }

    /// `node 17 seq 5`.
    public var description: String { "node \(node) seq \(seq)" }
}

/// An accepted update waiting in the buffer: its facts and when it was committed. (Its delta is in the
/// buffer file, summed with the others.)
public struct PendingUpdate: Sendable, Equatable {
    /// The update's facts.
    public var update: AcceptedUpdate
    /// When the store recorded it.
    public var receivedAt: Date

    /// Makes a pending update.
    public init(update: AcceptedUpdate, receivedAt: Date) {
        self.update = update
        self.receivedAt = receivedAt
    }

    /// The update's identity.
    public var key: UpdateKey { update.key }
}
