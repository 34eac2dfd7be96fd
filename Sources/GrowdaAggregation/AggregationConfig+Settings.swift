/// The config-file keys aggregation reads, with the values each allows.
enum SettingKey: String, CaseIterable {
    case mode = "mode"
    case bufferSize = "fedbuff.k"
    case maxStaleness = "fedbuff.max_staleness"
    case robust = "fedbuff.robust"
    case maxShare = "fedbuff.max_share"
    case quorum = "sync.quorum"
    case deadline = "sync.deadline_seconds"
    case serverLearningRate = "server.lr"
    case staleness = "staleness"
    case serverOptimizer = "server.optimizer"
    case clipNorm = "clip_norm"

    /// What the key does, as `growda federation init` documents it.
    var meaning: String {
        switch self {
        case .mode:
            "How updates are combined: async is FedBuff (a new version every fedbuff.k accepted updates; "
                + "hospitals never wait for each other), sync is FedAvg in rounds (a new version once every alive "
                + "hospital has reported, or at the deadline once a quorum has)."
        case .bufferSize:
            "FedBuff (mode = async): a new version every K accepted updates. With fewer hospitals than K, each "
                + "version waits for repeat updates from the same hospitals: keep K at most their number."
        case .maxStaleness:
            "FedBuff: an update trained on a model more than this many versions behind the latest is refused "
                + "as stale."
        case .robust:
            "FedBuff: how a buffer's K updates become the step, coordinate by coordinate. none is the weighted "
                + "mean (the buffer keeps their sum: one copy of the model). trimmed_mean:b drops the floor(b*K) "
                + "smallest and largest values of each coordinate and averages the rest by weight (needs "
                + "floor(b*K) >= 1); median takes the weighted median (needs K >= 3). Both keep the K updates "
                + "themselves (K copies of the model) and outvote a few hostile hospitals: trimmed_mean "
                + "floor(b*K) updates per buffer, median fewer than half. Refused with mode = sync; they suit "
                + "dense codecs (wire.codec none, fp16, int8): with top-k most values of a coordinate are 0."
        case .maxShare:
            "FedBuff: the largest share of one buffer's K updates that one hospital may send, at most "
                + "ceil(share*K); its further updates wait, unacknowledged, until the next version (the node "
                + "resends them), so a fast or hostile hospital cannot fill a buffer. Needs at least "
                + "K / ceil(share*K) hospitals sending. none for no cap."
        case .quorum:
            "Rounds (mode = sync): the fraction of alive hospitals whose updates end a round at its deadline."
        case .deadline:
            "Rounds: how long a round waits for every alive hospital before it ends with a quorum."
        case .serverLearningRate:
            "The server learning rate: each version moves the model by this times the weighted mean update."
        case .staleness:
            "FedBuff's weight for an update s versions stale: polynomial:a weighs it (1 + s)^-a, constant "
                + "weighs every update 1, hinge:a:b weighs 1 up to s = b, then 1 / (a(s - b) + 1)."
        case .serverOptimizer:
            "What turns the weighted mean update into the step: none (FedAvg), momentum (FedAvgM) or adam "
                + "(FedAdam)."
        case .clipNorm:
            "Updates whose L2 norm is larger are scaled down to this norm before they are averaged; "
                + "adaptive:q:w makes the norm the q-quantile of the last w accepted updates' norms (no clipping "
                + "until w are known; w defaults to 16; the window survives restarts); none for no clipping."
        }
    }

    /// What the key accepts, as shown in errors.
    var allowed: String {
        switch self {
        case .mode: "async | sync"
        case .bufferSize: "an integer ≥ 1"
        case .maxStaleness: "an integer ≥ 0"
        case .robust: "none | trimmed_mean:b (b in (0, 0.5)) | median"
        case .maxShare: "none | a number in (0, 1]"
        case .quorum: "a number in (0, 1]"
        case .deadline: "a number of seconds > 0"
        case .serverLearningRate: "a number > 0"
        case .staleness: "polynomial[:a] (a ≥ 0, default 0.5) | constant | hinge:a:b (a ≥ 0, b ≥ 0)"
        case .serverOptimizer:
            "none | momentum[:beta] (beta in [0, 1), default 0.9) | "
                + "adam[:beta1:beta2:tau] (betas in [0, 1), tau > 0, default 0.9:0.99:0.001)"
        case .clipNorm: "none | a number > 0 | adaptive:q[:w] (q in (0, 1], w an integer ≥ 1, default 16)"
        }
    }
}

extension AggregationConfig {
    /// A key ``init(settings:)`` reads, documented.
    public struct SettingDescription: Sendable, Equatable {
        /// The key, e.g. `fedbuff.k`.
        public var key: String
        /// What it does.
        public var meaning: String
        /// What it accepts, as errors name it.
        public var allowed: String
        /// The value a configuration without the key takes, as ``settings`` writes it.
        public var defaultValue: String
    }

