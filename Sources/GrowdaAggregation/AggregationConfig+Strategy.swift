extension AggregationConfig {
    /// Validates the configuration and builds its strategy for a model of `parameterCount` values at
    /// `version`: FedBuff or synchronous FedAvg (its first round opened at `now`, seconds on the
    /// caller's monotonic clock), wrapped in the server optimizer and then in norm clipping as configured.
    /// FedBuff gets the robust rule and the per-node cap ⌈max_share · K⌉.
    public func makeStrategy(
        parameterCount: Int, version: UInt64 = 0, openedAt now: Double
    ) throws(AggregationConfigError) -> any AggregationStrategy {
        try validate()
        let eta = Float(serverLearningRate)
        var strategy: any AggregationStrategy
        switch mode {
        case .async(let k, let sMax):
            strategy = FedBuffStrategy(
                parameterCount: parameterCount, bufferSize: k, maxStaleness: sMax, staleness: staleness,
                serverLearningRate: eta, version: version, robust: robust, maxPerNode: maxPerNode(bufferSize: k))
        case .sync(let quorum, let deadline):
            strategy = SyncFedAvgStrategy(
                parameterCount: parameterCount, quorum: quorum, deadlineSeconds: deadline,
                serverLearningRate: eta, version: version, openedAt: now)
        }
        switch serverOptimizer {
        case .none:
            break
        case .momentum(let beta):
            strategy = ServerMomentum(wrapping: strategy, beta: Float(beta))
        case .adam(let beta1, let beta2, let tau):
            strategy = ServerAdam(wrapping: strategy, beta1: Float(beta1), beta2: Float(beta2), tau: Float(tau))
        }
        if let clip = clipNorm {
            strategy = NormClipping(wrapping: strategy, maxNorm: Float(clip))
        } else if let adaptive = adaptiveClip {
            strategy = NormClipping(
                wrapping: strategy, bound: .adaptive(quantile: adaptive.quantile, window: adaptive.window))
        }
        return strategy
    }
}
