import Foundation
import GrowdaNN
import GrowdaPrivacy
import GrowdaSafetensors

/// What a node has spent of its privacy, as `status.json` shows it (key `privacy`).
public struct NodePrivacyStatus: Codable, Sendable, Equatable {
    /// The record-level ε spent over every update sent, at `delta`; nil when an update was sent without
    /// noise (then nothing bounds it).
    public var epsilon: Double?
    /// δ of `epsilon`.
    public var delta: Double
    /// The federation's budget (nil: none).
    public var max_epsilon: Double?
    /// Updates the ledger counts.
    public var updates: Int
    /// The next update would take ε past the budget: the node trains no more.
    public var budget_spent: Bool
    /// The policy in force: DP-SGD's C and σ, the update-level S and z (nil: off).
    public var dp_clip: Double?, dp_noise: Double?, update_clip: Double?, update_noise: Double?
    /// DP-SGD's fixed Poisson rate, when the policy sets one.
    public var dp_sampling_rate: Double? = nil
}

/// The node's privacy ledger and policy: which rules the current version asks for, what every update
/// sent has cost, and whether the next one may be trained. The ledger lives in the state folder
/// (`privacy-ledger.json`) and is saved before an update enters the outbox, so a crash can only count an
/// update that was never sent (over-counting is the safe side), never forget one that was.
struct NodePrivacy {
    /// The ledger file.
    let path: String
    /// Every update this node sent under a privacy rule (or none).
    private(set) var ledger: PrivacyLedger
    /// The policy of the version the node trains from (nil: none).
    var policy: PrivacyPolicy?
    /// Why the next round may not be trained (budget), or nil.
    private(set) var refusal: String?
    /// What the last `admit` decided on.
    private var lastAdmit: AdmitKey?

    private struct AdmitKey: Equatable {
        var policy: PrivacyPolicy?
        var entries: Int
        var record: PrivacyLedger.RecordLevelNoise?
        var update: PrivacyLedger.UpdateLevelNoise?
    }

    /// The ledger in `stateFolder`; a damaged ledger stops the node (forgetting spent budget is not safe).
    init(stateFolder: String) throws {
        path = stateFolder + "/privacy-ledger.json"
        do {
            ledger = try PrivacyLedger.load(from: URL(fileURLWithPath: path))
        } catch {
            throw NodeError.ledger(
                path: path,
                reason: "cannot be read (\(error)); restore it from a backup. Deleting it would forget the privacy "
                    + "this hospital has spent")
        }
    }

    /// The ledger entry for a round of `localEpochs` epochs over `count` samples at `batchSize`, under the
    /// current policy.
    func plannedEntry(
        seq: UInt64, baseVersion: UInt64, count: Int, batchSize: Int, localEpochs: Int, steps: Int? = nil
    ) throws -> PrivacyLedger.Entry {
        var record: PrivacyLedger.RecordLevelNoise?
        if let dp = policy?.dpSGD, dp.noiseMultiplier > 0 {
            record = try PrivacyLedger.RecordLevelNoise(
                samplingRate: dp.rate(batchSize: batchSize, count: count),
                noiseMultiplier: Double(dp.noiseMultiplier),
                steps: steps ?? localEpochs * dp.steps(batchSize: batchSize, count: count))
        }
        var update: PrivacyLedger.UpdateLevelNoise?
        if let u = policy?.update, u.noiseMultiplier > 0 {
            update = try PrivacyLedger.UpdateLevelNoise(noiseMultiplier: Double(u.noiseMultiplier))
        }
        return PrivacyLedger.Entry(
            seq: seq, baseVersion: baseVersion, time: UInt64(Date().timeIntervalSince1970 * 1000),
            recordLevel: record, updateLevel: update)
    }

    /// Whether `entry` may be trained and sent: under the budget, or no budget. Sets `refusal` when not;
    /// returns whether the answer changed (so the caller logs it once).
    mutating func admit(_ entry: PrivacyLedger.Entry) throws -> (allowed: Bool, changed: Bool) {
        // The answer changes only with the policy, the ledger or the planned mechanism; an idle node asks
        // several times a second, and the accountant's sums are not free.
        let key = AdmitKey(
            policy: policy, entries: ledger.entries.count, record: entry.recordLevel, update: entry.updateLevel)
        if key == lastAdmit { return (refusal == nil, false) }
        lastAdmit = key
        let before = refusal
        refusal = nil
        if let policy, let budget = policy.maxEpsilon {
            let after = try ledger.epsilonIfAdded(entry, delta: policy.delta)
            if after.map({ $0 > budget }) ?? true {
                let spent = try ledger.epsilon(delta: policy.delta)
                refusal =
                    "privacy budget spent: ε = \(Self.text(spent)) at δ = \(policy.delta) after \(ledger.entries.count) "
                    + "updates, and the next would reach \(Self.text(after)) > privacy.max_epsilon = \(budget); "
                    + "this hospital trains no more (its model stays usable for diagnosis)"
            }
        }
        return (refusal == nil, refusal != before)
    }

    /// Adds `entry` and saves the ledger (before the update is written to the outbox).
    mutating func record(_ entry: PrivacyLedger.Entry) throws {
        try ledger.record(entry)
        try ledger.save(to: URL(fileURLWithPath: path))
    }

    /// ε spent at the policy's δ (the default δ without a policy); nil when unbounded.
    var epsilon: Double? {
        try? ledger.epsilon(delta: policy?.delta ?? PrivacyPolicy.defaultDelta)
    }

    /// The status block, or nil when the node has neither a policy nor a ledger entry.
    var status: NodePrivacyStatus? {
        guard policy != nil || !ledger.entries.isEmpty else { return nil }
        return NodePrivacyStatus(
            epsilon: ledger.entries.isEmpty ? 0 : epsilon, delta: policy?.delta ?? PrivacyPolicy.defaultDelta,
            max_epsilon: policy?.maxEpsilon, updates: ledger.entries.count, budget_spent: refusal != nil,
            dp_clip: policy?.dpSGD.map { PrivacyPolicy.decimal($0.clipNorm) }, dp_noise: policy?.dpSGD.map { PrivacyPolicy.decimal($0.noiseMultiplier) },
            update_clip: policy?.update.map { PrivacyPolicy.decimal($0.clipNorm) },
            update_noise: policy?.update.map { PrivacyPolicy.decimal($0.noiseMultiplier) },
            dp_sampling_rate: policy?.dpSGD?.samplingRate)
    }

    /// ε as a log line shows it.
    static func text(_ epsilon: Double?) -> String { epsilon.map { String(format: "%.3f", $0) } ?? "∞" }
}

extension NodeStateFolder {
    /// The checkpoint fact that keeps the privacy policy a model version came with.
    static let privacyFact = "growda.privacy"

    /// The privacy policy the kept model came with (nil: none, or no model).
    func loadPrivacyPolicy() throws -> PrivacyPolicy? {
        guard FileManager.default.fileExists(atPath: modelPath) else { return nil }
        guard let text = Model.facts(of: try SafetensorsFile(contentsOf: modelPath))[Self.privacyFact] else {
            return nil
        }
        return try PrivacyPolicy(wireText: text)
    }
}
