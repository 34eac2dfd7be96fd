import GrowdaTensor

/// Server Adam as in FedAdam (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2),
/// wrapping any strategy.
///
/// With g = S / Z the inner strategy's mean delta, elementwise:
///
///     m ← β₁·m + (1 − β₁)·g
///     v ← β₂·v + (1 − β₂)·g²
///     d = m / (√v + τ)          and the step is w ← w + η·d
///
/// As in the paper there is no bias correction, m starts at 0 and v at τ² (the paper's v₋₁ ≥ τ²).
/// Without bias correction the first steps move each weight by about η·(1 − β₁)/√(1 − β₂) times
/// sign(g), so η should be of the order of the per-weight change wanted (say 1e-3 to 1e-2), not 1.
/// Two model-sized vectors of state, exported as `server.adam.m` and `server.adam.v`.
public final class ServerAdam: AggregationStrategyWrapper {
    /// The first moment's array name.
    public static let firstMomentName = "server.adam.m"
    /// The second moment's array name.
    public static let secondMomentName = "server.adam.v"

    /// The wrapped strategy.
    public let inner: any AggregationStrategy
    /// β₁, in [0, 1).
    public let beta1: Float
    /// β₂, in [0, 1).
    public let beta2: Float
    /// τ > 0, the adaptivity floor.
    public let tau: Float
    private let m: FloatBuffer
    private let v: FloatBuffer

    /// Wraps `inner` with FedAdam's β₁, β₂ and τ.
    public init(wrapping inner: any AggregationStrategy, beta1: Float, beta2: Float, tau: Float) {
        precondition(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "Adam β₁, β₂ must be in [0, 1)")
        precondition(tau > 0, "Adam τ must be positive")
        self.inner = inner
        self.beta1 = beta1
        self.beta2 = beta2
        self.tau = tau
        m = FloatBuffer(count: inner.parameterCount)
        v = FloatBuffer(count: inner.parameterCount)
        resetMoments()
    }

    private func resetMoments() {
        m.zero()
        v.pointer.update(repeating: tau * tau, count: v.count)
    }

    /// Updates m and v from g and hands d = m / (√v + τ) to `body` (in g's storage, one pass).
    public func takeStep(at now: Double, direction body: (UnsafeMutableBufferPointer<Float>) -> Void) -> StepSummary {
        inner.takeStep(at: now) { g in
            let m = self.m.pointer, v = self.v.pointer
            let b1 = self.beta1, b2 = self.beta2, c1 = 1 - self.beta1, c2 = 1 - self.beta2, tau = self.tau
            for i in 0..<g.count {
                let gi = g[i]
                let mi = b1 * m[i] + c1 * gi
                let vi = b2 * v[i] + c2 * (gi * gi)
                m[i] = mi
                v[i] = vi
                g[i] = mi / (vi.squareRoot() + tau)
            }
            body(g)
        }
    }

    /// The inner state plus `server.adam.m` and `server.adam.v`.
    public func exportOptimizerState() -> OptimizerState {
        var state = inner.exportOptimizerState()
        state.tensors[Self.firstMomentName] = m.array
        state.tensors[Self.secondMomentName] = v.array
        return state
    }

    /// Imports m and v (m = 0, v = τ² when `optimizerState` is nil) and restores the inner strategy
    /// with the rest.
    public func restore(
        version: UInt64, optimizerState: OptimizerState?, at now: Double
    ) throws(AggregationStateError) {
        guard let state = optimizerState else {
            try inner.restore(version: version, optimizerState: nil, at: now)
            resetMoments()
            return
        }
        let first = try state.require(Self.firstMomentName, count: parameterCount)
        let second = try state.require(Self.secondMomentName, count: parameterCount)
        let rest = state.removing([Self.firstMomentName, Self.secondMomentName])
        try inner.restore(version: version, optimizerState: rest, at: now)
        m.assign(first)
        v.assign(second)
    }
}
