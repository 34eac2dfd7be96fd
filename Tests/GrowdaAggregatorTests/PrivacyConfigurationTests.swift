import Foundation
import GrowdaAggregator
import GrowdaFederation
import GrowdaNN
import GrowdaProvisioning
import GrowdaTestKit
import GrowdaWire
import Testing

/// federation.conf's `privacy.*` keys: the policy the aggregator sends with every version, and the
/// minimum buffer that keeps one hospital's update from being isolated.
@Suite struct PrivacyConfigurationTests {
    private typealias Helpers = AggregatorConfigurationTests

    private func read(_ lines: [String]) throws -> (AggregatorConfiguration?, [String]?, Int, String) {
        let temporary = try TemporaryDirectory(prefix: "growda-privacy")
        let federation = try Helpers.federation(temporary)
        let (config, first) = try Helpers.appending(lines, to: federation)
        let problems = Helpers.problems(config, federation)
        let configuration = problems == nil
            ? try AggregatorConfiguration(config: config, federationDirectory: federation.directory) : nil
        return (configuration, problems, first, federation.configPath)
    }

    /// K below privacy.min_k (default 3) is refused, saying why and what to do; lowering min_k accepts it.
    @Test func smallBufferIsRefusedUnlessMinKIsLowered() throws {
        let (_, problems, first, path) = try read(["fedbuff.k = 2"])
        let problem = try #require(problems?.first)
        #expect(problems?.count == 1)
        #expect(problem.hasPrefix("\(path) line \(first): fedbuff.k = 2 is below privacy.min_k = 3"))
        #expect(problem.contains("isolate another hospital's update"))
        #expect(problem.contains("set privacy.min_k = 2"))

        let (accepted, none, _, _) = try read(["fedbuff.k = 2", "privacy.min_k = 2"])
        #expect(none == nil)
        #expect(accepted?.minimumBuffer == 2)
        let (defaults, _, _, _) = try read([])
        #expect(defaults?.minimumBuffer == 3 && defaults?.privacy == nil)
    }

    /// A model with running statistics and a privacy policy cannot go together: their deltas would leave
    /// every hospital un-noised. The same model without a policy is accepted.
    @Test func runningStatisticsAndAPolicyAreRefused() throws {
        let (_, problems, _, _) = try read(["model.name = resnet128", "privacy.update_clip = 4"])
        let problem = try #require(problems?.first)
        #expect(problems?.count == 1)
        #expect(problem.contains("model.name") && problem.contains("keeps batch-norm running statistics"))
        #expect(problem.contains("small28, xray128, ecg187"))
        let (plain, none, _, _) = try read(["model.name = resnet128"])
        #expect(none == nil && plain?.model.name == "resnet128" && plain?.privacy == nil)
    }

    /// A full policy reads into PrivacyPolicy; half-given mechanisms and bad numbers are refused by line.
    @Test func policyReadsAndHalfPoliciesAreRefused() throws {
        let (configuration, _, _, _) = try read([
            "privacy.dp_clip = 1.5", "privacy.dp_noise = 0.9", "privacy.update_clip = 4", "privacy.update_noise = 0.2",
            "privacy.delta = 1e-6", "privacy.max_epsilon = 8",
        ])
        let policy = try #require(configuration?.privacy)
        #expect(policy.dpSGD == DPSGD(clipNorm: 1.5, noiseMultiplier: 0.9))
        #expect(policy.update == UpdatePrivacy(clipNorm: 4, noiseMultiplier: 0.2))
        #expect(policy.delta == 1e-6 && policy.maxEpsilon == 8)
        #expect(try PrivacyPolicy(wireText: policy.wireText) == policy)

        for (lines, needle) in [
            (["privacy.dp_clip = 1"], "privacy.dp_clip needs privacy.dp_noise"),
            (["privacy.dp_noise = 1"], "privacy.dp_noise needs privacy.dp_clip"),
            (["privacy.update_noise = 1"], "privacy.update_noise needs privacy.update_clip"),
            (["privacy.dp_clip = 0", "privacy.dp_noise = 1"], "privacy.dp_clip = 0 is not valid"),
            (["privacy.delta = 0.5"], "privacy.delta = 0.5 is not valid"),
            (["privacy.max_epsilon = 8"], "privacy.max_epsilon needs noise"),
        ] {
            let (_, problems, _, _) = try read(lines)
            #expect(problems?.contains { $0.contains(needle) } == true, "\(lines): \(problems ?? [])")
        }
    }

    /// The policy's wire text refuses what a node cannot follow: unknown rules, half mechanisms, bad numbers.
    @Test func wireTextIsStrict() throws {
        #expect(throws: ModelError.self) { try PrivacyPolicy(wireText: "not json") }
        #expect(throws: ModelError.self) { try PrivacyPolicy(wireText: #"{"dp_clip":1,"dp_noise":1,"secagg":true}"#) }
        #expect(throws: ModelError.self) { try PrivacyPolicy(wireText: #"{"dp_clip":1}"#) }
        #expect(throws: ModelError.self) { try PrivacyPolicy(wireText: #"{"dp_clip":-1,"dp_noise":1}"#) }
        #expect(throws: ModelError.self) { try PrivacyPolicy(wireText: #"{"delta":2}"#) }
        let minimal = try PrivacyPolicy(wireText: #"{"dp_clip":1,"dp_noise":1.1}"#)
        #expect(minimal.delta == PrivacyPolicy.defaultDelta && minimal.maxEpsilon == nil && minimal.update == nil)
    }

    /// The policy travels in the model message's `privacy` field (and a model's snapshot reply).
    @Test func policyTravelsWithTheModel() throws {
        let model = try Model(reference: "small28", classes: ["a", "b"])
        let policy = PrivacyPolicy(dpSGD: DPSGD(clipNorm: 1, noiseMultiplier: 1.1), maxEpsilon: 8)
        let message = try model.modelMessage(version: 3, privacy: policy)
        #expect(message.privacy == policy.wireText)
        #expect(try model.modelMessage(version: 3).privacy == nil)
    }
}
