import Foundation
import GrowdaAggregator
import GrowdaCrypto
import GrowdaNode
import GrowdaProvisioning
import GrowdaTestKit
import Testing

/// A hospital whose bundle holds a valid-looking but wrong node key: every message it sends fails as
/// bad_mac. Both sides must say so: the node (nothing is ever answered) and the aggregator (the refusals
/// counted against the id they claim, the node's row "refused", `--check` degraded).
@Suite(.serialized) struct WrongKeyTests {
    @Test func aWrongKeyIsVisibleAtTheNodeAndInTheAggregatorsStatus() throws {
        let fed = try LocalFederation(hospitals: 2, settings: ["fedbuff.k": "1", "fedbuff.max_staleness": "50"])
        // hospital-2's bundle, its node key replaced: the file is well formed, the key is not the registered one.
        let path = fed.dir.path("bundles/hospital-2.bundle")
        var bundle = try NodeBundle.read(path: path)
        bundle.nodeKey = try SecretBoxKey.generate()
        try bundle.write(path: path, overwrite: true)

        let aggregator = try Aggregator(configuration: try fed.aggregatorConfiguration(), logger: testLogger("agg"))
        let aggRun = Background("aggregator") { try aggregator.run() }
        defer {
            aggregator.stop()
            aggRun.wait(seconds: 20)
        }
        var agents: [NodeAgent] = []
        var runs: [Background] = []
        for i in 0..<2 {
            var config = fed.nodeConfiguration(i)
            config.noAnswerWarning = .milliseconds(800)
            config.noAnswerError = .milliseconds(1600)
            config.statusInterval = .milliseconds(200)
            let agent = try NodeAgent.build(config, logger: testLogger("node"))
            agents.append(agent)
            runs.append(Background("node\(i)") { try agent.run() })
        }
        defer {
            for agent in agents { agent.stop() }
            for run in runs { run.wait(seconds: 30) }
        }

        // The node: no answer, then an error in its status naming what to check.
        let state = fed.nodeConfiguration(1).statePath
        #expect(eventually(seconds: 30) { (try? NodeStatus.read(stateFolder: state))?.contact == .error })
        let nodeStatus = try NodeStatus.read(stateFolder: state)
        #expect(nodeStatus.message?.contains("bad_mac") == true && nodeStatus.message?.contains("current bundle") == true)
        #expect(nodeStatus.acknowledged == 0)
        // The healthy hospital's contact stays ok.
        #expect(eventually(seconds: 30) { (aggregator.status()?.version ?? 0) >= 1 })
        #expect(try NodeStatus.read(stateFolder: fed.nodeConfiguration(0).statePath).contact == .ok)

        // The aggregator: refusals claimed by hospital-2, its row refused with what to do.
        #expect(eventually(seconds: 20) { aggregator.status()?.nodes.last?.state == .refused })
        let row = try #require(aggregator.status()?.nodes.last)
        #expect(row.name == "hospital-2" && row.refused == 0 && (row.refused_claimed?["bad_mac"] ?? 0) >= 3)
        #expect(row.problem?.contains("growda node revoke hospital-2") == true)
        #expect(aggregator.status()?.nodes.first?.problem == nil)

        let check = try StatusTests.growda(["status", "--federation", fed.federation.directory, "--check"])
        #expect(check.code == 1, "\(check.out)\(check.err)")
        #expect(check.out.hasPrefix("degraded:") && check.out.contains("node hospital-2:"))
        let screen = try StatusTests.growda(["status", "--federation", fed.federation.directory])
        #expect(screen.out.contains("claimed") && screen.out.contains("! hospital-2:"))
    }
}
