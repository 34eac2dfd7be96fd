import Foundation
import GrowdaAggregator
import GrowdaCrypto
import GrowdaNode
import GrowdaProvisioning
import GrowdaTestKit
import Testing

/// Revoking a hospital while the federation runs: the model key is rotated, the other hospitals take the
/// new key from their snapshot replies and go on adopting new versions with their bundles untouched, and
/// the revoked one is told, stops with `NodeError.revoked`, holds no model made after the revocation, and
/// refuses to start again.
@Suite(.serialized) struct RevocationTests {
    @Test func revocationRotatesTheModelKeyAndStopsTheRevokedNode() throws {
        let fed = try LocalFederation(hospitals: 3, settings: ["fedbuff.k": "1", "fedbuff.max_staleness": "100"])
        let bundles = try fed.hospitals.map { try Data(contentsOf: URL(fileURLWithPath: fed.dir.path("bundles/\($0).bundle"))) }
        let aggregator = try Aggregator(configuration: try fed.aggregatorConfiguration(), logger: testLogger("agg"))
        let aggRun = Background("aggregator") { try aggregator.run() }
        defer {
            aggregator.stop()
            aggRun.wait(seconds: 20)
        }
        var agents: [NodeAgent] = []
        var runs: [Background] = []
        for i in 0..<3 {
            let agent = try NodeAgent.build(fed.nodeConfiguration(i), logger: testLogger("node"))
            agents.append(agent)
            runs.append(Background("node\(i)") { try agent.run() })
        }
        defer {
            for agent in agents { agent.stop() }
            for run in runs { run.wait(seconds: 30) }
        }
        #expect(eventually(seconds: 60) { (aggregator.status()?.version ?? 0) >= 3 })

        var federation = try Federation.load(directory: fed.federation.directory)
        let oldModelKey = try federation.modelKey()
        try federation.revokeNode(name: "hospital-3")
        let newModelKey = try federation.modelKey()
        #expect(newModelKey != oldModelKey)

        // The revoked node is told and stops.
        #expect(runs[2].wait(seconds: 20), "the revoked node did not stop")
        guard case .revoked(let id, let name) = runs[2].error as? NodeError else {
            Issue.record("the revoked node ended with \(String(describing: runs[2].error))")
            return
        }
        #expect(name == "hospital-3" && id == agents[2].bundle.nodeID)
        let revokedAt = try #require(aggregator.status()?.version)
        let revokedStatus = try NodeStatus.read(stateFolder: fed.nodeConfiguration(2).statePath)
        #expect(revokedStatus.revoked && revokedStatus.exitCode == 2)

        // The others go on: they hold the new model key (from their snapshot replies) and adopt later versions.
        #expect(
            eventually(seconds: 60) {
                (0..<2).allSatisfy { i in
                    ((try? NodeStatus.read(stateFolder: fed.nodeConfiguration(i).statePath))?.model_version ?? 0)
                        >= revokedAt + 3
                }
            })
        for i in 0..<2 {
            let held = try KeyFile.read(SecretBoxKey.self, path: fed.nodeConfiguration(i).statePath + "/model.key")
            #expect(held == newModelKey)
        }
        // No bundle was re-issued; the revoked node never saw a model made after its revocation.
        #expect(
            try fed.hospitals.map { try Data(contentsOf: URL(fileURLWithPath: fed.dir.path("bundles/\($0).bundle"))) }
                == bundles)
        let revokedHeld = try NodeStatus.read(stateFolder: fed.nodeConfiguration(2).statePath).model_version ?? 0
        #expect(revokedHeld <= revokedAt)
        #expect(aggregator.status()?.nodes.last?.state == .revoked)

        // It refuses to start again from the same state folder.
        #expect {
            _ = try NodeAgent.build(fed.nodeConfiguration(2), logger: testLogger("node"))
        } throws: { error in
            if case .revoked = error as? NodeError { return true }
            return false
        }
    }
}
