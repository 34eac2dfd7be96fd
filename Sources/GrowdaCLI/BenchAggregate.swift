import ArgumentParser
import Dispatch
import Foundation
import GrowdaAggregator
import GrowdaBench
import GrowdaCrypto
import GrowdaFederation
import GrowdaNN
import GrowdaProvisioning
import GrowdaTensor
import GrowdaTransport
import GrowdaWire

/// `growda bench aggregate`: how fast a real aggregator process ingests updates from many senders, and
/// its memory meanwhile.
struct BenchAggregate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate",
        abstract: "The aggregator's ingest rate (wire → decrypt → checks → fold → group commit) and memory.",
        discussion: """
            For each model and sender count, starts `growda serve` as a separate process on a throw-away \
            federation with its default settings (queue limits, durability: every update is on disk, \
            fsynced in a group commit, before it is acknowledged) except FedBuff's K = 10 and no staleness \
            bound, and simulates --senders nodes over tcp on 127.0.0.1, each with its own ZeroMQ \
            connection. Each sender first sends one update, untimed, to warm the aggregator up (a \
            long-running one has update-sized buffers in its heap; a cold one has the kernel zero fresh \
            pages); then --per-sender pre-sealed updates of the model's size, timed (at most --in-flight \
            unacknowledged). What the aggregator's full queue drops is resent, as a node does: \
            a sender watches its node's settled sequence number in the aggregator's status and resends an \
            update not acknowledged after --resend-after seconds. The rate is updates accepted over the \
            time from the first send until all are acknowledged, drops and resend waits included. Beside \
            it: this machine's raw crypto_secretbox_open rate for that size, measured in the same run, and \
            the aggregator's resident memory: before the first send, the highest VmRSS sampled every 50 ms, \
            and the kernel's VmHWM. The senders share this machine's cores with the aggregator.
            """)

    @Option(help: "Reference models whose update size to measure, comma-separated (small28, xray128, ecg187).")
    var models = "small28,xray128"

    @Option(help: "Sender counts to measure, comma-separated.")
    var senders = "10,50,100"

    @Option(parsing: .unconditional, help: "Updates each sender sends per measurement.")
    var perSender = 2

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Updates a sender keeps unacknowledged at once (growda-node keeps 1: it trains again only once "
                + "acknowledged); 0: all of --per-sender, like a backlog. Above 1 a sender outruns admission, "
                + "which counts one update per node.",
            valueName: "n"))
    var inFlight = 1

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Seconds a sender waits for an update's acknowledgement before resending it, doubled at each "
                + "resend of it up to 8× (growda-node waits 10).",
            valueName: "seconds"))
    var resendAfter: Double = 10

    @Flag(help: "Print the rows as one JSON array (one object per model and sender count).")
    var json = false

    /// One measurement (JSON keys are stable).
    struct Row: Codable {
        var model: String
        /// Bytes of one sealed update's body frame.
        var update_bytes: Int
        var senders: Int
        var per_sender: Int
        /// Updates sent (senders × per_sender).
        var updates: Int
        /// Updates the aggregator accepted.
        var accepted: Int
        /// Updates acknowledged without being accepted (refused, or passed by a later seq of the same
        /// sender accepted first: the aggregator acknowledges the highest seq settled).
        var settled_unaccepted: Int
        /// From the first send until every update was acknowledged.
        var seconds: Double
        /// accepted / seconds.
        var updates_per_s: Double
        var raw_open_per_s: Double
        var fraction_of_raw_open: Double
        /// Messages the aggregator's full queue dropped (its status `queue_dropped`).
        var queue_dropped: Int
        /// Updates sent again for want of an acknowledgement.
        var resent: Int
        /// Resends that arrived after the first copy was accepted (refused as replays).
        var replays_refused: Int
        /// The aggregator's queue capacity in messages (its default).
        var queue_capacity: Int
        /// VmRSS when every update was acknowledged.
        var aggregator_rss_bytes: Int
        /// VmHWM: the kernel's peak of VmRSS over the aggregator's life.
        var aggregator_peak_rss_bytes: Int
        /// VmRSS before the first send.
        var aggregator_idle_rss_bytes: Int
        /// The highest VmRSS sampled (every 50 ms) during the run.
        var aggregator_sampled_peak_rss_bytes: Int
        var rss_samples: Int
    }

    func validate() throws {
        guard senderCounts.count >= 1, senderCounts.count == senders.split(separator: ",").count,
            senderCounts.allSatisfy({ $0 >= 1 && $0 <= 500 })
        else {
            throw ValidationError("--senders takes comma-separated counts in 1…500, e.g. 10,50,100")
        }
        let known = ModelSpec.referenceNames
        guard !modelNames.isEmpty, modelNames.allSatisfy(known.contains) else {
            throw ValidationError(
                "--models takes comma-separated names among \(known.joined(separator: ", ")), got \(models)")
        }
        guard perSender >= 1 else { throw ValidationError("--per-sender must be at least 1") }
        guard inFlight >= 0 else { throw ValidationError("--in-flight must be 0 (all) or more") }
        guard resendAfter > 0, resendAfter <= 60 else {
            throw ValidationError("--resend-after must be greater than 0 and at most 60 seconds, got \(resendAfter)")
        }
    }

    /// The table's header, aligned with ``line(_:)``.
    static let header =
        "model    update      senders  updates  seconds  updates/s  raw open/s  fraction  dropped  resent"
        + "  RSS idle  RSS peak  VmHWM"

    /// One row of the table; sizes in MiB (the --json rows keep bytes).
    static func line(_ r: Row) -> String {
        r.model.padding(toLength: 9, withPad: " ", startingAt: 0)
            + String(
                format: "%6.2f MiB  %7d  %7d  %7.2f  %9.1f  %10.1f  %8.3f  %7d  %6d  %4d MiB  %4d MiB  %3d MiB",
                Double(r.update_bytes) / Double(1 << 20), r.senders, r.updates, r.seconds, r.updates_per_s,
                r.raw_open_per_s, r.fraction_of_raw_open, r.queue_dropped, r.resent,
                r.aggregator_idle_rss_bytes >> 20, r.aggregator_sampled_peak_rss_bytes >> 20,
                r.aggregator_peak_rss_bytes >> 20)
    }

    var senderCounts: [Int] {
        senders.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }
    var modelNames: [String] { models.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    /// How often the aggregator's status (acknowledgements) and its VmRSS are read during a run.
    static let statusInterval = 0.02
    static let memoryInterval = 0.05

    func run() async throws {
        var rows: [Row] = []
        for modelName in modelNames {
            let classes = (0..<(["small28": 2, "xray128": 3, "ecg187": 5][modelName] ?? 3)).map { "c\($0)" }
            for count in senderCounts {
                if !json { Terminal.note("\(modelName) from \(count) senders…") }
                let row = try measure(model: modelName, classes: classes, senders: count)
                if !json {
                    Terminal.note(
                        "  \(row.accepted) accepted in \(fmt(row.seconds, 2)) s, \(row.queue_dropped) dropped, "
                            + "\(row.resent) resent")
                }
                rows.append(row)
            }
        }
        if json {
            try Terminal.printJSON(rows)
            return
        }
        print(Self.header)
        for r in rows { print(Self.line(r)) }
        for model in modelNames {
            let mine = rows.filter { $0.model == model }.sorted { $0.senders < $1.senders }
            guard let fewest = mine.first, let most = mine.last, most.senders > fewest.senders else { continue }
            let (low, high) = (fewest.aggregator_sampled_peak_rss_bytes, most.aggregator_sampled_peak_rss_bytes)
            print(
                "\(model): aggregator peak RSS \(low >> 20) MiB at \(fewest.senders) senders, \(high >> 20) MiB at "
                    + "\(most.senders) (×\(fmt(Double(high) / Double(max(low, 1)), 2)))")
        }
        if let first = rows.first {
            print(
                "Aggregator defaults: queue of \(first.queue_capacity) messages, durability full. Senders: "
                    + (inFlight == 0 ? "all updates in flight" : "\(inFlight) update(s) in flight")
                    + ", resend after \(fmt(resendAfter, 1)) s (doubling, up to 8×).")
            if rows.contains(where: { $0.settled_unaccepted > 0 }) {
                print(
                    "Some updates were acknowledged without being accepted (settled_unaccepted in --json): refused, "
                        + "or passed by a later update of the same sender accepted first.")
            }
        }
    }

    private func measure(model modelName: String, classes: [String], senders count: Int) throws -> Row {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("growda-bench-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Every update is trained from version 0; versions advance as they come, so none may be stale.
        let (federation, nodes) = try Federation.createLocal(
            directory: root + "/federation", model: modelName, classes: classes,
            settings: [.init("fedbuff.k", "10"), .init("fedbuff.max_staleness", "100000")],
            nodes: (1...count).map { "sender-\($0)" }, bundles: root + "/bundles")

        // Sealed updates, made before the clock starts (zero deltas: the maths is the same).
        let model = try Model(reference: modelName, classes: classes)
        let delta = try model.delta(from: model.parameters)
        var fleet: [SimulatedSenders.Sender] = []
        for added in nodes {
            let updates = try (1...perSender + 1).map { seq in
                let frames = try WireEncoder.encode(
                    UpdateMessage(
                        node: added.record.id, seq: UInt64(seq), baseVersion: 0, sampleCount: 100, metrics: [:],
                        delta: delta),
                    nodeKey: added.bundle.nodeKey)
                return frames.map { bytes in
                    Frame(count: bytes.count) { out in bytes.withUnsafeBytes { out.copyMemory(from: $0) } }
                }
            }
            let bundle = added.bundle
            fleet.append(
                .init(
                    node: added.record.id, updates: updates,
                    keyring: NodeKeyring(
                        node: bundle.nodeID, nodeKey: bundle.nodeKey, modelKey: bundle.modelKey,
                        verifyKey: bundle.aggregatorVerifyKey)))
        }
        let bytes = fleet[0].updates[0][1].count
        let total = count * perSender
        let endpoints = try federation.config.nodeEndpoints()
        let endpoint = endpoints.updates
        let rawRate = try Self.rawOpenRate(bytes: bytes)

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
        let client = StatusClient(endpoint: try StatusEndpoint.federation(federation.directory), timeout: 10)
        let ready = Date().addingTimeInterval(30)
        while (try? client.fetch()) == nil {
            guard Date() < ready, server.isRunning else {
                throw CLIError("bench aggregate: the aggregator did not start")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }

        // Warm-up, not timed: every sender's first update. A long-running aggregator's heap already holds
        // update-sized buffers; a cold one spends its first burst having the kernel zero fresh pages.
        let idle = MemorySampler.memory(of: server.processIdentifier).rss
        let warmUp = SimulatedSenders(
            fleet.map { .init(node: $0.node, updates: [$0.updates[0]], keyring: $0.keyring) }, endpoint: endpoint,
            snapshots: endpoints.snapshots, window: 1, resendAfter: resendAfter)
        _ = try run(
            warmUp, server: server, client: client, label: "\(modelName), \(count) senders, warm-up", total: count)

        let senders = SimulatedSenders(
            fleet.map {
                .init(node: $0.node, updates: Array($0.updates.dropFirst()), firstSeq: 2, keyring: $0.keyring)
            },
            endpoint: endpoint, snapshots: endpoints.snapshots, window: inFlight == 0 ? perSender : inFlight,
            resendAfter: resendAfter)
        let sampler = MemorySampler(pid: server.processIdentifier, interval: Self.memoryInterval)
        sampler.start()
        defer { sampler.stop() }
        let before = try client.fetch()
        let seconds = try run(
            senders, server: server, client: client, label: "\(modelName), \(count) senders", total: total)
        senders.stop()
        let sampled = sampler.stop()
        let (rss, hwm) = MemorySampler.memory(of: server.processIdentifier)
        let final = try client.fetch()  // all settled; a resend still on the wire may yet count as a replay
        let counters = senders.state.counters
        let accepted = final.accepted - before.accepted
        let rate = Double(accepted) / seconds
        return Row(
            model: modelName, update_bytes: bytes, senders: count, per_sender: perSender, updates: total,
            accepted: accepted, settled_unaccepted: total - accepted, seconds: seconds,
            updates_per_s: rate, raw_open_per_s: rawRate, fraction_of_raw_open: rate / rawRate,
            queue_dropped: final.queue_dropped - before.queue_dropped, resent: counters.resent,
            replays_refused: (final.refused["replay"] ?? 0) - (before.refused["replay"] ?? 0),
            queue_capacity: final.queue_capacity, aggregator_rss_bytes: rss, aggregator_peak_rss_bytes: hwm,
            aggregator_idle_rss_bytes: idle, aggregator_sampled_peak_rss_bytes: max(sampled.peak, rss),
            rss_samples: sampled.samples)
    }

    /// Connects `senders`, lets them send, and feeds them the aggregator's acknowledgements until all of
    /// their `total` updates are acknowledged, showing progress; stops them. Returns the seconds from
    /// the first send until all were acknowledged.
    private func run(
        _ senders: SimulatedSenders, server: Process, client: StatusClient, label: String, total: Int
    ) throws -> Double {
        try senders.start(threads: 4)
        defer { senders.stop() }
        Thread.sleep(forTimeInterval: 0.3)  // let every tcp connection complete
        let progress = Terminal.ProgressLine()
        defer { progress.finish() }
        let before = try client.fetch().accepted
        let start = DispatchTime.now().uptimeNanoseconds
        senders.go()
        var accepted = 0
        let deadline = Date().addingTimeInterval(600)
        while !senders.allSettled {
            guard Date() < deadline else {
                throw CLIError(
                    "bench aggregate: after 600 s only \(accepted) of \(total) updates were accepted (\(label)); "
                        + "is the aggregator overloaded? try fewer --senders")
            }
            if let failure = senders.state.failure { throw CLIError("bench aggregate: a sender failed: \(failure)") }
            guard server.isRunning else { throw CLIError("bench aggregate: the aggregator exited during the run") }
            Thread.sleep(forTimeInterval: Self.statusInterval)
            guard let s = try? client.fetch() else { continue }
            accepted = s.accepted - before
            senders.acknowledge(Dictionary(s.nodes.map { ($0.id, $0.settled_seq) }, uniquingKeysWith: max))
            progress.update(
                fraction: Double(accepted) / Double(total),
                "\(label): \(accepted)/\(total) accepted, \(s.queue_dropped) dropped, \(senders.state.counters.resent) resent"
            )
        }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// crypto_secretbox_open of a `bytes`-long box, per second, on one core (about 0.2 GB of work).
    static func rawOpenRate(bytes: Int) throws -> Double {
        let key = try SecretBoxKey.generate()
        let sealed = try SecretBox.seal([UInt8](repeating: 1, count: bytes - 16), key: key)
        var out = [UInt8](repeating: 0, count: bytes)
        let runs = max(10, 200_000_000 / bytes)
        let t0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<runs {
            try sealed.ciphertext.withUnsafeBytes { c in
                try out.withUnsafeMutableBytes { o in _ = try SecretBox.open(c, nonce: sealed.nonce, key: key, into: o)
                }
            }
        }
        return Double(runs) / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    }
}
