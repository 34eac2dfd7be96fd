import ArgumentParser
import Foundation
import GrowdaAggregator
import GrowdaProvisioning
import GrowdaTestKit
import GrowdaTransport
import Testing

@testable import GrowdaCLI

/// `growda status`, `nodes` and `history` without an aggregator: flags, the health check, the screen, the
/// JSON object, and a dead endpoint.
@Suite struct StatusCommandTests {
    static func parseError(_ arguments: [String]) -> String? { DataCommandTests.parseError(arguments) }

    /// A status as the aggregator would send it, with `changes` applied to its JSON keys.
    static func status(
        _ changes: [String: Any] = [:], nodes: [(String, String)] = [("a", "alive"), ("b", "idle")]
    )
        throws -> AggregatorStatus
    {
        var object: [String: Any] = [
            "mode": "async", "version": 12, "seconds_since_version": 3.5, "buffer_count": 1, "buffer_target": 4,
            "queue_waiting": 0, "queue_capacity": 64, "queue_dropped": 0, "received": 100, "bytes_received": 5000,
            "accepted": 40, "received_last_minute": 30, "refused_last_minute": 1,
            "received_per_second_last_minute": 0.5, "accepted_per_second_last_minute": 0.2,
            "refused": ["stale": 3, "bad_mac": 1], "staleness_p50": 1.0, "staleness_p95": 2.0, "staleness_max": 3,
            "versions_per_hour": 120.0, "uptime_seconds": 360.0, "resident_bytes": 50 << 20,
            "eval_history": [
                ["version": 10, "accuracy": 0.5, "auc": 0.6], ["version": 11, "accuracy": 0.7, "auc": 0.8],
                ["version": 12, "accuracy": 0.9, "auc": 0.95],
            ],
        ]
        object["nodes"] = nodes.enumerated().map { i, node in
            [
                "id": i + 1, "name": node.0, "state": node.1, "last_heard_seconds": 0.4, "version_held": 12,
                "accepted": 20, "refused": 0, "settled_seq": 20, "unacked": 0,
                "last_metrics": ["loss": 0.41234, "accuracy": 0.83, "samples": 18],
            ] as [String: Any]
        }
        object.merge(changes) { $1 }
        let data = try JSONSerialization.data(withJSONObject: object)
        return try JSONDecoder().decode(AggregatorStatus.self, from: data)
    }

    static var thresholds: HealthThresholds { try! HealthThresholds.parse([]) }

