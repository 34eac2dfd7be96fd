import Foundation
import GrowdaAggregator
import GrowdaNN
import GrowdaNode
import GrowdaProvisioning
import GrowdaStore
import GrowdaTestKit
import GrowdaWire
import Testing

/// A federation whose `federation.conf` sets `wire.codec`: the aggregator announces it, nodes adopt it,
/// their updates shrink, the model still learns, and a top-k node keeps its residual in its state folder
/// under the rule a restart relies on.
@Suite(.serialized) struct CompressionFederationTests {
    @Test func nodesCompressAsTheFederationAnnounces() throws {
        let fed = try LocalFederation(
            hospitals: 2, settings: ["fedbuff.k": "2", "fedbuff.max_staleness": "50", "wire.codec": "topk-int8:0.05"])
        let configuration = try fed.aggregatorConfiguration()
        #expect(configuration.codec == .topK(fraction: 0.05, int8Values: true))
        let aggregator = try Aggregator(configuration: configuration, logger: testLogger("agg"))
        let aggRun = Background("aggregator") { try aggregator.run() }
        let (agents, runs) = try fed.startNodes(2)
        #expect(eventually(seconds: 90) { (aggregator.status()?.version ?? 0) >= 4 })
        for agent in agents { agent.stop() }
        for run in runs { #expect(run.wait(seconds: 30)) }
        let status = try #require(aggregator.status())
        aggregator.stop()
        #expect(aggRun.wait(seconds: 30))

        #expect(status.codec == "topk-int8:0.05")
        #expect(status.refused["bad_encoding", default: 0] == 0)
        // An F32 update of small28 is its parameters' bytes and some header; 5% top-k with int8 values
        // needs 5 bytes per kept value: about 6% of that.
        let raw = try Model(spec: configuration.model).parameterCount * 4
        for node in status.nodes {
            let updates = try #require(node.updates_received)
            #expect(updates >= 1, "\(node.name) sent updates")
            let perUpdate = Double(try #require(node.update_bytes)) / Double(updates)
            #expect(perUpdate < 0.1 * Double(raw), "\(node.name): \(perUpdate) bytes per update, raw \(raw)")
        }

        for (i, name) in fed.hospitals.enumerated() {
            let state = fed.dir.path("nodes/\(name)")
            let nodeStatus = try NodeStatus.read(stateFolder: state)
            #expect(nodeStatus.codec == "topk-int8:0.05")
            #expect((nodeStatus.last_update_bytes ?? .max) < raw / 10)
            // The residual in force is the last update's (next_seq − 1), and it is the only one kept.
            let counters = try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: state + "/node.json"))) as! [String: Any]
            let nextSeq = try #require(counters["next_seq"] as? Int)
            #expect(counters["codec"] as? String == "topk-int8:0.05")
            #expect(try FileManager.default.contentsOfDirectory(atPath: state + "/residual") == ["\(nextSeq - 1).safetensors"])
            let residual = try SafetensorsFileProbe.floatCount(state + "/residual/\(nextSeq - 1).safetensors")
            #expect(residual == raw / 4, "hospital \(i + 1): the residual covers the whole model")
        }

        // The federation switches to int8: after a restart the aggregator announces it. A restarted node's first
        // update may still be top-k (it follows node.json until the first reply); the one after it is int8,
        // carries the last top-k residual whole, and no residual is kept any more.
        var config = try FederationConfig.load(path: fed.configPath)
        try config.set("wire.codec", "int8")
        try config.write(path: fed.configPath, overwrite: true)
        let again = try Aggregator(configuration: try fed.aggregatorConfiguration(), logger: testLogger("agg2"))
        let againRun = Background("aggregator2") { try again.run() }
        var nodeConfig = fed.nodeConfiguration(0)
        nodeConfig.maxUpdates = 2
        let node = try NodeAgent.build(nodeConfig, logger: testLogger("node2"))
        let nodeRun = Background("node2") { try node.run() }
        #expect(nodeRun.wait(seconds: 60))
        #expect(nodeRun.error == nil)
        #expect(node.statistics.acknowledged == 2)
        #expect(eventually(seconds: 10) { again.status() != nil })
        let switched = try #require(again.status())
        again.stop()
        #expect(againRun.wait(seconds: 30))
        #expect(switched.codec == "int8")
        #expect(switched.refused["bad_encoding", default: 0] == 0)
        let firstState = fed.dir.path("nodes/\(fed.hospitals[0])")
        #expect(try NodeStatus.read(stateFolder: firstState).codec == "int8")
        #expect(try FileManager.default.contentsOfDirectory(atPath: firstState + "/residual").isEmpty)

        // The model learned from compressed updates: the last version differs from version 0.
        let reader = try StateReader(folder: fed.statePath)
        defer { try? reader.close() }
        let history = try reader.history()
        #expect(history.count >= 5)
        let first = try Model(checkpoint: fed.statePath + "/" + (history.first?.checkpoint ?? ""))
        let last = try Model(checkpoint: fed.statePath + "/" + (history.last?.checkpoint ?? ""))
        let moved = zip(Array(first.parameters.buffer), Array(last.parameters.buffer)).filter { $0 != $1 }.count
        #expect(moved > first.parameterCount / 20, "only \(moved) of \(first.parameterCount) parameters moved")
    }
}

/// Reads a safetensors file's F32 element count without the model code.
enum SafetensorsFileProbe {
    static func floatCount(_ path: String) throws -> Int {
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let headerLength = data[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        let json = try JSONSerialization.jsonObject(with: Data(data[8..<(8 + headerLength)])) as! [String: Any]
        return json.filter { $0.key != "__metadata__" }.values.reduce(0) { total, entry in
            let shape = (entry as! [String: Any])["shape"] as! [Int]
            return total + shape.reduce(1, *)
        }
    }
}
