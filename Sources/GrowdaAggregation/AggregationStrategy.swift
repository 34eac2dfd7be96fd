import GrowdaTensor

/// A server aggregation rule in four moves: judge an update (`verdict`), add it to the buffer (`fold`),
/// say whether a step is due (`isStepReady`), and take it (`takeStep`), which makes a new global version.
///
/// The buffer holds S = Σ a·Δ, Z = Σ a and k, the count; a step computes the mean delta S / Z, lets
/// the server optimizer (if any) turn it into a direction d, applies w ← w + η·d, and resets the buffer.
/// ``FedBuffStrategy`` and ``SyncFedAvgStrategy`` share that buffer and differ only in what counts as
/// stale and when a step is ready; ``ServerMomentum``, ``ServerAdam`` and ``NormClipping`` wrap any
/// strategy. Nothing here does I/O: time and the set of alive nodes are inputs.
///
/// Folding is deterministic: the same verdicts and deltas in the same order give the same weights bit
/// for bit. An aggregator persists the buffer itself (``exportBuffer()``) with the updates it covers,
/// and after a crash continues from it: ``restore(version:optimizerState:at:)``, then
/// ``restoreBuffer(_:)``.
///
/// Not thread-safe: one owner calls it (the aggregator's single state task).
public protocol AggregationStrategy: AnyObject {
    /// The current global version t.
    var version: UInt64 { get }
    /// The number of model parameters every delta and weight vector must have.
    var parameterCount: Int { get }
    /// The server learning rate η.
    var serverLearningRate: Float { get }
    /// What the buffer holds since the last step.
    var pending: PendingStatus { get }
    /// The bytes of model-sized vectors the buffer holds: S, and for a robust rule each kept delta.
    var heldBytes: Int { get }

    /// Judges an update from its metadata alone: accept with a staleness and weight, or refuse.
    func verdict(for candidate: UpdateCandidate) -> Verdict

    /// Adds `scale` · a · Δ to S, a to Z and one to k. `accepted` must come from `verdict` at the current
    /// version, and `delta` must have `parameterCount` finite values (the aggregator's checks refuse
    /// anything else before folding). `scale` is 1 unless a wrapper such as ``NormClipping`` shrinks Δ.
    @discardableResult
    func fold(delta: UnsafeBufferPointer<Float>, accepted: Acceptance, scale: Float) -> FoldRecord

    /// Whether the buffer is due to become a new version, given the time and the alive nodes.
    func isStepReady(_ context: StepContext) -> Bool

    /// Takes a step from a non-empty buffer: computes the mean delta S / Z in place, hands it to `body`
    /// as the step direction d (wrappers transform it first; `body` may overwrite it), then resets the
    /// buffer, advances the version and returns what was folded. `now` opens the next round's clock.
    func takeStep(at now: Double, direction body: (UnsafeMutableBufferPointer<Float>) -> Void) -> StepSummary

    /// The server optimizer's state as named flat arrays, for checkpoints (empty without an optimizer).
    func exportOptimizerState() -> OptimizerState

    /// Resets to a checkpointed state: the buffer emptied, the version set, the optimizer state imported
    /// (nil starts it afresh) and the round's clock opened at `now`. A state whose names or lengths do not
    /// match this strategy's optimizer is refused whole, leaving the strategy unchanged.
    func restore(version: UInt64, optimizerState: OptimizerState?, at now: Double) throws(AggregationStateError)

    /// The buffer since the last step (S copied), for persisting between steps.
    func exportBuffer() -> BufferState

    /// Replaces the buffer with a persisted one, at the current version (call after `restore`). A state
    /// of another model size or with contradictory counts is refused whole, leaving the strategy unchanged.
    func restoreBuffer(_ state: BufferState) throws(AggregationStateError)
}

extension AggregationStrategy {
    /// Folds Δ unscaled: S += a·Δ, Z += a, k += 1.
    @discardableResult
    public func fold(delta: UnsafeBufferPointer<Float>, accepted: Acceptance) -> FoldRecord {
        fold(delta: delta, accepted: accepted, scale: 1)
    }

    /// Takes a step on the global weights: w ← w + η·d, with d = S / Z through the server optimizer.
    @discardableResult
    public func takeStep(weights: UnsafeMutableBufferPointer<Float>, at now: Double) -> StepSummary {
        precondition(weights.count == parameterCount, "weights have \(weights.count) values, model \(parameterCount)")
        let eta = serverLearningRate
        return takeStep(at: now) { direction in
            BLAS.axpy(count: direction.count, alpha: eta, direction.baseAddress!, weights.baseAddress!)
        }
    }
}
