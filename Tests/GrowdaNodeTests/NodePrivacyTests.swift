import Foundation
import GrowdaNN
import GrowdaTestKit
import Testing

@testable import GrowdaNode

/// The node's ledger keeper: what each planned update costs, the budget, and an update sent without noise.
@Suite struct NodePrivacyTests {
    /// An update sent after the policy was dropped is counted without a mechanism: ε becomes unbounded, as it
    /// is, and survives a reload; the budget then refuses.
    @Test func anUpdateWithoutNoiseMakesEpsilonUnbounded() throws {
        let folder = try TemporaryDirectory(prefix: "growda-node-privacy")
        var privacy = try NodePrivacy(stateFolder: folder.path(""))
        privacy.policy = PrivacyPolicy(dpSGD: DPSGD(clipNorm: 1, noiseMultiplier: 1.2), maxEpsilon: 50)
        let first = try privacy.plannedEntry(seq: 1, baseVersion: 0, count: 100, batchSize: 10, localEpochs: 1)
        #expect(first.recordLevel?.samplingRate == 0.1 && first.recordLevel?.steps == 10)
        #expect(try privacy.admit(first).allowed)
        try privacy.record(first)
        let finite = try #require(privacy.epsilon)
        #expect(finite > 0 && finite < 50)

        privacy.policy = nil
        try privacy.record(try privacy.plannedEntry(seq: 2, baseVersion: 1, count: 100, batchSize: 10, localEpochs: 1))
        #expect(privacy.epsilon == nil)
        let reloaded = try NodePrivacy(stateFolder: folder.path(""))
        #expect(reloaded.ledger.entries.count == 2 && reloaded.epsilon == nil)
        #expect(reloaded.status?.epsilon == nil && reloaded.status?.updates == 2)

        var budgeted = reloaded
        budgeted.policy = PrivacyPolicy(dpSGD: DPSGD(clipNorm: 1, noiseMultiplier: 1.2), maxEpsilon: 50)
        let next = try budgeted.plannedEntry(seq: 3, baseVersion: 2, count: 100, batchSize: 10, localEpochs: 1)
        #expect(try !budgeted.admit(next).allowed)
        #expect(budgeted.refusal?.contains("privacy budget spent") == true)
    }
}