    @Test func connectionFlagsAreChecked() {
        #expect(Self.parseError(["status"])?.contains("Give --federation DIR, or --endpoint URL") == true)
        #expect(
            Self.parseError(["status", "--federation", "f", "--endpoint", "tcp://127.0.0.1:1", "--admin-key", "k"])?
                .contains("not both") == true)
        #expect(Self.parseError(["status", "--endpoint", "tcp://127.0.0.1:7704"])?.contains("--admin-key") == true)
        #expect(Self.parseError(["status", "--admin-key", "k"])?.contains("--endpoint") == true)
        #expect(
            Self.parseError(["status", "--endpoint", "127.0.0.1:7704", "--admin-key", "k"])?
                .contains("tcp://127.0.0.1:7704") == true)
        #expect(
            Self.parseError(["status", "--federation", "f", "--timeout", "0"])
                == "--timeout must be greater than 0 and at most 600 seconds, got 0.0.")
        #expect(Self.parseError(["status", "--endpoint", "tcp://127.0.0.1:7704", "--admin-key", "k"]) == nil)
        #expect(Self.parseError(["nodes"])?.contains("--federation") == true)
        #expect(Self.parseError(["nodes", "--federation", "f", "--json"]) == nil)
    }

    @Test func statusModesAndThresholdsAreChecked() {
        let base = ["status", "--federation", "f"]
        #expect(Self.parseError(base + ["--watch", "0"]) == "--watch must be between 0.2 and 86400 seconds, got 0.0.")
        #expect(Self.parseError(base + ["--watch", "2", "--check"]) == "Give either --watch or --check, not both.")
        #expect(
            Self.parseError(base + ["--check", "--max-queue-fraction", "1.5"])?.contains("between 0 and 1") == true)
        #expect(Self.parseError(base + ["--max-version-age", "0"])?.contains("--max-version-age") == true)
        #expect(Self.parseError(base + ["--check", "--json", "--max-lost-fraction", "1"]) == nil)
        #expect(Self.parseError(base + ["--watch", "1", "--json"]) == nil)
    }

    @Test func historyAndServeFlagsAreChecked() {
        #expect(Self.parseError(["history"]) == "Give --state DIR or --federation DIR.")
        #expect(Self.parseError(["history", "--state", "s", "--federation", "f"])?.contains("not both") == true)
        #expect(
            Self.parseError(["history", "--state", "s", "--json", "--csv"]) == "Give either --json or --csv, not both.")
        #expect(Self.parseError(["history", "--state", "s", "--csv"]) == nil)
        let serve = ["serve", "--config", "f/federation.conf"]
        #expect(Self.parseError(serve + ["--metrics-port", "0"])?.contains("--metrics-port") == true)
        #expect(
            Self.parseError(serve + ["--metrics-port", "9100", "--metrics-host", "localhost"])?.contains("IP") == true)
        #expect(Self.parseError(serve + ["--metrics-port", "9100", "--metrics-host", "::1"]) == nil)
    }

    @Test func healthyWhenNothingCrossesAThreshold() throws {
        let status = try Self.status()
        let report = HealthReport(status, thresholds: Self.thresholds)
        #expect(report.level == .healthy && report.problems.isEmpty)
        #expect(report.line(status) == "healthy: version 12 (3.5s ago), 2 of 2 nodes alive, queue 0/64")
    }

    @Test func lostNodesAreDegradedThenCritical() throws {
        let one = try Self.status(nodes: [("a", "alive"), ("b", "lost"), ("c", "training"), ("d", "revoked")])
        let degraded = HealthReport(one, thresholds: Self.thresholds)
        #expect(degraded.level == .degraded)
        #expect(degraded.problems == ["1 of 3 nodes lost (b)"])
        let two = try Self.status(nodes: [("a", "lost"), ("b", "lost"), ("c", "training")])
        #expect(HealthReport(two, thresholds: Self.thresholds).level == .critical)
        // Exactly half is not "most".
        let half = try Self.status(nodes: [("a", "lost"), ("b", "alive")])
        #expect(HealthReport(half, thresholds: Self.thresholds).level == .degraded)
    }

    @Test func anOldVersionCountsOnlyWhileNodesAreAlive() throws {
        let thresholds = try HealthThresholds.parse(["--max-version-age", "60"])
        let old = HealthReport(try Self.status(["seconds_since_version": 90.0]), thresholds: thresholds)
        #expect(old.level == .degraded)
        #expect(old.problems == ["no new version for 1m30s (over 1m00s) while 2 nodes are alive"])
        #expect(
            HealthReport(try Self.status(["seconds_since_version": 121.0]), thresholds: thresholds).level == .critical)
        let idle = try Self.status(["seconds_since_version": 500.0], nodes: [("a", "never seen"), ("b", "revoked")])
        #expect(HealthReport(idle, thresholds: thresholds).level == .healthy)
    }

    @Test func aFullQueueAndManyRefusalsAreDegraded() throws {
        let queue = HealthReport(try Self.status(["queue_waiting": 52]), thresholds: Self.thresholds)
        #expect(queue.level == .degraded && queue.problems == ["queue 52/64 is over 80% full"])
        #expect(HealthReport(try Self.status(["queue_waiting": 51]), thresholds: Self.thresholds).level == .healthy)
        let refusals = HealthReport(
            try Self.status(["received_last_minute": 10, "refused_last_minute": 6]), thresholds: Self.thresholds)
        #expect(refusals.level == .degraded)
        #expect(refusals.problems == ["6 refusals for 10 messages received in the last minute"])
        let fewer = try Self.status(["received_last_minute": 10, "refused_last_minute": 5])
        #expect(HealthReport(fewer, thresholds: Self.thresholds).level == .healthy)
    }

    /// One hospital with a wrong key among healthy ones: few refusals overall, yet degraded, naming it.
    @Test func aNodeWhoseEveryMessageIsRefusedIsDegradedAndShownInItsRow() throws {
        var status = try Self.status(nodes: [("a", "alive"), ("st-marys", "refused")])
        status.nodes[1].refused_claimed = ["bad_mac": 1234]
        status.nodes[1].problem = "every message claiming to be st-marys failed authentication (bad_mac)"
        let report = HealthReport(status, thresholds: Self.thresholds)
        #expect(report.level == .degraded)
        #expect(report.problems == ["node st-marys: every message claiming to be st-marys failed authentication (bad_mac)"])
        let table = StatusScreen.nodeTable(status.nodes)
        #expect(table.contains("0 +1234 claimed"))
        #expect(table.split(separator: "\n").last == "! st-marys: every message claiming to be st-marys failed authentication (bad_mac)")
    }

    @Test func sparklinesNeverMagnifyASmallChange() {
        // 0.917 → 0.918 was drawn ▁ → █ when the bars spanned the values' own minimum and maximum.
        let tiny = Sparkline([0.917, 0.918])
        #expect(tiny.bars == "▂▂")
        #expect(tiny.scaleText == "0.9–1.0")
        #expect(Sparkline([0, 1]).bars == "▁█" && Sparkline([0, 1]).scaleText == "0.0–1.0")
        #expect(Sparkline([0.84, 0.77]).bars == "▆▃" && Sparkline([0.84, 0.77]).scaleText == "0.7–0.9")
        #expect(Sparkline([0.3, 0.3, 0.3]).bars == "▁▁▁" && Sparkline([0.3]).scaleText == "0.3–0.4")
        #expect(Sparkline([1, 1]).bars == "██" && Sparkline([1, 1]).scaleText == "0.9–1.0")
        #expect(Sparkline((0...7).map { 0.2 + Double($0) * 0.1 / 7 }).bars == "▁▂▃▄▅▆▇█")
        #expect(Sparkline([0.5, .nan, 2]).bars == "▁█" && Sparkline([0.5, 2]).scaleText == "0.5–1.0")
        #expect(Sparkline([]).bars == "" && Sparkline([]).scaleText == "")
        #expect(Sparkline(Array(repeating: 0.5, count: 100)).bars.count == 40)
        #expect(
            StatusScreen.metrics([
                "train_seconds": 1.889, "val_auc": 0.76, "train_accuracy": 0.65, "train_loss": 0.6258,
            ])
                == "val_auc=0.76 loss=0.626 acc=0.65")
        #expect(StatusScreen.metrics(["val_accuracy": 0.5]) == "val_acc=0.5")
    }

    @Test func theScreenFitsAHundredColumnsAndShowsEveryPart() throws {
        let names = (1...6).map { ("hospital-with-a-rather-long-name-\($0)", "training") }
        let status = try Self.status(
            ["refused": ["stale": 3, "bad_mac": 1, "replay": 2, "unknown_sender": 9, "norm_too_large": 4]], nodes: names
        )
        let screen = StatusScreen.render(
            status, endpoint: "tcp://127.0.0.1:7704", health: HealthReport(status, thresholds: Self.thresholds))
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.allSatisfy { $0.count <= 100 }, "\(screen)")
        #expect(screen.contains("version   12 (3.5s ago)  buffer 1/4  120.0 versions/hour  nodes 6/6 alive"))
        #expect(screen.contains("refused   unknown_sender 9, norm_too_large 4, stale 3, replay 2, bad_mac 1"))
        #expect(screen.contains("staleness p50 1.0  p95 2.0  max 3  stale refusals 3"))
        #expect(screen.contains("accuracy  ▁") && screen.contains("  0.900 at v12  scale 0.5–0.9  (v10–v12)"))
        #expect(screen.contains("auc       ▁") && screen.contains("  0.950 at v12  scale 0.6–1.0"))
        #expect(screen.contains("hospital-with-a-rat…  training"))
        #expect(screen.contains("loss=0.412 acc=0.83 n=18"))
        #expect(screen.contains("HEALTHY"))
        #expect(screen.contains("mem 50.0 MiB") && screen.contains("100 received (0.00 MiB), 40 accepted"))
    }

    /// Suspect updates get a column only when some node has any; the version line shows the buffer's bytes.
    @Test func suspectUpdatesAndTheBufferBytesAreShown() throws {
        var status = try Self.status([:])
        let plain = StatusScreen.render(
            status, endpoint: "tcp://127.0.0.1:7704", health: HealthReport(status, thresholds: Self.thresholds))
        #expect(!plain.contains("suspect"))
        status.nodes[0].outliers = 7
        status.nodes[0].clipped = 3
        status.nodes[1].over_share = 1
        status.robust = "median"
        status.buffer_bytes = 5 << 20
        let screen = StatusScreen.render(
            status, endpoint: "tcp://127.0.0.1:7704", health: HealthReport(status, thresholds: Self.thresholds))
        print(screen)
        #expect(screen.contains("buffer 1/4 (median, 5.00 MiB held)"))
        #expect(screen.contains("suspect") && screen.contains("clip 3 outlier 7") && screen.contains("over 1"))
        let data = try JSONEncoder().encode(status)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let row = try #require((object["nodes"] as? [[String: Any]])?.first)
        #expect(row["outliers"] as? Int == 7 && row["clipped"] as? Int == 3 && object["robust"] as? String == "median")
    }

    @Test func theScreenShowsTheCodecAndWhatTheHospitalsUploaded() throws {
        var status = try Self.status(["codec": "topk-int8:0.03"])
        #expect(StatusScreen.uploadLine(status) == nil)  // no upload known yet (or an older aggregator)
        status.nodes[0].updates_received = 3
        status.nodes[0].update_bytes = 3 * 35_430
        status.nodes[1].updates_received = 1
        status.nodes[1].update_bytes = 35_430
        let screen = StatusScreen.render(
            status, endpoint: "tcp://127.0.0.1:7704", health: HealthReport(status, thresholds: Self.thresholds))
        #expect(screen.contains("uploads   codec topk-int8:0.03, 4 updates, 0.14 MiB (34.6 KiB each)"), "\(screen)")
    }

    @Test func theJSONObjectHasEveryKeyFlat() throws {
        let status = try Self.status(["staleness_p50": NSNull()])
        let report = StatusReport(
            status: status, endpoint: "tcp://127.0.0.1:7704", health: HealthReport(status, thresholds: Self.thresholds))
        let data = try JSONEncoder().encode(report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["endpoint"] as? String == "tcp://127.0.0.1:7704")
        #expect(object["health"] as? String == "healthy")
        #expect(object["nodes_alive"] as? Int == 2 && object["nodes_lost"] as? Int == 0)
        #expect(object["version"] as? Int == 12)
        #expect(object["staleness_p50"] is NSNull)  // absent values stay as null keys
        #expect(object.keys.contains("queue_oldest_seconds"))
        #expect((object["eval_history"] as? [Any])?.count == 3)
        // Every status key (transport_errors, best_*, stopped, staleness_histogram, privacy, codec, robust,
        // buffer_bytes and over_share_held included), and the report's five.
        #expect(object.count == 40 + 5)
        for key in ["best_version", "best_metric", "eval_metric", "versions_since_best", "stopped"] {
            #expect(object[key] is NSNull, "\(key)")
        }
    }

    @Test func aDeadEndpointIsCriticalWithAMessageNamingIt() async throws {
        let temporary = try TemporaryDirectory(prefix: "growda-status")
        var federation = try Federation.create(directory: temporary.path("fed"))
        let port = try FreePorts.take(1)[0]
        var config = federation.config
        try config.set(AggregatorConfiguration.Key.statusPort, String(port))
        try config.write(path: federation.configPath, overwrite: true)
        federation = try Federation.load(directory: federation.directory)

        let endpoint = try StatusEndpoint.federation(federation.directory)
        #expect(endpoint.url == "tcp://127.0.0.1:\(port)")
        #expect(endpoint.keySource == federation.adminKeyPath)
        #expect(throws: StatusClientError.self) { try StatusClient(endpoint: endpoint, timeout: 0.3).fetch() }
        do {
            _ = try StatusClient(endpoint: endpoint, timeout: 0.3).fetch()
        } catch {
            #expect("\(error)".contains("no answer from the aggregator at tcp://127.0.0.1:\(port) within 0.3 s"))
            #expect("\(error)".contains("growda serve"))
        }
        await #expect(throws: ExitCode(2)) {
            try await DataCommandTests.run(["status", "--federation", federation.directory, "--timeout", "0.3"])
        }
        await #expect(throws: ExitCode(2)) {
            try await DataCommandTests.run([
                "nodes", "--endpoint", "tcp://127.0.0.1:\(port)", "--admin-key", federation.adminKeyPath, "--timeout",
                "0.3",
            ])
        }
    }

    @Test func historyWithoutStateSaysWhatToCheck() async throws {
        let temporary = try TemporaryDirectory(prefix: "growda-history")
        await #expect {
            try await DataCommandTests.run(["history", "--state", temporary.path("nowhere"), "--csv"])
        } throws: { error in
            "\(error)".contains("holds no Growda state")
        }
    }
}
