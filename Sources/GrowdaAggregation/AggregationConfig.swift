/// How the aggregator combines updates: the mode (FedBuff or synchronous FedAvg), the server learning
/// rate, the staleness discount, an optional server optimizer and optional norm clipping.
///
/// The defaults suit federations of 4 to 20 hospitals: FedBuff with K = 4, s_max = 8, η = 1,
/// f(s) = 1/√(1 + s), no server optimizer, no clipping. ``init(settings:)`` reads the `key = value`
/// pairs of a config file; ``validate()`` checks ranges; ``makeStrategy(parameterCount:version:openedAt:)``
/// builds the strategy.
public struct AggregationConfig: Codable, Sendable, Equatable {
    /// Asynchronous (FedBuff) or synchronous (FedAvg) aggregation.
    public enum Mode: Codable, Sendable, Equatable {
        /// FedBuff: a step every `bufferSize` (K) accepted updates; staleness above `maxStaleness`
        /// (s_max) refused.
        case async(bufferSize: Int, maxStaleness: Int)
        /// FedAvg: one version per round; a round ends when every alive node reported, or after
        /// `deadlineSeconds` once a fraction `quorum` of the nodes has.
        case sync(quorum: Double, deadlineSeconds: Double)

        /// K = 4, s_max = 8.
        public static let defaultAsync = Mode.async(bufferSize: 4, maxStaleness: 8)
        /// q = 0.75, deadline 120 s.
        public static let defaultSync = Mode.sync(quorum: 0.75, deadlineSeconds: 120)

        /// The async parameters, defaults where this is the sync mode.
        var asyncParameters: (bufferSize: Int, maxStaleness: Int) {
            if case .async(let k, let sMax) = self { return (k, sMax) }
            return Mode.defaultAsync.asyncParameters
        }

        /// The sync parameters, defaults where this is the async mode.
        var syncParameters: (quorum: Double, deadlineSeconds: Double) {
            if case .sync(let quorum, let deadline) = self { return (quorum, deadline) }
            return Mode.defaultSync.syncParameters
        }
    }

    /// What turns the mean delta g = S / Z into the step direction d (the step is w ← w + η·d).
    public enum ServerOptimizer: Codable, Sendable, Equatable {
        /// d = g: plain FedBuff / FedAvg.
        case none
        /// FedAvgM: m ← β·m + g, d = m (see ``ServerMomentum``).
        case momentum(beta: Double)
        /// FedAdam without bias correction: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², d = m / (√v + τ)
        /// (see ``ServerAdam``).
        case adam(beta1: Double, beta2: Double, tau: Double)

        /// β = 0.9.
        public static let defaultMomentum = ServerOptimizer.momentum(beta: 0.9)
        /// β₁ = 0.9, β₂ = 0.99, τ = 1e-3 (Reddi et al.'s defaults).
        public static let defaultAdam = ServerOptimizer.adam(beta1: 0.9, beta2: 0.99, tau: 1e-3)
    }

    /// FedBuff or synchronous FedAvg, with their parameters.
    public var mode: Mode
    /// η > 0.
    public var serverLearningRate: Double

    /// The default `server.lr`: 0.5. Chosen on PneumoniaMNIST (4 hospitals, Dirichlet 0.5, async, 30
    /// minutes, with nodes' default weight decay 0.05): it held validation AUC within 0.004 of its best to
    /// the end (0.9958 best, 0.9916 at v589), where 1.0 without weight decay fell from 0.9961 to 0.9771 by
    /// v496 as the model grew overconfident (evaluation loss 0.41).
    public static let defaultServerLearningRate = 0.5
    /// f(s), used by FedBuff (in sync mode s = 0 and f(0) = 1).
    public var staleness: StalenessFunction
    /// The server optimizer.
    public var serverOptimizer: ServerOptimizer
    /// C: deltas with ‖Δ‖ > C are scaled to norm C before folding; nil for no fixed clipping.
    public var clipNorm: Double?
    /// The adaptive norm bound (`clip_norm = adaptive:q:w`), instead of a fixed C; nil for none.
    public var adaptiveClip: AdaptiveClip?
    /// FedBuff: how a buffer's K updates become the step direction (`fedbuff.robust`).
    public var robust: RobustRule
    /// FedBuff: the largest share of one buffer a node may hold (`fedbuff.max_share`): at most
    /// ⌈share · K⌉ of its K updates; nil for no cap.
    public var maxShare: Double?

    /// C is the `quantile` q of the norms of the last `window` accepted updates (see ``NormClipping``).
    public struct AdaptiveClip: Codable, Sendable, Equatable {
        /// q ∈ (0, 1].
        public var quantile: Double
        /// w ≥ 1.
        public var window: Int

        /// The window when `clip_norm = adaptive:q` names none.
        public static let defaultWindow = 16

        /// Makes a bound.
        public init(quantile: Double, window: Int = defaultWindow) {
            self.quantile = quantile
            self.window = window
        }
    }

    /// A configuration; every argument defaults to the value for 4 to 20 hospitals.
    public init(
        mode: Mode = .defaultAsync, serverLearningRate: Double = defaultServerLearningRate,
        staleness: StalenessFunction = .default,
        serverOptimizer: ServerOptimizer = .none, clipNorm: Double? = nil, adaptiveClip: AdaptiveClip? = nil,
        robust: RobustRule = .none, maxShare: Double? = nil
    ) {
        self.mode = mode
        self.serverLearningRate = serverLearningRate
        self.staleness = staleness
        self.serverOptimizer = serverOptimizer
        self.clipNorm = clipNorm
        self.adaptiveClip = adaptiveClip
        self.robust = robust
        self.maxShare = maxShare
    }