    /// Every key ``init(settings:)`` understands.
    public static var settingKeys: [String] { SettingKey.allCases.map(\.rawValue) }

    /// Every key ``init(settings:)`` understands, in the order a config file lists them, with what it
    /// means, what it allows and its default: that of `AggregationConfig()`, and for the synchronous mode's
    /// keys that of ``Mode/defaultSync``.
    public static var settingDescriptions: [SettingDescription] {
        let sync = AggregationConfig(mode: .defaultSync).settings
        let defaults = AggregationConfig().settings.merging(sync) { async, _ in async }
        return SettingKey.allCases.map { key in
            SettingDescription(
                key: key.rawValue, meaning: key.meaning, allowed: key.allowed, defaultValue: defaults[key.rawValue]!)
        }
    }

    /// Reads the aggregation section of a config file, given as `key = value` pairs already split:
    /// `mode = async|sync`, `fedbuff.k = 4`, `fedbuff.max_staleness = 8`, `sync.quorum = 0.75`,
    /// `sync.deadline_seconds = 120`, `server.lr = 1.0`, `staleness = polynomial:0.5|constant|hinge:10:4`,
    /// `server.optimizer = none|momentum:0.9|adam:0.9:0.99:1e-3`, `clip_norm = none|<C>|adaptive:q[:w]`,
    /// `fedbuff.robust = none|trimmed_mean:b|median`, `fedbuff.max_share = none|<share>`.
    ///
    /// Missing keys take their defaults. Keys of the mode not selected are checked too (so switching
    /// `mode` is a one-line change) but unused. Unknown keys, unparseable and out-of-range values are
    /// errors naming the key and what it allows.
    public init(settings: [String: String]) throws(AggregationConfigError) {
        var values: [SettingKey: String] = [:]
        for key in settings.keys.sorted() {
            guard let known = SettingKey(rawValue: key) else {
                throw .unknownKey(key: key, known: Self.settingKeys)
            }
            values[known] = Self.trimmed(settings[key]!)
        }
        var (k, sMax) = Mode.defaultAsync.asyncParameters
        var (quorum, deadline) = Mode.defaultSync.syncParameters
        if let text = values[.bufferSize] { k = try Self.integer(text, .bufferSize) }
        if let text = values[.maxStaleness] { sMax = try Self.integer(text, .maxStaleness) }
        if let text = values[.quorum] { quorum = try Self.number(text, .quorum) }
        if let text = values[.deadline] { deadline = try Self.number(text, .deadline) }
        let asyncMode = Mode.async(bufferSize: k, maxStaleness: sMax)
        let syncMode = Mode.sync(quorum: quorum, deadlineSeconds: deadline)
        let isSync: Bool
        switch values[.mode] {
        case nil, "async": isSync = false
        case "sync": isSync = true
        case let text?: throw Self.invalid(text, .mode)
        }
        self.init(mode: isSync ? syncMode : asyncMode)
        if let text = values[.serverLearningRate] { serverLearningRate = try Self.number(text, .serverLearningRate) }
        if let text = values[.staleness] { staleness = try Self.stalenessFunction(text) }
        if let text = values[.serverOptimizer] { serverOptimizer = try Self.optimizer(text) }
        if let text = values[.clipNorm] {
            if text.hasPrefix("adaptive") {
                adaptiveClip = try Self.adaptive(text)
            } else {
                clipNorm = text == "none" ? nil : try Self.number(text, .clipNorm)
            }
        }
        if let text = values[.robust] { robust = try Self.robustRule(text) }
        if let text = values[.maxShare] { maxShare = text == "none" ? nil : try Self.number(text, .maxShare) }
        try validate()
        var other = self
        other.mode = isSync ? asyncMode : syncMode
        if !isSync { other.robust = .none }  // robust is refused in sync mode, which this one is not
        try other.validate()
    }

    /// The configuration as `key = value` pairs that ``init(settings:)`` reads back to an equal value
    /// (only the selected mode's keys).
    public var settings: [String: String] {
        var out: [SettingKey: String] = [:]
        switch mode {
        case .async(let k, let sMax):
            out[.mode] = "async"
            out[.bufferSize] = String(k)
            out[.maxStaleness] = String(sMax)
            out[.robust] = Self.render(robust)
            out[.maxShare] = maxShare.map(Self.render) ?? "none"
        case .sync(let quorum, let deadline):
            out[.mode] = "sync"
            out[.quorum] = Self.render(quorum)
            out[.deadline] = Self.render(deadline)
        }
        out[.serverLearningRate] = Self.render(serverLearningRate)
        out[.staleness] = Self.render(staleness)
        out[.serverOptimizer] = Self.render(serverOptimizer)
        out[.clipNorm] = adaptiveClip.map(Self.render) ?? clipNorm.map(Self.render) ?? "none"
        return Dictionary(uniqueKeysWithValues: out.map { ($0.key.rawValue, $0.value) })
    }

