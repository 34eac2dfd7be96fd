import ArgumentParser
import Dispatch
import Foundation
import GrowdaCrypto
import GrowdaFederation
import GrowdaNN
import GrowdaProvisioning
import GrowdaTensor
import GrowdaTransport
import GrowdaWire

/// `growda bench aggregate`: how fast a real aggregator process ingests updates, and its memory.
struct BenchAggregate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate",
        abstract: "The aggregator's ingest rate (wire → decrypt → checks → durable record → fold) and memory.",
        discussion: """
            Starts `growda serve` as a separate process on a throw-away federation of --senders nodes, \
            pushes pre-sealed small28- and xray128-sized updates from 10, 50 and 100 simulated senders over \
            tcp on 127.0.0.1, and times until the aggregator has accepted them all (durability on: every \
            update is fsynced before it counts). Next to each rate: this machine's raw \
            crypto_secretbox_open rate for that size, measured in the same run, and the aggregator's \
            resident memory (VmRSS, and the peak VmHWM).
            """)

    @Option(help: "Sender counts to measure, comma-separated.")
    var senders = "10,50,100"

    @Option(help: "Updates each sender sends per measurement.")
    var perSender = 2

    @Flag(help: "Print one JSON object.")
    var json = false

    /// One measurement (JSON keys are stable).
    struct Row: Codable {
        var model: String
        var update_bytes: Int
        var senders: Int
        var updates: Int
        var updates_per_s: Double
        var raw_open_per_s: Double
        var fraction_of_raw_open: Double
        var aggregator_rss_bytes: Int
        var aggregator_peak_rss_bytes: Int
    }

    func validate() throws {
        guard senderCounts.count >= 1, senderCounts.allSatisfy({ $0 >= 1 && $0 <= 500 }) else {
            throw ValidationError("--senders takes comma-separated counts in 1…500, e.g. 10,50,100")
        }
        guard perSender >= 1 else { throw ValidationError("--per-sender must be at least 1") }
    }

    var senderCounts: [Int] { senders.split(separator: ",").compactMap { Int($0) } }

    func run() async throws {
        var rows: [Row] = []
        for (modelName, classes) in [("small28", ["a", "b"]), ("xray128", ["a", "b", "c"])] {
            for count in senderCounts {
                if !json { Terminal.note("measuring \(modelName) from \(count) senders…") }
                rows.append(try measure(model: modelName, classes: classes, senders: count))
            }
        }
        if json {
            try Terminal.printJSON(rows)
            return
        }
        print("model    update    senders  updates  updates/s  raw open/s  fraction  aggregator RSS (peak)")
        for r in rows {
            print(
                r.model.padding(toLength: 9, withPad: " ", startingAt: 0)
                    + String(format: "%5.1f MB  %7d  %7d  %9.1f  %10.1f  %8.2f  %4d MiB (%d MiB)",
                        Double(r.update_bytes) / 1e6, r.senders, r.updates, r.updates_per_s, r.raw_open_per_s,
                        r.fraction_of_raw_open, r.aggregator_rss_bytes >> 20, r.aggregator_peak_rss_bytes >> 20))
        }
    }

    private func measure(model modelName: String, classes: [String], senders: Int) throws -> Row {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("growda-bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        var federation = try Federation.create(directory: root + "/federation")
        var config = federation.config
        let ports = try FreePorts.take(4)
        for (key, port) in zip(
            [FederationConfig.Key.updatesPort, FederationConfig.Key.modelsPort, FederationConfig.Key.snapshotsPort,
             "port.status"], ports)
        {
            try config.set(key, String(port))
        }
        try config.set("model.name", modelName)
        try config.set("model.classes", classes.joined(separator: ","))
        try config.set("fedbuff.k", "10")
        try config.set("fedbuff.max_staleness", "100000")
        try config.set("queue.capacity", "256")
        try config.set("queue.max_bytes", String(2 << 30))
        try config.write(path: federation.configPath, overwrite: true)
        federation = try Federation.load(directory: root + "/federation")
        try FileManager.default.createDirectory(atPath: root + "/bundles", withIntermediateDirectories: true)
        var keys: [(UInt32, SecretBoxKey)] = []
        for i in 1...senders {
            let added = try federation.addNode(name: "sender-\(i)", bundlePath: root + "/bundles/\(i).bundle")
            keys.append((added.record.id, added.bundle.nodeKey))
        }

        // Sealed updates, made before the clock starts (zero deltas: the maths is the same).
        let model = try Model(reference: modelName, classes: classes)
        let delta = try model.delta(from: model.parameters)
        var messages: [[[UInt8]]] = []
        for seq in 1...perSender {
            for (id, key) in keys {
                let update = UpdateMessage(
                    node: id, seq: UInt64(seq), baseVersion: 0, sampleCount: 100, metrics: [:], delta: delta)
                messages.append(try WireEncoder.encode(update, nodeKey: key))
            }
        }
        let bytes = messages[0][1].count

        // Raw secretbox_open for this size.
        let key = try SecretBoxKey.generate()
        let sealed = try SecretBox.seal([UInt8](repeating: 1, count: bytes - 16), key: key)
        var out = [UInt8](repeating: 0, count: bytes)
        let rawRuns = max(10, 200_000_000 / bytes)
        let t0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<rawRuns {
            try sealed.ciphertext.withUnsafeBytes { c in
                try out.withUnsafeMutableBytes { o in _ = try SecretBox.open(c, nonce: sealed.nonce, key: key, into: o) }
            }
        }
        let rawRate = Double(rawRuns) / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)

        // The aggregator, as its own process.
        let server = Process()
        server.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        server.arguments = ["serve", "--config", federation.configPath, "--log-level", "error"]
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        server.environment = environment
        try server.run()
        defer {
            if server.isRunning { server.terminate() }
            server.waitUntilExit()
        }
        let client = StatusClient(endpoint: try StatusEndpoint.federation(federation.directory), timeout: 2)
        let ready = Date().addingTimeInterval(30)
        while (try? client.fetch()) == nil {
            guard Date() < ready, server.isRunning else { throw CLIError("bench aggregate: the aggregator did not start") }
            Thread.sleep(forTimeInterval: 0.1)
        }

        let context = try ZMQContext()
        var socketConfig = SocketConfiguration()
        socketConfig.sendHighWaterMark = 1000
        let push = try ZMQSocket(.push, context: context, configuration: socketConfig)
        defer { push.close() }
        try push.connect(federation.config.nodeEndpoints().updates)
        Thread.sleep(forTimeInterval: 0.3)
        let start = DispatchTime.now().uptimeNanoseconds
        for frames in messages { try push.send(frames) }
        var accepted = 0
        let deadline = Date().addingTimeInterval(600)
        while accepted < messages.count {
            guard Date() < deadline else { throw CLIError("bench aggregate: only \(accepted) of \(messages.count) accepted") }
            Thread.sleep(forTimeInterval: 0.05)
            if let status = try? client.fetch() {
                accepted = status.accepted
                if status.queue_dropped > 0 && !json { Terminal.note("  (queue dropped \(status.queue_dropped))") }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let (rss, peak) = Self.memory(of: server.processIdentifier)
        let rate = Double(messages.count) / seconds
        return Row(
            model: modelName, update_bytes: bytes, senders: senders, updates: messages.count, updates_per_s: rate,
            raw_open_per_s: rawRate, fraction_of_raw_open: rate / rawRate, aggregator_rss_bytes: rss,
            aggregator_peak_rss_bytes: peak)
    }

    /// VmRSS and VmHWM of a process, in bytes (Linux /proc).
    static func memory(of pid: Int32) -> (Int, Int) {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return (Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0) * 1024
        }
        return (field("VmRSS"), field("VmHWM"))
    }
}
