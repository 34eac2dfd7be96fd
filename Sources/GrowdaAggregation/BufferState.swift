/// The buffer between two steps, whole: everything a step needs and a step summary reports. An aggregator
/// persists it at each group commit, so a restart continues the buffer bit for bit. Plain FedBuff keeps
/// S = Σ a·Δ (one model-sized vector per commit, not one per update); a robust rule
/// (``RobustRule/keepsDeltas``) keeps each delta with its weight and node instead, and `sum` is empty.
public struct BufferState: Sendable, Equatable {
    /// S, the weighted sum of the folded deltas (`parameterCount` values); empty for a robust buffer.
    public var sum: [Float]
    /// Z, the total weight.
    public var totalWeight: Double
    /// k, the number of folded updates.
    public var count: Int
    /// The nodes whose updates are in the buffer, ascending.
    public var nodes: [NodeID]
    /// Σ s over the folded updates.
    public var stalenessSum: Int
    /// The largest staleness folded.
    public var maxStaleness: Int
    /// How many folded deltas were shrunk by norm clipping.
    public var clippedCount: Int
    /// How many of the buffer's updates each node sent (what `fedbuff.max_share` counts).
    public var nodeCounts: [NodeID: Int]
    /// A robust buffer's deltas, each scale · Δ as folded, in folding order (empty for plain FedBuff).
    public var deltas: [[Float]]
    /// Their weights a, in the same order.
    public var deltaWeights: [Double]
    /// Their nodes, in the same order.
    public var deltaNodes: [NodeID]
    /// The adaptive norm bound's window of recent accepted norms, oldest first, when one wraps the strategy
    /// (nil: none, or not recorded).
    public var recentNorms: [Float]?

    /// Makes a state; `nodeCounts` defaults to one update per node in `nodes`.
    public init(
        sum: [Float], totalWeight: Double, count: Int, nodes: [NodeID], stalenessSum: Int, maxStaleness: Int,
        clippedCount: Int, nodeCounts: [NodeID: Int]? = nil, deltas: [[Float]] = [], deltaWeights: [Double] = [],
        deltaNodes: [NodeID] = [], recentNorms: [Float]? = nil
    ) {
        self.sum = sum
        self.totalWeight = totalWeight
        self.count = count
        self.nodes = nodes
        self.stalenessSum = stalenessSum
        self.maxStaleness = maxStaleness
        self.clippedCount = clippedCount
        self.nodeCounts = nodeCounts ?? Dictionary(uniqueKeysWithValues: nodes.map { ($0, 1) })
        self.deltas = deltas
        self.deltaWeights = deltaWeights
        self.deltaNodes = deltaNodes
        self.recentNorms = recentNorms
    }
}
