import ArgumentParser
import Foundation
import GrowdaAggregator

/// `growda status`: a running aggregator at a glance, for people (`--watch`), scripts (`--json`) and
/// monitors (`--check`).
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a running aggregator's state: versions, queue, refusals, staleness, model, nodes.",
        discussion: """
            Asks the aggregator over its status socket (a request sealed with the admin key; the answer \
            must open with it). --federation DIR reads the endpoint (status.bind_host and port.status in \
            federation.conf, default 127.0.0.1:7704) and keys/admin.key from the folder.

            --json prints one object: every key of the aggregator's status (mode, version, \
            seconds_since_version, buffer_count, buffer_target, queue_waiting, queue_capacity, \
            queue_oldest_seconds, queue_dropped, received, bytes_received, accepted, received_last_minute, \
            refused_last_minute, received_per_second_last_minute, accepted_per_second_last_minute, refused, \
            staleness_p50, staleness_p95, staleness_max, staleness_histogram, admission_permits, \
            admission_max_permits, admission_waiting, versions_per_hour, uptime_seconds, resident_bytes, nodes, \
            eval_history, transport_errors, best_version, best_metric, eval_metric, \
            versions_since_best, stopped, robust, buffer_bytes, over_share_held) and endpoint, nodes_alive, nodes_lost, health, problems. Absent \
            values are null. With an evaluation set and eval.keep_best, the screen names the best version by \
            eval.metric and how many evaluated versions followed it without beating it; after a stop rule \
            fired (stop.max_versions, stop.plateau), why versions stopped. Each node's row counts its \
            suspect updates since the aggregator started (clipped by clip_norm, outliers of fedbuff.robust, \
            held over fedbuff.max_share; JSON clipped, outliers, over_share); the version line shows the \
            bytes the buffer holds (a robust rule keeps the K updates themselves).

            --check prints one line and exits 0 (healthy), 1 (degraded) or 2 (critical): degraded when no \
            version was made for --max-version-age seconds while nodes are alive (critical at twice that), \
            when the queue is over --max-queue-fraction full, when any node is lost, or when refusals over \
            the last minute exceed --max-refusal-fraction of messages received, or when more than \
            --max-versions-without-improvement evaluated versions followed the best one (the model drifts); \
            critical when more than --max-lost-fraction of the active nodes are lost. A federation stopped \
            by a stop rule is not degraded for making no versions. An aggregator that does not answer \
            within --timeout is critical (exit 2) in every mode.
            """)

    @OptionGroup var connection: StatusConnectionOptions

    @Flag(help: "Print the status as one JSON object (keys above).")
    var json = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Redraw every SEC seconds until Ctrl-C.", valueName: "sec"))
    var watch: Double?

    @Flag(help: "Print one health line and exit 0 (healthy), 1 (degraded) or 2 (critical).")
    var check = false

    @OptionGroup(title: "Health thresholds") var thresholds: HealthThresholds

    func validate() throws {
        if let watch, !(watch >= 0.2 && watch <= 86400) {
            throw ValidationError("--watch must be between 0.2 and 86400 seconds, got \(watch).")
        }
        if watch != nil, check { throw ValidationError("Give either --watch or --check, not both.") }
    }

    func run() async throws {
        let endpoint = try connection.resolve()
        let client = StatusClient(endpoint: endpoint, timeout: connection.timeout)
        guard let watch else {
            try show(client)
            return
        }
        while true {
            let body: String
            do {
                body = try text(try client.fetch(), url: endpoint.url)
            } catch let error as StatusClientError {
                body = "critical: \(error)"
            }
            // With --json, one object per line (no redraw), for piping into a log.
            Terminal.say(json ? body : "\u{1B}[2J\u{1B}[H" + body + "\n\n(every \(fmt(watch, 1)) s; Ctrl-C stops)")
            try await Task.sleep(for: .milliseconds(Int(watch * 1000)))
        }
    }

    /// One query, printed; the exit code for --check.
    private func show(_ client: StatusClient) throws {
        let status: AggregatorStatus
        do {
            status = try client.fetch()
        } catch let error as StatusClientError {
            if check {
                Terminal.say("critical: \(error)")
            } else {
                Terminal.note("growda status: \(error)")
            }
            throw ExitCode(HealthLevel.critical.rawValue)
        }
        let health = HealthReport(status, thresholds: thresholds)
        if check {
            Terminal.say(json ? try jsonText(status, url: client.endpoint.url, health: health) : health.line(status))
            if health.level != .healthy { throw ExitCode(health.level.rawValue) }
        } else {
            Terminal.say(try text(status, url: client.endpoint.url))
        }
    }

    private func text(_ status: AggregatorStatus, url: String) throws -> String {
        let health = HealthReport(status, thresholds: thresholds)
        return json
            ? try jsonText(status, url: url, health: health)
            : StatusScreen.render(status, endpoint: url, health: health)
    }

    private func jsonText(_ status: AggregatorStatus, url: String, health: HealthReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let report = StatusReport(status: status, endpoint: url, health: health)
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }
}
