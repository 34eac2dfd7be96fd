import Foundation
import GrowdaAggregator
import GrowdaCrypto
import GrowdaData
import GrowdaNN
import GrowdaNode
import GrowdaProvisioning
import GrowdaStore
import GrowdaTestKit
import GrowdaTransport
import GrowdaWire
import Testing

/// Real federations over tcp on 127.0.0.1: the aggregator and nodes as they run in production.
@Suite(.serialized) struct LocalFederationTests {
    /// Two nodes train, versions advance, every acknowledged update is counted exactly once, and a
    /// node that joins late starts from the current version through a snapshot.
    @Test func nodesTrainAndALateNodeCatchesUp() throws {
        let fed = try LocalFederation(hospitals: 3, settings: ["fedbuff.k": "2", "fedbuff.max_staleness": "50"])
        let aggregator = try Aggregator(configuration: try fed.aggregatorConfiguration(), logger: testLogger("agg"))
        let aggRun = Background("aggregator") { try aggregator.run() }
        let started = try fed.startNodes(2)
        let agents = started.agents
        var runs = started.runs
        #expect(eventually(seconds: 60) { (aggregator.status()?.version ?? 0) >= 3 })

        // The late node: its first model comes from a snapshot at the current version.
        let versionAtJoin = aggregator.status()!.version
        let late = try NodeAgent.build(fed.nodeConfiguration(2), logger: testLogger("late"))
        runs.append(Background("late") { try late.run() })
        #expect(eventually(seconds: 60) { late.statistics.acknowledged >= 1 })
        let kept = try Model(checkpoint: fed.dir.path("nodes/hospital-3/model.safetensors"))
        #expect(kept.spec.name == "small28")
        let facts = Model.facts(of: try .init(contentsOf: fed.dir.path("nodes/hospital-3/model.safetensors")))
        #expect(UInt64(facts["global_version"] ?? "0")! >= versionAtJoin)

        for agent in agents + [late] { agent.stop() }
        for run in runs { #expect(run.wait(seconds: 30)) }

        // Restart every node on its state folder: each resends what was not acknowledged, then stops.
        var drained: [Int] = []
        for i in 0..<3 {
            var config = fed.nodeConfiguration(i)
            config.maxUpdates = 0
            let again = try NodeAgent.build(config, logger: testLogger("restart"))
            let run = Background("restart\(i)") { try again.run() }
            #expect(run.wait(seconds: 30))
            #expect(run.error == nil)
            drained.append(again.statistics.acknowledged)
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: fed.dir.path("nodes/\(fed.hospitals[i])/outbox"))
                    .isEmpty)
        }
        aggregator.stop()
        #expect(aggRun.wait(seconds: 30))
        #expect(aggRun.error == nil)

        // Exactly once: what each node saw acknowledged (before and after its restart) is what the store
        // durably accepted from it.
        let reader = try StateReader(folder: fed.statePath)
        defer { try? reader.close() }
        let records = Dictionary(uniqueKeysWithValues: try reader.nodes().map { ($0.id, $0) })
        for (i, agent) in (agents + [late]).enumerated() {
            let id = UInt32(i + 1)
            #expect(records[id]?.acceptedCount == agent.statistics.acknowledged + drained[i], "node \(id)")
            #expect(agent.statistics.acknowledged >= 1, "node \(id) contributed")
            #expect(records[id]?.lastHeartbeatAt != nil, "node \(id) heartbeats recorded")
        }
        let history = try reader.history()
        #expect(history.map(\.version) == Array(0...UInt64(history.count - 1)))
    }

    /// Forged, replayed and unknown-sender messages are refused by reason and the aggregator carries on;
    /// a resent update is counted once.
    @Test func refusalsAreCountedAndResendsCountOnce() throws {
        let fed = try LocalFederation(hospitals: 2, settings: ["fedbuff.k": "10"])
        let aggregator = try Aggregator(configuration: try fed.aggregatorConfiguration(), logger: testLogger("agg"))
        let aggRun = Background("aggregator") { try aggregator.run() }
        defer { aggregator.stop(); aggRun.wait(seconds: 20) }

        let bundle = try NodeBundle.read(path: fed.dir.path("bundles/hospital-1.bundle"))
        let context = try ZMQContext()
        let push = try ZMQSocket(.push, context: context)
        try push.connect(bundle.endpoints.updates)
        defer { push.close() }
        let model = try Model(reference: "small28", classes: SyntheticXray.classNames)
        let zero = try model.delta(from: model.parameters)
        let update = UpdateMessage(
            node: bundle.nodeID, seq: 1, baseVersion: 0, sampleCount: 10, metrics: [:], delta: zero)
        let frames = try WireEncoder.encode(update, nodeKey: bundle.nodeKey)
        try push.send(frames)
        try push.send(frames)  // a resend of the same update
        var forged = frames
        forged[1][forged[1].count / 2] ^= 0x01  // one flipped bit in the sealed body
        try push.send(forged)
        let stranger = try SecretBoxKey.generate()
        try push.send(
            try WireEncoder.encode(
                UpdateMessage(node: 99, seq: 1, baseVersion: 0, sampleCount: 10, metrics: [:], delta: zero),
                nodeKey: stranger))

        #expect(
            eventually(seconds: 20) {
                guard let s = aggregator.status() else { return false }
                // settled_seq moves once the update's group commit is durable, which may follow the count.
                return s.accepted == 1 && s.refused["replay"] == 1 && s.refused["bad_mac"] == 1
                    && s.refused["unknown_sender"] == 1
                    && s.nodes.first { $0.id == bundle.nodeID }?.settled_seq == 1
            })
        let status = aggregator.status()!
        #expect(status.accepted == 1)
        #expect(status.buffer_count == 1)
        let row = try #require(status.nodes.first { $0.id == bundle.nodeID })
        #expect(row.accepted == 1 && row.refused == 1 && row.settled_seq == 1)

        // Revoking a node while the aggregator runs: its next update is refused as revoked.
        var federation = try Federation.load(directory: fed.federation.directory)
        _ = try federation.revokeNode(name: "hospital-2")
        let revoked = try NodeBundle.read(path: fed.dir.path("bundles/hospital-2.bundle"))
        #expect(
            eventually(seconds: 10) { aggregator.status()?.nodes.first { $0.id == revoked.nodeID }?.state == .revoked }
        )
        try push.send(
            try WireEncoder.encode(
                UpdateMessage(node: revoked.nodeID, seq: 1, baseVersion: 0, sampleCount: 10, metrics: [:], delta: zero),
                nodeKey: revoked.nodeKey))
        #expect(eventually(seconds: 10) { aggregator.status()?.refused["revoked_sender"] == 1 })
        #expect(aggregator.status()?.accepted == 1)
    }
}
