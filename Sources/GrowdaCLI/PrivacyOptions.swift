import ArgumentParser
import Foundation
import GrowdaAggregator
import GrowdaNN
import GrowdaNode
import GrowdaPrivacy
import GrowdaProvisioning

/// DP-SGD's flags, as `growda train` and `growda simulate` take them.
struct DPSGDOptions: ParsableArguments {
    @Option(
        name: .customLong("dp-clip"), parsing: .unconditional,
        help: "Differential privacy (DP-SGD): clip each image's gradient to this L2 norm (with --dp-noise).")
    var clip: Double?

    @Option(
        name: .customLong("dp-noise"), parsing: .unconditional,
        help: "DP-SGD noise multiplier σ: Gaussian noise of σ × --dp-clip on each batch's summed gradient.")
    var noise: Double?

    @Option(
        name: .customLong("dp-delta"), parsing: .unconditional,
        help: "δ of every ε reported (default: 1e-05).")
    var delta: Double?

    /// Throws a ValidationError naming the flag that cannot work.
    func check() throws {
        if (clip == nil) != (noise == nil) {
            throw ValidationError("--dp-clip and --dp-noise go together: DP-SGD clips each gradient, then adds noise")
        }
        try Self.positive("--dp-clip", clip, allowsZero: false)
        try Self.positive("--dp-noise", noise, allowsZero: true)
        if let delta, !(delta > 0 && delta <= 0.01) { throw ValidationError("--dp-delta must lie in (0, 0.01]") }
    }

    /// DP-SGD's settings, when asked for.
    var settings: DPSGD? { clip.map { DPSGD(clipNorm: Float($0), noiseMultiplier: Float(noise ?? 0)) } }

    /// δ in force.
    var effectiveDelta: Double { delta ?? PrivacyPolicy.defaultDelta }

    /// Throws unless `value` (when given) is a finite number > 0 (or ≥ 0).
    static func positive(_ flag: String, _ value: Double?, allowsZero: Bool) throws {
        if let value, !(value.isFinite && (allowsZero ? value >= 0 : value > 0)) {
            throw ValidationError("\(flag) must be a number \(allowsZero ? "≥ 0" : "> 0"), got \(value)")
        }
    }
}

/// `growda simulate`'s privacy flags: they become the federation's `privacy.*` keys, which the aggregator
/// sends with every version, so the simulated hospitals train exactly as a real federation's would.
struct PrivacyOptions: ParsableArguments {
    @OptionGroup var dp: DPSGDOptions

    @Option(
        name: .customLong("dp-sampling-rate"), parsing: .unconditional,
        help: "DP-SGD's Poisson rate q at every hospital, instead of --batch / its size (privacy.dp_sampling_rate).")
    var samplingRate: Double?

    @Option(
        name: .customLong("update-clip"), parsing: .unconditional,
        help: "Clip each hospital's whole update to this L2 norm before sealing (privacy.update_clip).")
    var updateClip: Double?

    @Option(
        name: .customLong("update-noise"), parsing: .unconditional,
        help: "Update-level noise multiplier z (privacy.update_noise; needs --update-clip).")
    var updateNoise: Double?

    @Option(
        name: .customLong("max-epsilon"), parsing: .unconditional,
        help: "A hospital stops training before its ε would pass this (privacy.max_epsilon).")
    var maxEpsilon: Double?

    /// Throws a ValidationError naming the flag that cannot work.
    func check() throws {
        try dp.check()
        if samplingRate != nil && dp.clip == nil { throw ValidationError("--dp-sampling-rate needs --dp-clip and --dp-noise") }
        if let q = samplingRate, !(q > 0 && q <= 1) { throw ValidationError("--dp-sampling-rate must lie in (0, 1]") }
        if updateNoise != nil && updateClip == nil { throw ValidationError("--update-noise needs --update-clip") }
        try DPSGDOptions.positive("--update-clip", updateClip, allowsZero: false)
        try DPSGDOptions.positive("--update-noise", updateNoise, allowsZero: true)
        try DPSGDOptions.positive("--max-epsilon", maxEpsilon, allowsZero: false)
    }

    /// The federation.conf settings the flags give.
    var settings: [Federation.LocalSetting] {
        typealias Key = AggregatorConfiguration.Key
        let pairs: [(String, Double?)] = [
            (Key.privacyDPClip, dp.clip), (Key.privacyDPNoise, dp.noise), (Key.privacyDPSamplingRate, samplingRate),
            (Key.privacyUpdateClip, updateClip),
            (Key.privacyUpdateNoise, updateNoise), (Key.privacyDelta, dp.delta), (Key.privacyMaxEpsilon, maxEpsilon),
        ]
        return pairs.compactMap { key, value in value.map { Federation.LocalSetting(key, String($0)) } }
    }

