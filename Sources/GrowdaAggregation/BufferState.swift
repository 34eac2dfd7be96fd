/// The buffer between two steps, whole: S = Σ a·Δ and everything a step summary needs. An aggregator
/// persists it at each group commit, so a restart continues the buffer bit for bit without keeping each
/// accepted delta (one model-sized vector per commit instead of one per update).
public struct BufferState: Sendable, Equatable {
    /// S, the weighted sum of the folded deltas (`parameterCount` values).
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

    /// Makes a state.
    public init(
        sum: [Float], totalWeight: Double, count: Int, nodes: [NodeID], stalenessSum: Int, maxStaleness: Int,
        clippedCount: Int
    ) {
        self.sum = sum
        self.totalWeight = totalWeight
        self.count = count
        self.nodes = nodes
        self.stalenessSum = stalenessSum
        self.maxStaleness = maxStaleness
        self.clippedCount = clippedCount
    }
}
