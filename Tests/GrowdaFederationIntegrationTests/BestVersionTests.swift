import Foundation
import GrowdaAggregator
import GrowdaData
import GrowdaNN
import GrowdaNode
import GrowdaStore
import GrowdaTestKit
import Testing

/// The best version and a stop rule in a running federation: the aggregator evaluates every version it
/// can, keeps the best beside the latest, stops at `stop.max_versions` and keeps answering; a node run
/// with `--diagnose-with best` keeps the best version's model as diagnose.safetensors, the other does not.
@Suite(.serialized) struct BestVersionIntegrationTests {
    @Test func aNodeDiagnosingWithTheBestGetsTheBestVersionsModelAndVersionsStopAtTheLimit() throws {
        let fed = try LocalFederation(
            hospitals: 2, settings: ["fedbuff.k": "1", "fedbuff.max_staleness": "100", "stop.max_versions": "6"])
        let eval = fed.dir.path("eval")
        _ = try SyntheticXray.write(perClass: 6, size: 28, seed: 7, to: eval)
        var configuration = try fed.aggregatorConfiguration()
        configuration.evalPath = eval
        let aggregator = try Aggregator(configuration: configuration, logger: testLogger("agg"))
        let aggRun = Background("aggregator") { try aggregator.run() }
        defer {
            aggregator.stop()
            aggRun.wait(seconds: 20)
        }
        var configs = [fed.nodeConfiguration(0), fed.nodeConfiguration(1)]
        configs[0].diagnoseWith = .best
        let agents = try configs.map { try NodeAgent.build($0, logger: testLogger("node")) }
        let runs = agents.enumerated().map { i, agent in Background("node\(i)") { try agent.run() } }
        defer {
            for agent in agents { agent.stop() }
            for run in runs { run.wait(seconds: 30) }
        }

        // Versions stop at 6, and the reason is in the status.
        #expect(eventually(seconds: 90) { aggregator.status()?.stopped != nil })
        let stopped = try #require(aggregator.status())
        #expect(stopped.version == 6)
        #expect(stopped.stopped?.contains("stop.max_versions = 6") == true)
        // The evaluation of the last versions comes in; the best is named.
        #expect(eventually(seconds: 30) { aggregator.status()?.eval_history.last?.version == 6 })
        let best = try #require(aggregator.status()?.best_version)
        #expect(aggregator.status()?.eval_metric == "auc")

        // The node diagnosing with the best holds exactly the aggregator's checkpoint of that version.
        func diagnoseVersion(_ i: Int) -> UInt64? {
            let path = configs[i].statePath + "/node.json"
            guard let data = FileManager.default.contents(atPath: path),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { return nil }
            return (object["diagnose_version"] as? NSNumber)?.uint64Value
        }
        #expect(eventually(seconds: 30) { diagnoseVersion(0) == aggregator.status()?.best_version })
        let kept = try Model(checkpoint: configs[0].statePath + "/diagnose.safetensors")
        let reader = try StateReader(folder: fed.statePath)
        defer { try? reader.close() }
        let record = try #require(try reader.history().first { $0.version == best })
        let checkpoint = try Model(checkpoint: reader.path(of: try #require(record.checkpoint)))
        withExtendedLifetime((kept, checkpoint)) {
            #expect(Array(kept.parameters.buffer) == Array(checkpoint.parameters.buffer))
            #expect(Array(kept.state.buffer) == Array(checkpoint.state.buffer))
        }
        #expect(try reader.federation().best?.version == best)
        // The other node keeps only the latest; both hold the final model and train no more.
        #expect(!FileManager.default.fileExists(atPath: configs[1].statePath + "/diagnose.safetensors"))
        #expect(
            eventually(seconds: 30) {
                configs.allSatisfy { ((try? NodeStatus.read(stateFolder: $0.statePath))?.model_version ?? 0) == 6 }
            })
        Thread.sleep(forTimeInterval: 1)
        #expect(aggregator.status()?.version == 6)
        #expect(!aggRun.wait(seconds: 0.1), "the aggregator ended after the stop rule; it should keep answering")
    }
}
