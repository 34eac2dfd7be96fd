import Foundation
import GrowdaNode
import GrowdaStore
import GrowdaTestKit
import Testing

/// kill -9 of the aggregator and of a node, as real processes, mid-run.
@Suite(.serialized) struct CrashTests {
    static func launch(_ executable: String, _ arguments: [String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = productsDirectory().appendingPathComponent(executable)
        process.arguments = arguments
        #expect(FileManager.default.createFile(atPath: log, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    static func version(_ statePath: String) -> UInt64 {
        guard let reader = try? StateReader(folder: statePath) else { return 0 }
        defer { try? reader.close() }
        return (try? reader.history().last?.version) ?? 0
    }

    /// With F32 updates, and with top-k updates whose node keeps a residual between them.
    @Test(arguments: ["none", "topk-int8:0.05"])
    func aggregatorAndNodeSurviveKillNine(codec: String) throws {
        let fed = try LocalFederation(
            hospitals: 2, settings: ["fedbuff.k": "2", "fedbuff.max_staleness": "1000", "wire.codec": codec])
        let serve = ["serve", "--config", fed.configPath, "--log-level", "warning"]
        var aggregator = try Self.launch("growda", serve, log: fed.dir.path("aggregator-1.log"))

        // Node 1 in this process (exact counters); node 2 as a growda-node process.
        let agent = try NodeAgent.build(fed.nodeConfiguration(0), logger: testLogger("node1"))
        let agentRun = Background("node1") { try agent.run() }
        let n2 = fed.nodeConfiguration(1)
        let nodeArgs = [
            "run", "--bundle", n2.bundlePath, "--data", n2.dataPath, "--state", n2.statePath, "--batch", "6",
            "--heartbeat", "0.3", "--resend-after", "1", "--log-level", "warning",
        ]
        var node2 = try Self.launch("growda-node", nodeArgs, log: fed.dir.path("node2-1.log"))

        #expect(eventually(seconds: 90) { Self.version(fed.statePath) >= 3 })
        kill(aggregator.processIdentifier, SIGKILL)
        aggregator.waitUntilExit()
        let versionAtCrash = Self.version(fed.statePath)

        // While the aggregator is down, kill node 2 too; then bring both back.
        Thread.sleep(forTimeInterval: 0.5)
        kill(node2.processIdentifier, SIGKILL)
        node2.waitUntilExit()
        aggregator = try Self.launch("growda", serve, log: fed.dir.path("aggregator-2.log"))
        node2 = try Self.launch("growda-node", nodeArgs, log: fed.dir.path("node2-2.log"))
        #expect(eventually(seconds: 90) { Self.version(fed.statePath) >= versionAtCrash + 3 })

        // Stop the nodes, let each drain what is unacknowledged, then stop the aggregator gracefully.
        agent.stop()
        #expect(agentRun.wait(seconds: 30))
        node2.terminate()
        node2.waitUntilExit()
        #expect(node2.terminationStatus == 0)
        var acknowledged = agent.statistics.acknowledged
        for i in 0..<2 {
            var config = fed.nodeConfiguration(i)
            config.maxUpdates = 0
            let again = try NodeAgent.build(config, logger: testLogger("drain"))
            let run = Background("drain\(i)") { try again.run() }
            #expect(run.wait(seconds: 30))
            if i == 0 { acknowledged += again.statistics.acknowledged }
        }
        aggregator.terminate()
        aggregator.waitUntilExit()
        #expect(aggregator.terminationStatus == 0)

        let reader = try StateReader(folder: fed.statePath)
        defer { try? reader.close() }
        let nodes = Dictionary(uniqueKeysWithValues: try reader.nodes().map { ($0.id, $0) })
        // Node 1: every acknowledged update accepted exactly once.
        #expect(nodes[1]?.acceptedCount == acknowledged)
        // Node 2 (killed and restarted): every update it ever made (seq 1…next-1) accepted exactly once.
        let counters =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: n2.statePath + "/node.json"))) as! [String: Any]
        let made = (counters["next_seq"] as! Int) - 1
        #expect(made >= 1)
        #expect(nodes[2]?.acceptedCount == made)
        #expect(nodes[2]?.settledSeq == UInt64(made))
        // Versions never went backwards, and the history has no gap.
        let history = try reader.history()
        #expect(history.last!.version >= versionAtCrash + 3)
        #expect(history.map(\.version) == Array(0...history.last!.version))
        // Top-k: the residual in force is the last update's, alone; nothing was refused as a bad encoding.
        let residuals = (try? FileManager.default.contentsOfDirectory(atPath: n2.statePath + "/residual")) ?? []
        #expect(residuals == (codec == "none" ? [] : ["\(made).safetensors"]))
        #expect(try reader.refusals().filter { $0.reason == "bad_encoding" }.isEmpty)
    }
}
