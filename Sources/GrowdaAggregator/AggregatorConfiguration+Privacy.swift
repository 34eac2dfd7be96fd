import GrowdaAggregation
import GrowdaNN
import GrowdaProvisioning

extension AggregatorConfiguration.Key {
    /// DP-SGD's per-sample clip norm C.
    public static let privacyDPClip = "privacy.dp_clip"
    /// DP-SGD's noise multiplier σ.
    public static let privacyDPNoise = "privacy.dp_noise"
    /// DP-SGD's Poisson sampling rate q, the same at every hospital.
    public static let privacyDPSamplingRate = "privacy.dp_sampling_rate"
    /// The update-level clip norm S.
    public static let privacyUpdateClip = "privacy.update_clip"
    /// The update-level noise multiplier z.
    public static let privacyUpdateNoise = "privacy.update_noise"
    /// δ of every ε.
    public static let privacyDelta = "privacy.delta"
    /// The budget past which a hospital stops training.
    public static let privacyMaxEpsilon = "privacy.max_epsilon"
    /// The smallest fedbuff.k the aggregator runs with.
    public static let privacyMinK = "privacy.min_k"
}

extension AggregatorConfiguration.Default {
    /// Three: with K = 2, a hospital that knows its own update and sees the sum learns the other one.
    public static let privacyMinK = 3
}

extension AggregatorConfiguration {
    /// The `privacy.*` keys, documented (gathered into ``knownKeys``).
    static var privacyKeys: [FederationConfig.KnownKey] {
        typealias Known = FederationConfig.KnownKey
        return [
            Known(
                Key.privacyDPClip, section: .privacy,
                meaning: "Record-level differential privacy (DP-SGD) at every hospital: each image's gradient is "
                    + "clipped to this L2 norm before the batch's gradients are summed and noised. Sent to the nodes "
                    + "with every model version. Needs \(Key.privacyDPNoise).",
                allowed: "a number > 0", default: nil, example: "1.0"),
            Known(
                Key.privacyDPNoise, section: .privacy,
                meaning: "DP-SGD's noise multiplier σ: Gaussian noise of standard deviation σ × dp_clip is added to "
                    + "each batch's summed gradient. Larger is more private and less accurate; the ε a hospital "
                    + "spends follows from σ, its batch sampling rate and its steps. Needs \(Key.privacyDPClip).",
                allowed: "a number ≥ 0", default: nil, example: "1.1"),
            Known(
                Key.privacyDPSamplingRate, section: .privacy,
                meaning: "DP-SGD's sampling rate q at every hospital: each image joins each step with this "
                    + "probability, so a hospital of n images takes steps of about q × n (its --batch is not used) and "
                    + "round(1 / q) steps per epoch. Every hospital then spends ε at the same rate per epoch, and small "
                    + "hospitals do not run out of budget long before large ones. Unset: q = batch / n at each "
                    + "hospital.",
                allowed: "a number in (0, 1]", default: nil, example: "0.05"),
            Known(
                Key.privacyUpdateClip, section: .privacy,
                meaning: "Update-level protection, a second optional layer: each hospital scales its whole update "
                    + "down to this L2 norm before sealing it.",
                allowed: "a number > 0", default: nil, example: "5"),
            Known(
                Key.privacyUpdateNoise, section: .privacy,
                meaning: "Update-level noise multiplier z: Gaussian noise of standard deviation z × update_clip is "
                    + "added to every coordinate of the clipped update. Needs \(Key.privacyUpdateClip).",
                allowed: "a number ≥ 0", default: nil, example: "0.5"),
            Known(
                Key.privacyDelta, section: .privacy,
                meaning: "δ of every ε reported (each hospital's ledger, growda status, the dashboard). Keep it "
                    + "below 1 / (images at the largest hospital).",
                allowed: "a number in (0, 0.01]", default: plain(PrivacyPolicy.defaultDelta)),
            Known(
                Key.privacyMaxEpsilon, section: .privacy,
                meaning: "A hospital whose next update would take its ε past this budget trains no more and says "
                    + "so in its log and status. No limit when unset.",
                allowed: "a number > 0", default: nil, example: "8"),
            Known(
                Key.privacyMinK, section: .privacy,
                meaning: "The aggregator refuses fedbuff.k below this: with a buffer of K updates, a hospital that "
                    + "compares two consecutive versions sees the sum of K updates, and with K = 2 it knows its own "
                    + "and so learns the other's. Lower it only for a test federation.",
                allowed: "an integer ≥ 1", default: String(Default.privacyMinK)),
        ]
    }

