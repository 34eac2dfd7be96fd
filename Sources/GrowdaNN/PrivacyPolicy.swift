import Foundation

/// A federation's privacy policy: what every hospital's training must do, as federation.conf's
/// `privacy.*` keys say and as the aggregator sends it with every model version, so a federation runs
/// one policy (a node trains each round under the policy of the version it starts from).
///
/// On the wire it is one JSON object (``wireText``) with the keys `dp_clip` and `dp_noise` (DP-SGD's
/// C and σ; both or neither), `dp_sampling_rate` (DP-SGD's Poisson rate q at every hospital; absent: batch
/// size / data size), `update_clip` and `update_noise` (the update-level S and z; noise needs a
/// clip), `delta` (δ of every ε reported) and `max_epsilon` (the budget past which a hospital stops
/// training; absent: none). Unknown keys are refused, so an older node cannot silently ignore a rule.
public struct PrivacyPolicy: Sendable, Equatable {
    /// Record-level DP-SGD, or nil.
    public var dpSGD: DPSGD?
    /// Update-level clip and noise, or nil.
    public var update: UpdatePrivacy?
    /// δ of every ε the federation reports.
    public var delta: Double
    /// The most ε (at ``delta``) a hospital may spend; nil: no limit.
    public var maxEpsilon: Double?

    /// A Float setting as the Double a person wrote (1.2, not 1.2000000476837158), for reports and status.
    public static func decimal(_ x: Float) -> Double { Double(x.description) ?? Double(x) }

    /// δ = 10⁻⁵ unless the federation sets another.
    public static let defaultDelta = 1e-5

    /// A policy from its parts.
    public init(dpSGD: DPSGD? = nil, update: UpdatePrivacy? = nil, delta: Double = defaultDelta, maxEpsilon: Double? = nil) {
        self.dpSGD = dpSGD
        self.update = update
        self.delta = delta
        self.maxEpsilon = maxEpsilon
    }

    /// Whether any noise is added, so that ε is finite.
    public var addsNoise: Bool {
        (dpSGD?.noiseMultiplier ?? 0) > 0 || (update?.noiseMultiplier ?? 0) > 0
    }

    /// Why the numbers cannot work, or nil.
    public var problem: String? {
        if let dp = dpSGD {
            if !(dp.clipNorm.isFinite && dp.clipNorm > 0) { return "dp_clip must be a number > 0" }
            if !(dp.noiseMultiplier.isFinite && dp.noiseMultiplier >= 0) { return "dp_noise must be a number ≥ 0" }
            if let q = dp.samplingRate, !(q > 0 && q <= 1) { return "dp_sampling_rate must lie in (0, 1]" }
        }
        if let u = update {
            if !(u.clipNorm.isFinite && u.clipNorm > 0) { return "update_clip must be a number > 0" }
            if !(u.noiseMultiplier.isFinite && u.noiseMultiplier >= 0) { return "update_noise must be a number ≥ 0" }
        }
        if !(delta > 0 && delta < 1) { return "delta must lie in (0, 1)" }
        if let m = maxEpsilon, !(m > 0 && m.isFinite) { return "max_epsilon must be a number > 0" }
        return nil
    }

    /// Why `model` cannot train under this policy, or nil: a model with running statistics (batch norm)
    /// sends their deltas with every update, un-noised, so no policy protects them; then DP-SGD's own
    /// refusals (`DPSGD.problem(for:)`).
    public func problem(for model: Model) -> String? {
        if model.state.count > 0 {
            return Self.runningStatisticsProblem(model: model.spec.name)
        }
        return dpSGD?.problem(for: model)
    }

    /// Why a model with running statistics (`name`) cannot go with a privacy policy.
    public static func runningStatisticsProblem(model name: String) -> String {
        "model '\(name)' keeps batch-norm running statistics, and every update carries their change without "
            + "noise, so a privacy policy cannot protect them: train a model without batch norm "
            + "(\(ModelSpec.statelessReferenceNames.joined(separator: ", "))) or set no privacy.* keys"
    }

    private struct Wire: Codable {
        var dp_clip: Float?, dp_noise: Float?, dp_sampling_rate: Double?, update_clip: Float?, update_noise: Float?
        var delta: Double?, max_epsilon: Double?
    }

    /// The policy as the wire carries it: a compact JSON object with sorted keys.
    public var wireText: String {
        let wire = Wire(
            dp_clip: dpSGD?.clipNorm, dp_noise: dpSGD?.noiseMultiplier, dp_sampling_rate: dpSGD?.samplingRate,
            update_clip: update?.clipNorm,
            update_noise: update?.noiseMultiplier, delta: delta, max_epsilon: maxEpsilon)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(wire)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// The policy a wire text describes.
    ///
    /// - Throws: `ModelError.privacy` naming what is wrong (not JSON, an unknown key, a half-given
    ///   mechanism, a number out of range).
    public init(wireText: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(wireText.utf8)) as? [String: Any] else {
            throw ModelError.privacy("the privacy policy is not a JSON object: \(wireText.prefix(80))")
        }
        let known: Set = ["dp_clip", "dp_noise", "dp_sampling_rate", "update_clip", "update_noise", "delta", "max_epsilon"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw ModelError.privacy(
                "the privacy policy has a rule this node does not know (\(unknown)): update growda-node")
        }
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Data(wireText.utf8))
        } catch {
            throw ModelError.privacy("the privacy policy does not parse: \(error)")
        }
        if (wire.dp_clip == nil) != (wire.dp_noise == nil) {
            throw ModelError.privacy("the privacy policy gives one of dp_clip and dp_noise without the other")
        }
        if wire.dp_sampling_rate != nil && wire.dp_clip == nil {
            throw ModelError.privacy("the privacy policy gives dp_sampling_rate without dp_clip and dp_noise")
        }
        if wire.update_noise != nil && wire.update_clip == nil {
            throw ModelError.privacy("the privacy policy gives update_noise without update_clip")
        }
        self.init(
            dpSGD: wire.dp_clip.map {
                DPSGD(clipNorm: $0, noiseMultiplier: wire.dp_noise ?? 0, samplingRate: wire.dp_sampling_rate)
            },
            update: wire.update_clip.map { UpdatePrivacy(clipNorm: $0, noiseMultiplier: wire.update_noise ?? 0) },
            delta: wire.delta ?? Self.defaultDelta, maxEpsilon: wire.max_epsilon)
        if let problem { throw ModelError.privacy("the privacy policy's \(problem)") }
    }
}
