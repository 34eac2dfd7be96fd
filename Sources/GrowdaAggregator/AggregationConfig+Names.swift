import GrowdaAggregation
import GrowdaWire

extension Duration {
    /// The duration in seconds.
    var secondsValue: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension AggregationConfig {
    /// "async" or "sync".
    var modeName: String {
        if case .sync = mode { return "sync" }
        return "async"
    }

    /// The mode as snapshot replies announce it.
    var federationMode: FederationMode {
        if case .sync = mode { return .sync }
        return .async
    }

    /// s_max in FedBuff; 0 in synchronous rounds.
    var maxStaleness: Int {
        if case .async(_, let sMax) = mode { return sMax }
        return 0
    }

    /// K in FedBuff; in synchronous rounds, 0 (the round waits for the alive nodes).
    var bufferTarget: Int {
        if case .async(let k, _) = mode { return k }
        return 0
    }

    /// `fedbuff.robust` as the settings write it.
    var robustName: String { settings["fedbuff.robust"] ?? "none" }
}