    /// The privacy policy the file sets (nil when it sets no mechanism and no budget: `privacy.delta` alone
    /// makes none) and the minimum
    /// buffer; a half-given mechanism, a bad number or a buffer below the minimum is noted.
    static func readPrivacy(
        _ reader: inout SettingsReader, config: FederationConfig, aggregation: AggregationConfig
    ) -> (PrivacyPolicy?, Int) {
        func optional(_ key: String, _ isAllowed: @escaping (Double) -> Bool) -> Double? {
            guard config[key] != nil else { return nil }
            let value = reader.number(key, Double.nan) { isAllowed($0) && $0.isFinite }
            return value.isNaN ? nil : value
        }
        let dpClip = optional(Key.privacyDPClip) { $0 > 0 }
        let dpNoise = optional(Key.privacyDPNoise) { $0 >= 0 }
        let dpRate = optional(Key.privacyDPSamplingRate) { $0 > 0 && $0 <= 1 }
        if config[Key.privacyDPSamplingRate] != nil, config[Key.privacyDPClip] == nil {
            reader.fail(Key.privacyDPSamplingRate, "needs \(Key.privacyDPClip) and \(Key.privacyDPNoise): it is DP-SGD's")
        }
        let updateClip = optional(Key.privacyUpdateClip) { $0 > 0 }
        let updateNoise = optional(Key.privacyUpdateNoise) { $0 >= 0 }
        let delta = reader.number(Key.privacyDelta, PrivacyPolicy.defaultDelta) { $0 > 0 && $0 <= 0.01 }
        let maxEpsilon = optional(Key.privacyMaxEpsilon) { $0 > 0 }
        let minK = reader.number(Key.privacyMinK, Default.privacyMinK) { $0 >= 1 }
        if config[Key.privacyDPClip] != nil, config[Key.privacyDPNoise] == nil {
            reader.fail(Key.privacyDPClip, "needs \(Key.privacyDPNoise) too: DP-SGD clips and adds noise")
        }
        if config[Key.privacyDPNoise] != nil, config[Key.privacyDPClip] == nil {
            reader.fail(Key.privacyDPNoise, "needs \(Key.privacyDPClip) too: the noise is in units of the clip norm")
        }
        if config[Key.privacyUpdateNoise] != nil, config[Key.privacyUpdateClip] == nil {
            reader.fail(
                Key.privacyUpdateNoise, "needs \(Key.privacyUpdateClip) too: the noise is in units of the clip norm")
        }
        if case .async(let k, _) = aggregation.mode, k < minK {
            reader.fail(
                "fedbuff.k",
                "= \(k) is below \(Key.privacyMinK) = \(minK): each version then sums fewer than \(minK) updates, and a "
                    + "hospital comparing two consecutive versions can isolate another hospital's update (with K = 2 "
                    + "it subtracts its own). Raise fedbuff.k to \(minK) or more, or set \(Key.privacyMinK) = \(k) "
                    + "to accept that risk (a test federation)")
        }
        var policy = PrivacyPolicy(delta: delta, maxEpsilon: maxEpsilon)
        if let dpClip, let dpNoise {
            policy.dpSGD = DPSGD(clipNorm: Float(dpClip), noiseMultiplier: Float(dpNoise), samplingRate: dpRate)
        }
        if let updateClip {
            policy.update = UpdatePrivacy(clipNorm: Float(updateClip), noiseMultiplier: Float(updateNoise ?? 0))
        }
        if maxEpsilon != nil, !policy.addsNoise {
            reader.fail(
                Key.privacyMaxEpsilon,
                "needs noise to count against: set \(Key.privacyDPClip) and \(Key.privacyDPNoise) (or "
                    + "\(Key.privacyUpdateClip) and \(Key.privacyUpdateNoise)); without noise ε is unbounded and "
                    + "every hospital would refuse to train")
        }
        // δ alone is no policy: it only says how to report an ε that some mechanism makes finite.
        let any = policy.dpSGD != nil || policy.update != nil || maxEpsilon != nil
        return (any ? policy : nil, minK)
    }
}
