import GrowdaTensor

/// Norm clipping, wrapping any strategy: an update with ‖Δ‖₂ > C is folded as Δ · C / ‖Δ‖₂ (norm C),
/// with its weight a unchanged; smaller updates are folded as they are.
///
/// C is fixed (`clip_norm = C`) or adaptive (`clip_norm = adaptive:q:w`): the q-quantile (nearest rank,
/// the ⌈q·n⌉-th smallest) of the norms of the last w accepted updates, the update being judged not among
/// them. Norms enter the window as they arrive, before clipping, whoever sent them. Until the window
/// holds w norms nothing is clipped. The window spans steps: it is exported with the optimizer state
/// (`clip.recent_norms`, at each version) and with the buffer (at each group commit), so a restart
/// continues it bit for bit.
///
/// This softens outliers among acceptable updates; it is distinct from the hard norm bound that refuses
/// an update outright, which the aggregator checks before folding. Costs one extra pass (the norm) per
/// fold; the adaptive bound w Floats and a sort of them per fold.
public final class NormClipping: AggregationStrategyWrapper {
    /// The wrapped strategy.
    public let inner: any AggregationStrategy
    /// The bound.
    public let bound: Bound
    /// The adaptive bound's window, oldest first (empty for a fixed bound).
    public private(set) var recentNorms: [Float] = []

    /// A fixed or adaptive bound.
    public enum Bound: Sendable, Equatable {
        /// C > 0.
        case fixed(Float)
        /// The `quantile` q ∈ (0, 1] of the last `window` w ≥ 1 accepted norms.
        case adaptive(quantile: Double, window: Int)
    }

    /// The optimizer-state name of the adaptive window.
    public static let windowTensor = "clip.recent_norms"

    /// Wraps `inner`, clipping deltas to norm `maxNorm`.
    public convenience init(wrapping inner: any AggregationStrategy, maxNorm: Float) {
        precondition(maxNorm > 0 && maxNorm.isFinite, "clip norm must be positive and finite")
        self.init(wrapping: inner, bound: .fixed(maxNorm))
    }

    /// Wraps `inner` with `bound`.
    public init(wrapping inner: any AggregationStrategy, bound: Bound) {
        if case .adaptive(let q, let w) = bound {
            precondition(q > 0 && q <= 1 && w >= 1, "adaptive clip needs q in (0, 1] and a window of at least 1")
        }
        self.inner = inner
        self.bound = bound
    }

    /// C for the next update: the fixed bound, or the window's quantile (nil while the window is not full).
    public var maxNorm: Float? {
        switch bound {
        case .fixed(let c): return c
        case .adaptive(let q, let w):
            guard recentNorms.count >= w else { return nil }
            return Self.quantile(recentNorms, q)
        }
    }

    /// The ⌈q·n⌉-th smallest of `values` (a hair below the product is taken first, as for the quorum).
    static func quantile(_ values: [Float], _ q: Double) -> Float {
        let sorted = values.sorted()
        let rank = max(1, min(sorted.count, Int((q * Double(sorted.count) - 1e-9).rounded(.up))))
        return sorted[rank - 1]
    }

    /// Folds Δ scaled by min(1, C / ‖scale · Δ‖) on top of `scale`; the adaptive bound then adds the norm to
    /// its window.
    @discardableResult
    public func fold(delta: UnsafeBufferPointer<Float>, accepted: Acceptance, scale: Float) -> FoldRecord {
        precondition(delta.count == parameterCount, "delta has \(delta.count) values, model \(parameterCount)")
        let norm = scale * BLAS.norm2(count: delta.count, delta.baseAddress!)
        let limit = maxNorm
        let factor: Float = limit.map { norm > $0 ? $0 / norm : 1 } ?? 1
        if case .adaptive(_, let w) = bound {
            recentNorms.append(norm)
            if recentNorms.count > w { recentNorms.removeFirst(recentNorms.count - w) }
        }
        return inner.fold(delta: delta, accepted: accepted, scale: scale * factor)
    }

    /// The inner state, and the adaptive window as `clip.recent_norms` (when it holds any norm).
    public func exportOptimizerState() -> OptimizerState {
        var state = inner.exportOptimizerState()
        if case .adaptive = bound, !recentNorms.isEmpty { state.tensors[Self.windowTensor] = recentNorms }
        return state
    }

    /// Takes the adaptive window out of the state (absent: empty; a fixed bound ignores one) and restores the
    /// inner strategy with the rest.
    public func restore(
        version: UInt64, optimizerState: OptimizerState?, at now: Double
    ) throws(AggregationStateError) {
        let window = optimizerState?.tensors[Self.windowTensor]
        try inner.restore(
            version: version, optimizerState: optimizerState?.removing([Self.windowTensor]), at: now)
        if case .adaptive(_, let w) = bound { recentNorms = Array((window ?? []).suffix(w)) }
    }

    /// The inner buffer, with the adaptive window.
    public func exportBuffer() -> BufferState {
        var state = inner.exportBuffer()
        if case .adaptive = bound { state.recentNorms = recentNorms }
        return state
    }

    /// Restores the inner buffer; a state that records the window replaces it (it is newer than the version's).
    public func restoreBuffer(_ state: BufferState) throws(AggregationStateError) {
        try inner.restoreBuffer(state)
        if case .adaptive(_, let w) = bound, let window = state.recentNorms { recentNorms = Array(window.suffix(w)) }
    }
}
