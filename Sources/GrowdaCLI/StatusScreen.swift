import Foundation
import GrowdaAggregator

/// The one-screen view of `growda status` (at most ``width`` columns) and its parts.
enum StatusScreen {
    /// The widest line drawn.
    static let width = 100

    /// The whole screen: federation, queue, staleness, model, nodes.
    static func render(_ status: AggregatorStatus, endpoint: String, health: HealthReport) -> String {
        var lines: [String] = []
        let active = status.nodes.filter { $0.state != .revoked }
        let alive = active.filter { $0.state.isAlive }.count
        lines.append(
            "growda \(status.mode) federation at \(endpoint)  up \(Age.text(status.uptime_seconds))  "
                + "mem \(mib(status.resident_bytes))  \(health.level.name.uppercased())")
        for problem in health.problems { lines.append("  ! \(problem)") }
        let buffer =
            status.buffer_target > 0
            ? "buffer \(status.buffer_count)/\(status.buffer_target)" : "round \(status.buffer_count) folded"
        let held =
            status.buffer_bytes.map { " (\(status.robust.map { $0 == "none" ? "" : $0 + ", " } ?? "")\(mib($0)) held)" }
            ?? ""
        lines.append(
            "version   \(status.version) (\(Age.text(status.seconds_since_version)) ago)  \(buffer)\(held)  "
                + "\(fmt(status.versions_per_hour, 1)) versions/hour  nodes \(alive)/\(active.count) alive")
        let oldest = status.queue_oldest_seconds.map { " (oldest \(Age.text($0)))" } ?? ""
        lines.append(
            "queue     \(status.queue_waiting)/\(status.queue_capacity) waiting\(oldest)  "
                + "received \(rate(status.received_per_second_last_minute))/s  "
                + "accepted \(rate(status.accepted_per_second_last_minute))/s (last minute)  "
                + "dropped \(status.queue_dropped)")
        lines.append(
            "          \(status.received) received (\(mib(status.bytes_received))), \(status.accepted) accepted, "
                + "\(status.refused.values.reduce(0, +)) refused in all")
        lines.append("refused   " + refusals(status.refused))
        if let line = uploadLine(status) { lines.append(line) }
        lines.append(
            "staleness p50 \(fmt(status.staleness_p50, 1))  p95 \(fmt(status.staleness_p95, 1))  "
                + "max \(status.staleness_max.map(String.init) ?? "n/a")  stale refusals \(status.refused["stale"] ?? 0)"
        )
        lines += model(status.eval_history)
        if let line = bestLine(status) { lines.append(line) }
        if let stopped = status.stopped { lines.append("stopped   no more versions: \(stopped)") }
        if let privacy = status.privacy { lines.append(privacyLine(privacy)) }
        lines.append("")
        lines += nodeTable(status.nodes).split(separator: "\n").map(String.init)
        return lines.map(clip).joined(separator: "\n")
    }

    /// `stale 3, bad_mac 1`, largest first, or `none`.
    /// `uploads   codec topk-int8:0.03, 412 updates, 13.9 MiB (34.6 KiB each)`, once the nodes' uploads are known.
    static func uploadLine(_ status: AggregatorStatus) -> String? {
        let updates = status.nodes.compactMap(\.updates_received).reduce(0, +)
        let bytes = status.nodes.compactMap(\.update_bytes).reduce(0, +)
        guard let codec = status.codec, updates > 0 else { return nil }
        return "uploads   codec \(codec), \(updates) updates, \(mib(bytes)) ("
            + fmt(Double(bytes) / Double(updates) / 1024, 1) + " KiB each)"
    }

