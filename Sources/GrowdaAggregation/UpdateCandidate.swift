/// A node's identifier, as the wire format carries it.
public typealias NodeID = UInt32

/// What a strategy needs to judge an update before its tensors are touched: who sent it, which
/// global version it was trained from, and how many samples it saw.
public struct UpdateCandidate: Sendable, Equatable {
    /// The sending node.
    public var node: NodeID
    /// The global version τ the node trained from.
    public var baseVersion: UInt64
    /// The number of local samples n behind the update (FedAvg's weight).
    public var sampleCount: UInt64

    /// Makes a candidate.
    public init(node: NodeID, baseVersion: UInt64, sampleCount: UInt64) {
        self.node = node
        self.baseVersion = baseVersion
        self.sampleCount = sampleCount
    }
}
