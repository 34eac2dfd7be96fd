/// A strategy that adds behaviour around an inner one (a server optimizer, norm clipping). Every
/// requirement forwards to `inner` unless the wrapper implements it; wrappers nest in any order.
public protocol AggregationStrategyWrapper: AggregationStrategy {
    /// The wrapped strategy.
    var inner: any AggregationStrategy { get }
}

extension AggregationStrategyWrapper {
    /// The inner strategy's version.
    public var version: UInt64 { inner.version }
    /// The inner strategy's model size.
    public var parameterCount: Int { inner.parameterCount }
    /// The inner strategy's η.
    public var serverLearningRate: Float { inner.serverLearningRate }
    /// The inner strategy's buffer status.
    public var pending: PendingStatus { inner.pending }
    /// The inner strategy's buffer bytes.
    public var heldBytes: Int { inner.heldBytes }

    /// The inner strategy's verdict.
    public func verdict(for candidate: UpdateCandidate) -> Verdict { inner.verdict(for: candidate) }

    /// Folds through the inner strategy.
    @discardableResult
    public func fold(delta: UnsafeBufferPointer<Float>, accepted: Acceptance, scale: Float) -> FoldRecord {
        inner.fold(delta: delta, accepted: accepted, scale: scale)
    }

    /// The inner strategy's readiness.
    public func isStepReady(_ context: StepContext) -> Bool { inner.isStepReady(context) }

    /// The inner strategy's step.
    public func takeStep(at now: Double, direction body: (UnsafeMutableBufferPointer<Float>) -> Void) -> StepSummary {
        inner.takeStep(at: now, direction: body)
    }

    /// The inner strategy's optimizer state.
    public func exportOptimizerState() -> OptimizerState { inner.exportOptimizerState() }

    /// Restores the inner strategy.
    public func restore(
        version: UInt64, optimizerState: OptimizerState?, at now: Double
    ) throws(AggregationStateError) {
        try inner.restore(version: version, optimizerState: optimizerState, at: now)
    }

    /// The inner strategy's buffer.
    public func exportBuffer() -> BufferState { inner.exportBuffer() }

    /// Restores the inner strategy's buffer.
    public func restoreBuffer(_ state: BufferState) throws(AggregationStateError) { try inner.restoreBuffer(state) }
}