    static func refusals(_ refused: [String: Int]) -> String {
        let counts = refused.filter { $0.value > 0 }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        return counts.isEmpty ? "none" : counts.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    /// Accuracy and AUC sparklines over the evaluated versions, each with its last value and its scale
    /// (see ``Sparkline``).
    static func model(_ history: [AggregatorStatus.EvalPoint]) -> [String] {
        guard let last = history.last, let first = history.first else {
            return ["model     no evaluation yet (serve with --eval DIR, or eval.dir in federation.conf)"]
        }
        let span = "v\(first.version)–v\(last.version)"
        let accuracy = Sparkline(history.map(\.accuracy))
        var lines = [
            "accuracy  \(accuracy.bars)  \(fmt(last.accuracy, 3)) at v\(last.version)  "
                + "scale \(accuracy.scaleText)  (\(span))"
        ]
        let aucs = Sparkline(history.compactMap(\.auc))
        if !aucs.bars.isEmpty {
            lines.append("auc       \(aucs.bars)  \(fmt(last.auc, 3)) at v\(last.version)  scale \(aucs.scaleText)")
        }
        return lines
    }

    /// `best      v612 (AUC 0.931); not improved for 1988 versions`, or nil when no best version is kept.
    static func bestLine(_ status: AggregatorStatus) -> String? {
        guard let version = status.best_version else { return nil }
        let value = status.best_metric.map { fmt($0, 3) } ?? "n/a"
        let since = status.versions_since_best ?? 0
        let verdict =
            since == 0
            ? "the latest evaluated version is the best"
            : "not improved for \(since) version\(since == 1 ? "" : "s")"
        return "best      v\(version) (\(metricLabel(status)) \(value)); \(verdict)"
    }

    /// `AUC` or `accuracy`: the metric that ranks versions, as a screen names it.
    static func metricLabel(_ status: AggregatorStatus) -> String {
        status.eval_metric.flatMap(EvalMetric.init(rawValue:))?.label ?? status.eval_metric ?? "the metric"
    }

    /// `privacy   DP-SGD C=1 σ=1.1 · δ=1e-05 · budget ε ≤ 8 · largest ε reported 3.42`.
    static func privacyLine(_ p: AggregatorStatus.Privacy) -> String {
        var parts: [String] = []
        if let c = p.dp_clip, let s = p.dp_noise { parts.append("DP-SGD C=\(number(c)) σ=\(number(s))") }
        if let c = p.update_clip { parts.append("update clip \(number(c)) z=\(number(p.update_noise ?? 0))") }
        if parts.isEmpty { parts.append("no noise") }
        parts.append("δ=\(String(format: "%g", p.delta))")
        parts.append(p.max_epsilon.map { "budget ε ≤ \(number($0))" } ?? "no budget")
        parts.append("largest ε reported " + (p.max_reported_epsilon.map { String(format: "%.2f", $0) } ?? "none yet"))
        return "privacy   " + parts.joined(separator: " · ")
    }

    /// The longest node name shown whole in the table (longer ones end in `…`).
    static let nameWidth = 20

    /// The nodes as an aligned table: name, state, seconds since last heard, version held, updates accepted
    /// and refused (with `+N claimed`: messages claiming to be the node that failed authentication), suspect
    /// updates (clipped by the norm bound, robust-rule outliers, made to wait by its share of the buffer;
    /// the column only when some node has any), updates waiting for acknowledgement, last local metrics;
    /// then one `!` line per node with a problem.
    static func nodeTable(_ nodes: [AggregatorStatus.Node]) -> String {
        guard !nodes.isEmpty else { return "no nodes registered; add one with growda node add NAME --federation DIR" }
        let suspects = nodes.contains { suspectCell($0) != "-" }
        var header = ["node", "state", "heard", "held", "accepted", "refused", "unacked", "last local metrics"]
        if suspects { header.insert("suspect", at: 6) }
        let rows = nodes.map { node -> [String] in
            let name = node.name.count > nameWidth ? String(node.name.prefix(nameWidth - 1)) + "…" : node.name
            let heard = node.last_heard_seconds.map { Age.text($0) } ?? "-"
            let held = node.version_held.map { "v\($0)" } ?? "-"
            var row: [String] = [
                name, node.state.rawValue, heard, held, String(node.accepted), refusedCell(node),
                String(node.unacked), metrics(node.last_metrics),
            ]
            if suspects { row.insert(suspectCell(node), at: 6) }
            return row
        }
        let numeric: Set<Int> = suspects ? [2, 3, 4, 5, 7] : [2, 3, 4, 5, 6]
        let widths = header.indices.dropLast().map { c in max(header[c].count, rows.map { $0[c].count }.max() ?? 0) }
        func line(_ cells: [String]) -> String {
            let text = cells.enumerated().map { c, cell in
                guard c < widths.count else { return cell }
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return numeric.contains(c) ? pad + cell : cell + pad
            }.joined(separator: "  ")
            return clip(text)
        }
        let problems = nodes.compactMap { node in node.problem.map { "! \(node.name): \($0)" } }
        return ([line(header)] + rows.map(line) + problems).joined(separator: "\n")
    }

    /// A node's suspect updates, the non-zero counts only: `clip 3 outlier 7 over 1`, or `-`.
    static func suspectCell(_ node: AggregatorStatus.Node) -> String {
        let parts = [("clip", node.clipped), ("outlier", node.outliers), ("over", node.over_share)].compactMap {
            label, count in count.flatMap { $0 > 0 ? "\(label) \($0)" : nil }
        }
        return parts.isEmpty ? "-" : parts.joined(separator: " ")
    }

    /// A node's refusals, and those of messages that only claimed to be it: `0 +1234 claimed`.
    static func refusedCell(_ node: AggregatorStatus.Node) -> String {
        let claimed = node.refused_claimed?.values.reduce(0, +) ?? 0
        return claimed > 0 ? "\(node.refused) +\(claimed) claimed" : String(node.refused)
    }

    /// Local metrics, compactly: `val_acc=0.8 val_auc=0.91 loss=0.412 acc=0.83 …`: the hospital's own
    /// validation figures first (what an operator compares), then training loss and accuracy, then the rest
    /// by name; a `train_` prefix is dropped, `accuracy`, `seconds` and `samples` are shortened, and the
    /// round's duration (`s`) is left out (the heard column says whether a node keeps up).
    static func metrics(_ values: [String: Double]) -> String {
        let named = values.map { (name: short($0.key), value: $0.value) }.filter { $0.name != "s" }
        guard !named.isEmpty else { return "-" }
        let first = ["val_acc", "val_auc", "loss", "acc"]
        let ordered = named.sorted { a, b in
            let (ra, rb) = (first.firstIndex(of: a.name) ?? first.count, first.firstIndex(of: b.name) ?? first.count)
            return ra != rb ? ra < rb : a.name < b.name
        }
        return ordered.map { "\($0.name)=\(number($0.value))" }.joined(separator: " ")
    }

    private static func short(_ name: String) -> String {
        if name == "privacy_epsilon" { return "ε" }
        var name = name.hasPrefix("train_") ? String(name.dropFirst("train_".count)) : name
        for (long, brief) in [("accuracy", "acc"), ("seconds", "s"), ("samples", "n"), ("sample_count", "n")] {
            if name == long || name.hasSuffix("_" + long) { name = String(name.dropLast(long.count)) + brief }
        }
        return name.count > 12 ? String(name.prefix(12)) : name
    }

    private static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e6 { return String(Int(value)) }
        return String(format: "%.3g", value)
    }

    private static func rate(_ value: Double) -> String { fmt(value, value < 10 ? 2 : 1) }

    /// Cuts a line to ``width`` characters, marking the cut with `…`.
    static func clip(_ line: String) -> String {
        line.count <= width ? line : String(line.prefix(width - 1)) + "…"
    }
}