    /// The most updates one node may have in a buffer of K: ⌈share · K⌉ (a hair below the product first,
    /// so 0.3 of 10 is 3), nil without `fedbuff.max_share`.
    public func maxPerNode(bufferSize k: Int) -> Int? {
        maxShare.map { max(1, Int(($0 * Double(k) - 1e-9).rounded(.up))) }
    }

    /// The defaults with K = min(4, nodeCount), so a federation of fewer than four nodes is not held up
    /// waiting for repeat updates from the same nodes.
    public static func recommended(nodeCount: Int) -> AggregationConfig {
        AggregationConfig(mode: .async(bufferSize: min(4, max(1, nodeCount)), maxStaleness: 8))
    }

    /// Checks every value's range; the error names the config key, the value and what is allowed.
    public func validate() throws(AggregationConfigError) {
        switch robust {
        case .none, .median: break
        case .trimmedMean(let beta):
            try Self.require(beta > 0 && beta < 0.5 && beta.isFinite, .robust, Self.render(robust))
        }
        if let share = maxShare { try Self.require(share > 0 && share <= 1, .maxShare, Self.render(share)) }
        switch mode {
        case .async(let k, let sMax):
            try Self.require(k >= 1, .bufferSize, String(k))
            try Self.require(sMax >= 0, .maxStaleness, String(sMax))
            if !robust.works(bufferSize: k), let smallest = robust.smallestBufferSize {
                throw .bufferTooSmall(
                    key: SettingKey.robust.rawValue, value: Self.render(robust), bufferSize: k, smallest: smallest,
                    rule: robust.requirement)
            }
        case .sync where robust != .none:
            throw .outOfRange(
                key: SettingKey.robust.rawValue, value: Self.render(robust),
                allowed: "none with mode = sync (a robust rule works on FedBuff's buffer of fedbuff.k updates)")
        case .sync(let quorum, let deadline):
            try Self.require(quorum > 0 && quorum <= 1, .quorum, Self.render(quorum))
            try Self.require(Self.isPositiveFloat(deadline), .deadline, Self.render(deadline))
        }
        try Self.require(
            Self.isPositiveFloat(serverLearningRate), .serverLearningRate, Self.render(serverLearningRate))
        let stalenessText = Self.render(staleness)
        switch staleness {
        case .polynomial(let a):
            try Self.require(a >= 0 && a.isFinite, .staleness, stalenessText)
        case .constant:
            break
        case .hinge(let a, let b):
            try Self.require(a >= 0 && a.isFinite && b >= 0 && b.isFinite, .staleness, stalenessText)
        }
        let optimizerText = Self.render(serverOptimizer)
        switch serverOptimizer {
        case .none:
            break
        case .momentum(let beta):
            try Self.require(beta >= 0 && beta < 1, .serverOptimizer, optimizerText)
        case .adam(let beta1, let beta2, let tau):
            let ok = beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && Self.isPositiveFloat(tau)
            try Self.require(ok, .serverOptimizer, optimizerText)
        }
        if let clip = clipNorm {
            try Self.require(Self.isPositiveFloat(clip), .clipNorm, Self.render(clip))
        }
        if let adaptive = adaptiveClip {
            let ok = adaptive.quantile > 0 && adaptive.quantile <= 1 && adaptive.window >= 1 && clipNorm == nil
            try Self.require(ok, .clipNorm, Self.render(adaptive))
        }
    }

    private static func require(_ ok: Bool, _ key: SettingKey, _ value: String) throws(AggregationConfigError) {
        if !ok { throw .outOfRange(key: key.rawValue, value: value, allowed: key.allowed) }
    }

    /// Positive, finite, and still positive and finite as a Float.
    private static func isPositiveFloat(_ x: Double) -> Bool {
        let f = Float(x)
        return x > 0 && x.isFinite && f > 0 && f.isFinite
    }
}

/// Why a configuration is unusable; each case names the config key and what it allows.
public enum AggregationConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A key that aggregation does not know.
    case unknownKey(key: String, known: [String])
    /// A value that does not parse as the key requires.
    case invalidValue(key: String, value: String, allowed: String)
    /// A value that parses but is outside its range.
    case outOfRange(key: String, value: String, allowed: String)
    /// A robust rule (`key` = `value`) that cannot work on a buffer of `bufferSize` updates: `smallest` is
    /// the least `fedbuff.k` that works, `rule` what the rule needs.
    case bufferTooSmall(key: String, value: String, bufferSize: Int, smallest: Int, rule: String)

    /// The config key the error is about.
    public var key: String {
        switch self {
        case .unknownKey(let key, _), .invalidValue(let key, _, _), .outOfRange(let key, _, _),
            .bufferTooSmall(let key, _, _, _, _):
            key
        }
    }

    /// A one-line explanation naming the key and the allowed values.
    public var description: String {
        switch self {
        case .unknownKey(let key, let known):
            "unknown aggregation setting '\(key)'; known: \(known.joined(separator: ", "))"
        case .invalidValue(let key, let value, let allowed):
            "\(key) = \(value) is not valid; allowed: \(allowed)"
        case .outOfRange(let key, let value, let allowed):
            "\(key) = \(value) is out of range; allowed: \(allowed)"
        case .bufferTooSmall(let key, let value, let k, let smallest, let rule):
            "\(key) = \(value) cannot work with fedbuff.k = \(k): it needs \(rule); the smallest fedbuff.k that "
                + "works is \(smallest) (or set \(key) = none)"
        }
    }
}
