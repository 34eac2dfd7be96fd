/// Buffered asynchronous FedAvg (FedBuff, Nguyen et al. 2022).
///
/// An update trained from version τ, received at version t, has staleness s = t − τ. It is refused when
/// s > s_max (or τ > t, or n = 0); otherwise its weight is a = n · f(s). Each fold does S += a·Δ,
/// Z += a, k += 1; once k ≥ K a step applies w ← w + η · S / Z (through the server optimizer, if one
/// wraps this strategy), makes version t + 1 and empties the buffer. A node may contribute several
/// updates to one buffer, at most `maxPerNode` when that is set (further ones are refused as
/// ``Refusal/overShare(count:limit:)`` until the step).
///
/// With a robust rule (``RobustRule``) the buffer keeps the K deltas and the step's direction is their
/// coordinate-wise trimmed mean or median instead of S / Z.
public final class FedBuffStrategy: AggregationStrategy {
    /// K, the number of accepted updates that makes a step.
    public let bufferSize: Int
    /// s_max, the largest staleness accepted.
    public let maxStaleness: Int
    /// f, the staleness discount.
    public let staleness: StalenessFunction
    /// η.
    public let serverLearningRate: Float
    /// t.
    public private(set) var version: UInt64
    /// How the buffer becomes a direction.
    public var robust: RobustRule { buffer.rule }
    /// The most updates of one node in one buffer (nil: no cap).
    public let maxPerNode: Int?
    private let buffer: UpdateBuffer

    /// A strategy at version `version` for a model of `parameterCount` values.
    public init(
        parameterCount: Int, bufferSize: Int, maxStaleness: Int, staleness: StalenessFunction = .default,
        serverLearningRate: Float = 1, version: UInt64 = 0, robust: RobustRule = .none, maxPerNode: Int? = nil
    ) {
        precondition(bufferSize >= 1, "K must be at least 1")
        precondition(maxStaleness >= 0, "s_max must be at least 0")
        precondition(robust.works(bufferSize: bufferSize), "\(robust) does not work with K = \(bufferSize)")
        precondition(maxPerNode.map { $0 >= 1 } ?? true, "the per-node cap must be at least 1")
        self.maxPerNode = maxPerNode
        self.bufferSize = bufferSize
        self.maxStaleness = maxStaleness
        self.staleness = staleness
        self.serverLearningRate = serverLearningRate
        self.version = version
        buffer = UpdateBuffer(parameterCount: parameterCount, rule: robust)
    }

    /// The model size.
    public var parameterCount: Int { buffer.sum.count }

    /// k, Z and the nodes in the buffer.
    public var pending: PendingStatus { buffer.status }

    /// The buffer's bytes.
    public var heldBytes: Int { buffer.heldBytes }

    /// Refuses τ > t, s > s_max, n = 0 and a node already holding `maxPerNode` of the buffer's updates;
    /// accepts with a = n · f(s) otherwise.
    public func verdict(for candidate: UpdateCandidate) -> Verdict {
        guard candidate.baseVersion <= version else {
            return .refuse(.futureVersion(base: candidate.baseVersion, current: version))
        }
        let s = Int(clamping: version - candidate.baseVersion)
        guard s <= maxStaleness else { return .refuse(.stale(staleness: s, limit: maxStaleness)) }
        guard candidate.sampleCount > 0 else { return .refuse(.noSamples) }
        if let limit = maxPerNode, let held = buffer.nodeCounts[candidate.node], held >= limit {
            return .refuse(.overShare(count: held, limit: limit))
        }
        let weight = Double(candidate.sampleCount) * staleness.factor(staleness: s)
        return .accept(Acceptance(node: candidate.node, version: version, staleness: s, weight: weight))
    }

    /// S += scale · a · Δ, Z += a, k += 1.
    @discardableResult
    public func fold(delta: UnsafeBufferPointer<Float>, accepted: Acceptance, scale: Float) -> FoldRecord {
        precondition(accepted.version == version, "acceptance from version \(accepted.version) folded at \(version)")
        return buffer.add(delta: delta, accepted: accepted, scale: scale)
    }

    /// k ≥ K; time and liveness play no part.
    public func isStepReady(_ context: StepContext) -> Bool { buffer.count >= bufferSize }

    /// Hands d = S / Z (or the robust rule's direction) to `body`, then empties the buffer and advances t.
    public func takeStep(at now: Double, direction body: (UnsafeMutableBufferPointer<Float>) -> Void) -> StepSummary {
        let summary = buffer.drain(newVersion: version + 1, body)
        version += 1
        return summary
    }

    /// Empty: plain FedBuff keeps no optimizer state.
    public func exportOptimizerState() -> OptimizerState { OptimizerState() }

    /// Empties the buffer and sets t; any optimizer state given here is unexpected.
    public func restore(
        version: UInt64, optimizerState: OptimizerState?, at now: Double
    ) throws(AggregationStateError) {
        if let state = optimizerState, !state.tensors.isEmpty {
            throw .unexpectedTensors(names: state.tensors.keys.sorted())
        }
        buffer.clear()
        self.version = version
    }

    /// S, Z, k and the bookkeeping since the last step.
    public func exportBuffer() -> BufferState { buffer.state }

    /// Replaces the buffer with `state`.
    public func restoreBuffer(_ state: BufferState) throws(AggregationStateError) { try buffer.restore(state) }
}
