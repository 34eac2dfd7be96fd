import GrowdaTensor

/// Server momentum (FedAvgM, Hsu et al. 2019), wrapping any strategy.
///
/// With g = S / Z the inner strategy's mean delta: m ← β·m + g, d = m, so the step is w ← w + η·m.
/// m starts at zero. One model-sized vector of state, exported as `server.momentum`.
public final class ServerMomentum: AggregationStrategyWrapper {
    /// The state's array name.
    public static let momentumName = "server.momentum"

    /// The wrapped strategy.
    public let inner: any AggregationStrategy
    /// β, in [0, 1).
    public let beta: Float
    private let momentum: FloatBuffer

    /// Wraps `inner` with momentum β.
    public init(wrapping inner: any AggregationStrategy, beta: Float) {
        precondition(beta >= 0 && beta < 1, "momentum β must be in [0, 1)")
        self.inner = inner
        self.beta = beta
        momentum = FloatBuffer(count: inner.parameterCount)
    }

    /// m ← β·m + g, then hands d = m to `body` (in g's storage, one pass over both vectors).
    public func takeStep(at now: Double, direction body: (UnsafeMutableBufferPointer<Float>) -> Void) -> StepSummary {
        inner.takeStep(at: now) { g in
            let m = self.momentum.pointer, beta = self.beta
            for i in 0..<g.count {
                let mi = beta * m[i] + g[i]
                m[i] = mi
                g[i] = mi
            }
            body(g)
        }
    }

    /// The inner state plus `server.momentum`.
    public func exportOptimizerState() -> OptimizerState {
        var state = inner.exportOptimizerState()
        state.tensors[Self.momentumName] = momentum.array
        return state
    }

    /// Imports `server.momentum` (zero when `optimizerState` is nil) and restores the inner strategy with
    /// the rest.
    public func restore(
        version: UInt64, optimizerState: OptimizerState?, at now: Double
    ) throws(AggregationStateError) {
        guard let state = optimizerState else {
            try inner.restore(version: version, optimizerState: nil, at: now)
            momentum.zero()
            return
        }
        let m = try state.require(Self.momentumName, count: parameterCount)
        try inner.restore(version: version, optimizerState: state.removing([Self.momentumName]), at: now)
        momentum.assign(m)
    }
}