    // MARK: Rendering

    /// A number as the settings write it: integral values without a fraction, others in Swift's
    /// shortest round-tripping form.
    static func render(_ x: Double) -> String {
        if x.isFinite && x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
        return String(x)
    }

    /// A staleness function as the settings write it.
    static func render(_ f: StalenessFunction) -> String {
        switch f {
        case .polynomial(let a): "polynomial:\(render(a))"
        case .constant: "constant"
        case .hinge(let a, let b): "hinge:\(render(a)):\(render(b))"
        }
    }

    /// A server optimizer as the settings write it.
    static func render(_ optimizer: ServerOptimizer) -> String {
        switch optimizer {
        case .none: "none"
        case .momentum(let beta): "momentum:\(render(beta))"
        case .adam(let b1, let b2, let tau): "adam:\(render(b1)):\(render(b2)):\(render(tau))"
        }
    }

    /// A robust rule as the settings write it.
    static func render(_ rule: RobustRule) -> String {
        switch rule {
        case .none: "none"
        case .trimmedMean(let beta): "trimmed_mean:\(render(beta))"
        case .median: "median"
        }
    }

    /// An adaptive bound as the settings write it.
    static func render(_ adaptive: AdaptiveClip) -> String {
        "adaptive:\(render(adaptive.quantile)):\(adaptive.window)"
    }

    // MARK: Parsing

    private static func trimmed(_ text: String) -> String {
        String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    private static func invalid(_ text: String, _ key: SettingKey) -> AggregationConfigError {
        .invalidValue(key: key.rawValue, value: text, allowed: key.allowed)
    }

    private static func integer(_ text: String, _ key: SettingKey) throws(AggregationConfigError) -> Int {
        guard let value = Int(text) else { throw invalid(text, key) }
        return value
    }

    private static func number(_ text: String, _ key: SettingKey) throws(AggregationConfigError) -> Double {
        guard let value = Double(text), value.isFinite else { throw invalid(text, key) }
        return value
    }

    /// The numeric fields after a `name:` prefix, which must number one of `counts`.
    private static func fields(
        _ parts: [Substring], _ text: String, _ key: SettingKey, counts: Set<Int>
    ) throws(AggregationConfigError) -> [Double] {
        let numbers = parts.dropFirst().compactMap { Double($0) }.filter(\.isFinite)
        guard numbers.count == parts.count - 1, counts.contains(numbers.count) else { throw invalid(text, key) }
        return numbers
    }

    private static func stalenessFunction(_ text: String) throws(AggregationConfigError) -> StalenessFunction {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        switch parts[0] {
        case "polynomial":
            let x = try fields(parts, text, .staleness, counts: [0, 1])
            return x.isEmpty ? .default : .polynomial(exponent: x[0])
        case "constant":
            _ = try fields(parts, text, .staleness, counts: [0])
            return .constant
        case "hinge":
            let x = try fields(parts, text, .staleness, counts: [2])
            return .hinge(slope: x[0], threshold: x[1])
        default:
            throw invalid(text, .staleness)
        }
    }

    private static func robustRule(_ text: String) throws(AggregationConfigError) -> RobustRule {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        switch parts[0] {
        case "none":
            _ = try fields(parts, text, .robust, counts: [0])
            return .none
        case "median":
            _ = try fields(parts, text, .robust, counts: [0])
            return .median
        case "trimmed_mean":
            return .trimmedMean(beta: try fields(parts, text, .robust, counts: [1])[0])
        default:
            throw invalid(text, .robust)
        }
    }

    private static func adaptive(_ text: String) throws(AggregationConfigError) -> AdaptiveClip {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts[0] == "adaptive" else { throw invalid(text, .clipNorm) }
        let x = try fields(parts, text, .clipNorm, counts: [1, 2])
        guard x.count == 1 || (x[1] == x[1].rounded() && x[1] >= 1 && x[1] < 1e6) else {
            throw invalid(text, .clipNorm)
        }
        return AdaptiveClip(quantile: x[0], window: x.count == 2 ? Int(x[1]) : AdaptiveClip.defaultWindow)
    }

    private static func optimizer(_ text: String) throws(AggregationConfigError) -> ServerOptimizer {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        switch parts[0] {
        case "none":
            _ = try fields(parts, text, .serverOptimizer, counts: [0])
            return .none
        case "momentum":
            let x = try fields(parts, text, .serverOptimizer, counts: [0, 1])
            return x.isEmpty ? .defaultMomentum : .momentum(beta: x[0])
        case "adam":
            let x = try fields(parts, text, .serverOptimizer, counts: [0, 3])
            return x.isEmpty ? .defaultAdam : .adam(beta1: x[0], beta2: x[1], tau: x[2])
        default:
            throw invalid(text, .serverOptimizer)
        }
    }
}