    /// Each hospital's ledger, read from its state folder (an empty one where it sent nothing).
    static func ledgers(_ states: [(name: String, state: String)]) throws -> [String: PrivacyLedger] {
        var out: [String: PrivacyLedger] = [:]
        for (name, state) in states {
            out[name] = try PrivacyLedger.load(from: URL(fileURLWithPath: state + "/privacy-ledger.json"))
        }
        return out
    }

    /// Each hospital's ε after each update it sent, in the order sent: (time in ms since the epoch, ε or nil
    /// when unbounded). Composed once per update, so a long run's table costs no more than its ledgers.
    static func timelines(
        _ ledgers: [String: PrivacyLedger], delta: Double
    ) throws -> [String: [(time: UInt64, epsilon: Double?)]] {
        try ledgers.mapValues { ledger in
            var running = PrivacyLedger()
            return try ledger.entries.sorted { $0.time < $1.time }.map { entry in
                try running.record(entry)
                return (entry.time, try running.epsilon(delta: delta))
            }
        }
    }

    /// The largest ε any hospital had spent with the updates it sent before `date` (nil: unbounded).
    static func largestEpsilon(_ timelines: [String: [(time: UInt64, epsilon: Double?)]], before date: Date) -> Double? {
        let limit = UInt64(date.timeIntervalSince1970 * 1000)
        var largest = 0.0
        for timeline in timelines.values {
            guard let last = timeline.last(where: { $0.time <= limit }) else { continue }
            guard let epsilon = last.epsilon else { return nil }
            largest = max(largest, epsilon)
        }
        return largest
    }

    /// The run's privacy report: the policy, each hospital's ε and whose budget ran out.
    static func report(
        _ policy: PrivacyPolicy, ledgers: [String: PrivacyLedger], states: [(name: String, state: String)]
    ) throws -> SimulateCommand.PrivacyReport {
        var epsilons: [String: Double?] = [:], updates: [String: Int] = [:], spent: [String] = []
        for (name, ledger) in ledgers {
            epsilons[name] = ledger.entries.isEmpty ? 0 : try ledger.epsilon(delta: policy.delta)
            updates[name] = ledger.entries.count
        }
        for (name, state) in states where (try? NodeStatus.read(stateFolder: state))?.privacy?.budget_spent == true {
            spent.append(name)
        }
        return SimulateCommand.PrivacyReport(
            dp_clip: policy.dpSGD.map { PrivacyPolicy.decimal($0.clipNorm) }, dp_noise: policy.dpSGD.map { PrivacyPolicy.decimal($0.noiseMultiplier) },
            update_clip: policy.update.map { PrivacyPolicy.decimal($0.clipNorm) },
            update_noise: policy.update.map { PrivacyPolicy.decimal($0.noiseMultiplier) }, delta: policy.delta,
            max_epsilon: policy.maxEpsilon, epsilon_by_hospital: epsilons, updates_by_hospital: updates,
            budget_spent: spent.sorted())
    }

    /// `privacy: DP-SGD C=1 σ=1.1, δ=1e-05: ε by hospital a 3.21 (12 updates), …`.
    static func text(_ p: SimulateCommand.PrivacyReport) -> String {
        var rule: [String] = []
        func g(_ x: Double) -> String { String(format: "%g", x) }
        if let c = p.dp_clip, let s = p.dp_noise { rule.append("DP-SGD clip \(g(c)) σ \(g(s))") }
        if let c = p.update_clip { rule.append("update clip \(g(c)) z \(g(p.update_noise ?? 0))") }
        let each = p.epsilon_by_hospital.keys.sorted().map { name in
            "\(name) \(p.epsilon_by_hospital[name]!.map { fmt($0, 3) } ?? "∞") (\(p.updates_by_hospital[name] ?? 0) updates)"
        }
        var line = "privacy: \(rule.isEmpty ? "no noise" : rule.joined(separator: ", ")), δ = \(p.delta)"
        if let m = p.max_epsilon { line += ", budget ε ≤ \(fmt(m, 3))" }
        line += "\nε spent by hospital: " + each.joined(separator: ", ")
        if !p.budget_spent.isEmpty { line += "\nbudget spent (stopped training): " + p.budget_spent.joined(separator: ", ") }
        return line
    }
}
