import GrowdaTensor

/// Norm clipping, wrapping any strategy: an update with ‖Δ‖₂ > C is folded as Δ · C / ‖Δ‖₂ (norm C),
/// with its weight a unchanged; smaller updates are folded as they are.
///
/// This softens outliers among acceptable updates; it is distinct from the hard norm bound that refuses
/// an update outright, which the aggregator checks before folding. Costs one extra pass (the norm) per
/// fold and no memory.
public final class NormClipping: AggregationStrategyWrapper {
    /// The wrapped strategy.
    public let inner: any AggregationStrategy
    /// C > 0.
    public let maxNorm: Float

    /// Wraps `inner`, clipping deltas to norm `maxNorm`.
    public init(wrapping inner: any AggregationStrategy, maxNorm: Float) {
        precondition(maxNorm > 0 && maxNorm.isFinite, "clip norm must be positive and finite")
        self.inner = inner
        self.maxNorm = maxNorm
    }

    /// Folds Δ scaled by min(1, C / ‖scale · Δ‖) on top of `scale`.
    @discardableResult
    public func fold(delta: UnsafeBufferPointer<Float>, accepted: Acceptance, scale: Float) -> FoldRecord {
        precondition(delta.count == parameterCount, "delta has \(delta.count) values, model \(parameterCount)")
        let norm = scale * BLAS.norm2(count: delta.count, delta.baseAddress!)
        let factor: Float = norm > maxNorm ? maxNorm / norm : 1
        return inner.fold(delta: delta, accepted: accepted, scale: scale * factor)
    }
}
