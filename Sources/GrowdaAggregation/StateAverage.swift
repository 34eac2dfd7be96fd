import GrowdaTensor

/// The second sum beside a strategy's buffer, for a model with running statistics (batch norm's running
/// mean and variance): R = Σ a·Δs over the same accepted updates, with the same weights a, as the
/// strategy's S = Σ a·Δ.
///
/// At each step the global state becomes s ← s + R / Z, Z = Σ a being the strategy's total weight: a
/// plain weighted mean of the hospitals' statistics. The server learning rate, a server optimizer and norm
/// clipping are for parameters and do not touch it (statistics are not a gradient direction). Like the
/// strategy's buffer it is persisted at each group commit, so a restart continues it exactly.
///
/// Not thread-safe: one owner calls it (the aggregator's processing thread), as it does the strategy.
public final class StateAverage {
    /// R, the weighted sum of the folded state deltas.
    private let sum: FloatBuffer

    /// An empty sum for a model of `stateCount` state values (at least one).
    public init(stateCount: Int) {
        precondition(stateCount > 0, "a model without state needs no state average")
        sum = FloatBuffer(count: stateCount)
    }

    /// The number of state values.
    public var count: Int { sum.count }

    /// R += a · Δs, with the weight a the strategy accepted the update with.
    public func fold(delta: UnsafeBufferPointer<Float>, weight: Double) {
        precondition(delta.count == sum.count, "state delta has \(delta.count) values, model \(sum.count)")
        precondition(weight > 0 && weight.isFinite, "weight \(weight) is not positive")
        BLAS.axpy(count: sum.count, alpha: Float(weight), delta.baseAddress!, sum.pointer)
    }

    /// The step: state += R / Z, where Z is the total weight of the strategy's step (its `StepSummary`);
    /// then R is emptied.
    public func step(state: UnsafeMutableBufferPointer<Float>, totalWeight: Double) {
        precondition(state.count == sum.count, "state has \(state.count) values, the sum \(sum.count)")
        precondition(totalWeight > 0 && totalWeight.isFinite, "total weight \(totalWeight) is not positive")
        BLAS.axpy(count: sum.count, alpha: Float(1 / totalWeight), sum.pointer, state.baseAddress!)
        sum.zero()
    }

    /// R, copied (for persisting between steps).
    public var values: [Float] { sum.array }

    /// Replaces R with persisted values of the same length; anything else is refused, leaving R unchanged.
    public func restore(_ values: [Float]) throws(AggregationStateError) {
        guard values.count == sum.count else {
            throw .wrongLength(name: "buffer.state_sum", expected: sum.count, actual: values.count)
        }
        sum.assign(values)
    }

    /// Empties R (with the strategy's buffer, when a checkpointed version is restored).
    public func clear() { sum.zero() }
}
