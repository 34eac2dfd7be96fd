import Foundation
import GrowdaAggregator
import GrowdaData
import GrowdaNN
import GrowdaNode
import GrowdaPrivacy
import GrowdaTestKit
import Testing

/// A federation under a privacy policy: the policy travels with the model, each node keeps a ledger in its
/// state folder, stops at the budget, and the aggregator shows every hospital's ε.
@Suite(.serialized) struct PrivacyFederationTests {
    /// ε after `updates` rounds of one local epoch over a hospital's 6 images per class in batches of 6 (the
    /// harness's node configuration): Poisson rate q = 6 / n, round(1 / q) steps each.
    private func epsilon(updates: Int, sigma: Double) throws -> Double {
        let images = 6 * SyntheticXray.classNames.count
        let q = DPSGD.samplingRate(batchSize: 6, count: images)
        let steps = DPSGD.stepsPerEpoch(batchSize: 6, count: images)
        let entries = try (1...updates).map { seq in
            PrivacyLedger.Entry(
                seq: UInt64(seq), baseVersion: 0, time: 0,
                recordLevel: try PrivacyLedger.RecordLevelNoise(samplingRate: q, noiseMultiplier: sigma, steps: steps),
                updateLevel: nil)
        }
        return try PrivacyLedger(entries: entries).epsilon(delta: 1e-5)!
    }

    /// With a budget that allows exactly two updates, the node sends two, refuses the third (status and log
    /// say so), and after a restart its ledger still holds both and it still refuses. The aggregator's status
    /// carries the policy and the node's ε, the same figure as the node's own ledger.
    @Test func budgetStopsTrainingAndTheLedgerSurvivesARestart() throws {
        let sigma = 1.5
        let budget = (try epsilon(updates: 2, sigma: sigma) + epsilon(updates: 3, sigma: sigma)) / 2
        let fed = try LocalFederation(
            hospitals: 1,
            settings: [
                "fedbuff.k": "1", "fedbuff.max_staleness": "50", "privacy.dp_clip": "1",
                "privacy.dp_noise": String(sigma), "privacy.max_epsilon": String(budget),
            ])
        let configuration = try fed.aggregatorConfiguration()
        #expect(configuration.privacy?.dpSGD == DPSGD(clipNorm: 1, noiseMultiplier: Float(sigma)))
        let aggregator = try Aggregator(configuration: configuration, logger: testLogger("agg"))
        let aggRun = Background("aggregator") { try aggregator.run() }
        defer {
            aggregator.stop()
            _ = aggRun.wait(seconds: 30)
        }
        let state = fed.dir.path("nodes/hospital-1")
        func status() -> NodeStatus? { try? NodeStatus.read(stateFolder: state) }

        let agent = try NodeAgent.build(fed.nodeConfiguration(0), logger: testLogger("node"))
        let run = Background("node") { try agent.run() }
        #expect(eventually(seconds: 60) { status()?.privacy?.budget_spent == true })
        #expect(agent.statistics.sent == 2)
        #expect(eventually(seconds: 20) { agent.statistics.acknowledged == 2 })
        let spent = try #require(status()?.privacy)
        #expect(spent.updates == 2 && spent.max_epsilon == budget && spent.dp_noise == sigma)
        #expect(abs((spent.epsilon ?? 0) - (try epsilon(updates: 2, sigma: sigma))) < 1e-9)
        #expect(spent.epsilon! <= budget)
        #expect(
            eventually(seconds: 20) {
                aggregator.status()?.nodes.first?.privacy_epsilon.map { abs($0 - spent.epsilon!) < 1e-9 } == true
            })
        let summary = try #require(aggregator.status()?.privacy)
        #expect(summary.max_epsilon == budget && summary.dp_clip == 1 && summary.min_k == 1)
        let scrape = AggregatorMetrics().render(aggregator.status())
        let line = try #require(scrape.split(separator: "\n").first { $0.hasPrefix("growda_node_privacy_epsilon{") })
        #expect(line.contains("node=\"hospital-1\""))
        #expect(abs((Double(line.split(separator: " ").last ?? "") ?? 0) - spent.epsilon!) < 1e-6)
        agent.stop()
        #expect(run.wait(seconds: 30))

        // Restart on the same state folder: the ledger is read back, and the budget still holds.
        let ledger = try PrivacyLedger.load(from: URL(fileURLWithPath: state + "/privacy-ledger.json"))
        #expect(ledger.entries.map(\.seq) == [1, 2])
        let before = status()?.written_at ?? 0
        let again = try NodeAgent.build(fed.nodeConfiguration(0), logger: testLogger("restart"))
        let rerun = Background("restart") { try again.run() }
        #expect(
            eventually(seconds: 30) {
                (status()?.written_at ?? 0) > before && status()?.privacy?.budget_spent == true
            })
        Thread.sleep(forTimeInterval: 1)
        #expect(again.statistics.sent == 0)
        again.stop()
        #expect(rerun.wait(seconds: 30))
        #expect(try PrivacyLedger.load(from: URL(fileURLWithPath: state + "/privacy-ledger.json")).entries.count == 2)
    }

    /// A damaged ledger stops the node at start, naming the file: forgetting spent privacy is not safe.
    @Test func damagedLedgerIsRefused() throws {
        let fed = try LocalFederation(hospitals: 1, settings: ["fedbuff.k": "1"])
        let state = fed.dir.path("nodes/hospital-1")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try "{ not json".write(toFile: state + "/privacy-ledger.json", atomically: true, encoding: .utf8)
        #expect {
            _ = try NodeAgent.build(fed.nodeConfiguration(0), logger: testLogger("node"))
        } throws: { error in
            "\(error)".contains("privacy-ledger.json") && "\(error)".contains("backup")
        }
    }
}
