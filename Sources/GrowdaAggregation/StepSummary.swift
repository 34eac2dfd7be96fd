/// What one server step folded into the new global version.
public struct StepSummary: Sendable, Equatable {
    /// The new global version t + 1.
    public var version: UInt64
    /// The number of updates folded (k).
    public var updateCount: Int
    /// Z = Σ a over the folded updates.
    public var totalWeight: Double
    /// The mean staleness of the folded updates.
    public var meanStaleness: Double
    /// The largest staleness among the folded updates.
    public var maxStaleness: Int
    /// The nodes whose updates were folded, ascending, each once.
    public var contributors: [NodeID]
    /// How many folded updates norm clipping scaled down.
    public var clippedCount: Int
    /// A robust rule's outliers: the node of each update far from the step's direction (one entry per
    /// update, so a node may appear twice); empty for plain FedBuff.
    public var outliers: [NodeID]

    /// Makes a summary.
    public init(
        version: UInt64, updateCount: Int, totalWeight: Double, meanStaleness: Double, maxStaleness: Int,
        contributors: [NodeID], clippedCount: Int, outliers: [NodeID] = []
    ) {
        self.outliers = outliers
        self.version = version
        self.updateCount = updateCount
        self.totalWeight = totalWeight
        self.meanStaleness = meanStaleness
        self.maxStaleness = maxStaleness
        self.contributors = contributors
        self.clippedCount = clippedCount
    }
}

/// What one fold added to the buffer.
public struct FoldRecord: Sendable, Equatable {
    /// The sending node.
    public var node: NodeID
    /// The update's staleness s.
    public var staleness: Int
    /// The weight a added to Z.
    public var weight: Double
    /// The factor applied to Δ before weighting: 1, or C / ‖Δ‖ when norm clipping scaled it down.
    public var scale: Float
    /// The number of updates in the buffer after this fold (k).
    public var pendingCount: Int

    /// Makes a record.
    public init(node: NodeID, staleness: Int, weight: Double, scale: Float, pendingCount: Int) {
        self.node = node
        self.staleness = staleness
        self.weight = weight
        self.scale = scale
        self.pendingCount = pendingCount
    }
}

/// The buffer's contents since the last step, for status replies.
public struct PendingStatus: Sendable, Equatable {
    /// k, the number of updates folded since the last step.
    public var count: Int
    /// Z, their total weight.
    public var totalWeight: Double
    /// The nodes among them, ascending, each once.
    public var nodes: [NodeID]
    /// How many of them each node sent.
    public var nodeCounts: [NodeID: Int]

    /// Makes a status; `nodeCounts` defaults to one update per node.
    public init(count: Int, totalWeight: Double, nodes: [NodeID], nodeCounts: [NodeID: Int]? = nil) {
        self.nodeCounts = nodeCounts ?? Dictionary(uniqueKeysWithValues: nodes.map { ($0, 1) })
        self.count = count
        self.totalWeight = totalWeight
        self.nodes = nodes
    }
}

/// The inputs a readiness check needs from the outside world: the time and the nodes still alive.
public struct StepContext: Sendable, Equatable {
    /// Now, in seconds on the aggregator's monotonic clock (the same clock for every call).
    public var now: Double
    /// The nodes heartbeating; lost nodes are never waited for.
    public var aliveNodes: Set<NodeID>

    /// Makes a context.
    public init(now: Double, aliveNodes: Set<NodeID>) {
        self.now = now
        self.aliveNodes = aliveNodes
    }
}
