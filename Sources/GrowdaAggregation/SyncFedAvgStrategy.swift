/// Synchronous FedAvg (McMahan et al. 2017) on the same buffer as ``FedBuffStrategy``: one version per
/// round, each alive node contributing at most one update trained from the round's version.
///
/// Only updates with τ = t are accepted (anything older is refused as stale with limit 0), one per node
/// per round, with weight a = n, so a step gives w ← w + η · Σ nᵢΔᵢ / Σ nᵢ. A round is ready when
/// every alive node has reported, or when the deadline has passed and at least ⌈q · N⌉ nodes have
/// reported, where N counts the alive nodes plus any that reported and were since lost. A round opens
/// at the previous step (or at construction or restore); its deadline is that time plus `deadlineSeconds`.
public final class SyncFedAvgStrategy: AggregationStrategy {
    /// q, the fraction of nodes that suffices once the deadline has passed, in (0, 1].
    public let quorum: Double
    /// How long a round waits for every alive node before a quorum suffices.
    public let deadlineSeconds: Double
    /// η.
    public let serverLearningRate: Float
    /// t, which is also the round number.
    public private(set) var version: UInt64
    /// When the current round opened, in the caller's monotonic seconds.
    public private(set) var roundOpenedAt: Double
    private let buffer: UpdateBuffer

    /// A strategy at version `version` whose first round opens at `openedAt`.
    public init(
        parameterCount: Int, quorum: Double, deadlineSeconds: Double, serverLearningRate: Float = 1,
        version: UInt64 = 0, openedAt: Double
    ) {
        precondition(quorum > 0 && quorum <= 1, "quorum must be in (0, 1]")
        precondition(deadlineSeconds > 0, "deadline must be positive")
        self.quorum = quorum
        self.deadlineSeconds = deadlineSeconds
        self.serverLearningRate = serverLearningRate
        self.version = version
        self.roundOpenedAt = openedAt
        buffer = UpdateBuffer(parameterCount: parameterCount)
    }

    /// The model size.
    public var parameterCount: Int { buffer.sum.count }

    /// k, Z and the nodes that reported this round.
    public var pending: PendingStatus { buffer.status }

    /// The buffer's bytes.
    public var heldBytes: Int { buffer.heldBytes }

    /// Refuses τ > t, τ < t (stale), a second update from a node this round, and n = 0; accepts with
    /// a = n otherwise.
    public func verdict(for candidate: UpdateCandidate) -> Verdict {
        guard candidate.baseVersion <= version else {
            return .refuse(.futureVersion(base: candidate.baseVersion, current: version))
        }
        guard candidate.baseVersion == version else {
            return .refuse(.stale(staleness: Int(clamping: version - candidate.baseVersion), limit: 0))
        }
        guard !buffer.nodes.contains(candidate.node) else { return .refuse(.alreadyReported) }
        guard candidate.sampleCount > 0 else { return .refuse(.noSamples) }
        return .accept(
            Acceptance(node: candidate.node, version: version, staleness: 0, weight: Double(candidate.sampleCount)))
    }

    /// S += scale · n · Δ, Z += n, k += 1, and the node is marked as reported.
    @discardableResult
    public func fold(delta: UnsafeBufferPointer<Float>, accepted: Acceptance, scale: Float) -> FoldRecord {
        precondition(accepted.version == version, "acceptance from version \(accepted.version) folded at \(version)")
        precondition(!buffer.nodes.contains(accepted.node), "node \(accepted.node) already reported this round")
        return buffer.add(delta: delta, accepted: accepted, scale: scale)
    }

    /// The number of reports that make a quorum among `nodeCount` nodes: ⌈q · N⌉, at least 1. A hair
    /// below the product is taken first, so q = 0.7 of 10 nodes needs 7 even though 0.7 · 10 rounds
    /// to 7.000000000000001.
    public func quorumSize(of nodeCount: Int) -> Int {
        max(1, Int((quorum * Double(nodeCount) - 1e-9).rounded(.up)))
    }

    /// Ready when some node reported and either every alive node has, or the deadline has passed with
    /// ⌈q · |alive ∪ reported|⌉ reports.
    public func isStepReady(_ context: StepContext) -> Bool {
        guard buffer.count > 0 else { return false }
        if context.aliveNodes.isSubset(of: buffer.nodes) { return true }
        guard context.now >= roundOpenedAt + deadlineSeconds else { return false }
        return buffer.count >= quorumSize(of: context.aliveNodes.union(buffer.nodes).count)
    }

    /// Hands d = S / Z to `body`, empties the buffer, advances t and opens the next round at `now`.
    public func takeStep(at now: Double, direction body: (UnsafeMutableBufferPointer<Float>) -> Void) -> StepSummary {
        let summary = buffer.drain(newVersion: version + 1, body)
        version += 1
        roundOpenedAt = now
        return summary
    }

    /// Empty: plain FedAvg keeps no optimizer state.
    public func exportOptimizerState() -> OptimizerState { OptimizerState() }

    /// Empties the buffer, sets t and opens a fresh round at `now`; any optimizer state is unexpected.
    public func restore(
        version: UInt64, optimizerState: OptimizerState?, at now: Double
    ) throws(AggregationStateError) {
        if let state = optimizerState, !state.tensors.isEmpty {
            throw .unexpectedTensors(names: state.tensors.keys.sorted())
        }
        buffer.clear()
        self.version = version
        roundOpenedAt = now
    }

    /// S, Z, k and the bookkeeping since the last step.
    public func exportBuffer() -> BufferState { buffer.state }

    /// Replaces the buffer with `state`.
    public func restoreBuffer(_ state: BufferState) throws(AggregationStateError) { try buffer.restore(state) }
}
