/// Buffered asynchronous FedAvg (FedBuff, Nguyen et al. 2022).
///
/// An update trained from version τ, received at version t, has staleness s = t − τ. It is refused when
/// s > s_max (or τ > t, or n = 0); otherwise its weight is a = n · f(s). Each fold does S += a·Δ,
/// Z += a, k += 1; once k ≥ K a step applies w ← w + η · S / Z (through the server optimizer, if one
/// wraps this strategy), makes version t + 1 and empties the buffer. A node may contribute several
/// updates to one buffer.
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
    private let buffer: UpdateBuffer

    /// A strategy at version `version` for a model of `parameterCount` values.
    public init(
        parameterCount: Int, bufferSize: Int, maxStaleness: Int, staleness: StalenessFunction = .default,
        serverLearningRate: Float = 1, version: UInt64 = 0
    ) {
        precondition(bufferSize >= 1, "K must be at least 1")
        precondition(maxStaleness >= 0, "s_max must be at least 0")
        self.bufferSize = bufferSize
        self.maxStaleness = maxStaleness
        self.staleness = staleness
        self.serverLearningRate = serverLearningRate
        self.version = version
        buffer = UpdateBuffer(parameterCount: parameterCount)
    }

    /// The model size.
    public var parameterCount: Int { buffer.sum.count }

    /// k, Z and the nodes in the buffer.
    public var pending: PendingStatus { buffer.status }

    /// Refuses τ > t, s > s_max and n = 0; accepts with a = n · f(s) otherwise.
    public func verdict(for candidate: UpdateCandidate) -> Verdict {
        guard candidate.baseVersion <= version else {
            return .refuse(.futureVersion(base: candidate.baseVersion, current: version))
        }
        let s = Int(clamping: version - candidate.baseVersion)
        guard s <= maxStaleness else { return .refuse(.stale(staleness: s, limit: maxStaleness)) }
        guard candidate.sampleCount > 0 else { return .refuse(.noSamples) }
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

    /// Hands d = S / Z to `body`, then empties the buffer and advances t.
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
