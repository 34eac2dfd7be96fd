import Foundation
import GrowdaStore
import GrowdaWire
import Testing

@testable import GrowdaAggregator

/// The best version by the evaluation metric (kept beside the latest, sent to nodes that ask for it) and
/// the stop rules, decided by the processor without sockets.
@Suite struct BestAndStopTests {
    typealias Rig = FederationProcessorTests.Rig

    @Test func theBestVersionIsTheHighestByTheMetricAndIsRecordedWithItsWeights() throws {
        let rig = try Rig(k: 1, evaluates: true)
        try rig.step(seq: 1)
        rig.evaluated(1, auc: 0.80)
        try rig.step(seq: 2)
        rig.evaluated(2, auc: 0.93)
        try rig.step(seq: 3)
        rig.evaluated(3, auc: 0.93)  // a tie keeps the earlier version
        try rig.step(seq: 4)
        rig.evaluated(4, auc: 0.90)
        let recorded = Rig.evaluations(rig.processor.takeActions())
        #expect(recorded.map(\.0) == [1, 2, 3, 4])
        #expect(
            recorded.map(\.1) == [
                BestVersion(version: 1, metric: "auc", value: 0.80),
                BestVersion(version: 2, metric: "auc", value: 0.93),
                nil, nil,
            ])
        let status = rig.processor.status(now: 2, queue: QueueLoad(), residentBytes: 0)
        #expect(status.best_version == 2 && status.best_metric == 0.93 && status.eval_metric == "auc")
        #expect(status.versions_since_best == 2)
        #expect(status.stopped == nil)
    }

    @Test func accuracyRanksVersionsWhenChosenAndAMissingAUCRanksNothing() throws {
        let byAUC = try Rig(k: 1, evaluates: true)
        try byAUC.step(seq: 1)
        byAUC.evaluated(1, accuracy: 0.9, auc: nil)  // the set lacks a class
        #expect(byAUC.processor.best == nil)
        let byAccuracy = try Rig(k: 1, evaluates: true) { $0.evalMetric = .accuracy }
        try byAccuracy.step(seq: 1)
        byAccuracy.evaluated(1, accuracy: 0.9, auc: nil)
        #expect(byAccuracy.processor.best?.record == BestVersion(version: 1, metric: "accuracy", value: 0.9))
        let off = try Rig(k: 1, evaluates: true) { $0.keepBest = false }
        try off.step(seq: 1)
        off.evaluated(1, auc: 0.9)
        #expect(off.processor.best == nil)
        #expect(off.processor.status(now: 2, queue: QueueLoad(), residentBytes: 0).eval_metric == nil)
    }

    @Test func aNodeAskingForTheBestGetsTheBestVersionsModelMarkedBest() throws {
        let rig = try Rig(k: 1, evaluates: true)
        let node = rig.ids[0]
        try rig.step(seq: 1)
        let bestWeights = rig.evaluated(1, auc: 0.95)
        try rig.step(seq: 2)
        rig.evaluated(2, auc: 0.90)
        _ = rig.processor.takeActions()
        let plain = try #require(rig.ask(node, have: 2))
        #expect(plain.bestVersion == 1 && !plain.best && plain.model == nil && plain.latestVersion == 2)
        let best = try #require(rig.ask(node, have: 2, model: .best))
        #expect(best.best && best.bestVersion == 1)
        let model = try #require(best.model)
        #expect(model.version == 1)
        let sent = rig.model.parameterViews.flatMap { model.weights.floats($0.name) ?? [] }
        #expect(sent == bestWeights)
        #expect(sent != Array(rig.model.parameters.buffer))  // not the latest
        // Without a best version, a request for it is answered as usual.
        let none = try Rig(k: 1)
        let reply = try #require(none.ask(none.ids[0], model: .best))
        #expect(!reply.best && reply.bestVersion == nil && reply.model?.version == 0)
    }

    @Test func maxVersionsStopsVersionsAndLaterUpdatesAreRefusedAsStoppedAndSettled() throws {
        let rig = try Rig(k: 1) { $0.stopMaxVersions = 2 }
        let node = rig.ids[0]
        try rig.step(seq: 1)
        #expect(rig.processor.stopped == nil)
        try rig.step(seq: 2)
        #expect(rig.processor.version == 2)
        let reason = try #require(rig.processor.stopped)
        #expect(reason.contains("stop.max_versions = 2"))
        try rig.step(seq: 3)
        #expect(rig.processor.version == 2)
        #expect(rig.processor.rejections.count(of: .stopped) == 1)
        #expect(rig.processor.strategy.pending.count == 0)
        rig.processor.flushBatch()
        let commits = Rig.commits(rig.processor.takeActions())
        rig.processor.acknowledge(commits.last?.1 ?? [:])
        let reply = try #require(rig.ask(node))
        #expect(reply.ackedSeq == 3 && reply.stopped && reply.model?.version == 2)  // settled; the final model
        let status = rig.processor.status(now: 2, queue: QueueLoad(), residentBytes: 0)
        #expect(status.stopped == reason && status.version == 2)
    }

    @Test func aPlateauStopsVersionsAfterNEvaluatedVersionsWithoutImprovement() throws {
        let rig = try Rig(k: 1, evaluates: true) { $0.stopPlateau = 2 }
        try rig.step(seq: 1)
        rig.evaluated(1, auc: 0.90)
        try rig.step(seq: 2)
        rig.evaluated(2, auc: 0.85)
        #expect(rig.processor.stopped == nil)
        try rig.step(seq: 3)
        rig.evaluated(3, auc: 0.89)
        let reason = try #require(rig.processor.stopped)
        #expect(reason.contains("stop.plateau = 2") && reason.contains("v1"))
        try rig.step(seq: 4)
        #expect(rig.processor.version == 3)
        #expect(rig.processor.rejections.count(of: .stopped) == 1)
    }

    @Test func aStopRuleThatFiredHoldsAgainAfterARestart() throws {
        let rig = try Rig(k: 1, version: 5) { $0.stopMaxVersions = 5 }
        #expect(rig.processor.stopped?.contains("version 5") == true)
        try rig.step(seq: 1)
        #expect(rig.processor.version == 5)
        let raised = try Rig(k: 1, version: 5) { $0.stopMaxVersions = 6 }
        #expect(raised.processor.stopped == nil)
        try raised.step(seq: 1)
        #expect(raised.processor.version == 6 && raised.processor.stopped != nil)
    }
}
