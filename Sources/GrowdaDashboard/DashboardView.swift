import Foundation
import GrowdaAggregator
import GrowdaConsole

/// The dashboard's panels as HTML fragments: rendered on the server for the first page and again for each
/// live update, so the page's script only swaps them in.
enum DashboardView {
    /// The panels, by the id of the element each fills.
    static func panels(_ status: AggregatorStatus, consoleRefusals: [String: Int]) -> [String: String] {
        [
            "figures": figures(status),
            "nodes": nodeTable(status.nodes),
            "refusals": refusals(status.refused, console: consoleRefusals),
            "staleness": staleness(status),
            "queue": queue(status),
        ]
    }

    static func figures(_ s: AggregatorStatus) -> String {
        let alive = s.nodes.filter { $0.state.isAlive }.count
        let lastEval = s.eval_history.last
        var items: [(String, String)] = [
            ("version", "\(s.version)"),
            ("since last version", duration(s.seconds_since_version)),
            ("versions per hour", String(format: "%.1f", s.versions_per_hour)),
            ("buffer", s.buffer_target > 0 ? "\(s.buffer_count) / \(s.buffer_target)" : "\(s.buffer_count)"),
            ("hospitals alive", "\(alive) / \(s.nodes.count)"),
            ("updates accepted", "\(s.accepted)"),
            ("refused (last minute)", "\(s.refused_last_minute)"),
        ]
        if let lastEval {
            items.append(("accuracy (v\(lastEval.version))", String(format: "%.3f", lastEval.accuracy)))
            if let auc = lastEval.auc { items.append(("AUC (v\(lastEval.version))", String(format: "%.3f", auc))) }
        }
        if let best = s.best_version, let metric = s.best_metric {
            items.append(("best (\(s.eval_metric ?? "metric"))", String(format: "v%llu · %.3f", best, metric)))
        }
        if let privacy = s.privacy {
            let budget = privacy.max_epsilon.map { String(format: " of %g", $0) } ?? ""
            let largest = privacy.max_reported_epsilon.map { String(format: "%.2f", $0) } ?? "–"
            items.append(("largest ε spent\(budget) (δ = \(String(format: "%g", privacy.delta)))", largest))
        }
        items.append(("uptime", duration(s.uptime_seconds)))
        var html = "<div class=\"figures\">"
        for (label, value) in items {
            html += "<div class=\"figure\"><div class=\"value\">\(HTML.escape(value))</div>"
            html += "<div class=\"label\">\(HTML.escape(label))</div></div>"
        }
        html += "</div>"
        if let stopped = s.stopped {
            html += "<p class=\"problem\">Versions stopped: \(HTML.escape(stopped))</p>"
        }
        return html
    }

    static func nodeTable(_ nodes: [AggregatorStatus.Node]) -> String {
        guard !nodes.isEmpty else {
            return "<p class=\"muted\">No hospital registered yet: add one with <code>growda node add</code>.</p>"
        }
        var html = """
            <table><thead><tr><th>Hospital</th><th>State</th><th class="num">Version held</th>\
            <th class="num">Last heard</th><th class="num">Accepted</th><th class="num">Refused</th>\
            <th>Local validation</th><th class="num">Privacy ε</th></tr></thead><tbody>
            """
        for node in nodes.sorted(by: { $0.id < $1.id }) {
            let held = node.version_held.map { "v\($0)" } ?? "–"
            let heard = node.last_heard_seconds.map { duration($0) + " ago" } ?? "never"
            let state = node.state.rawValue
            var row = "<tr><td>\(HTML.escape(node.name)) <span class=\"muted\">#\(node.id)</span></td>"
            row += "<td><span class=\"state \(node.state.metricLabel)\">\(HTML.escape(state))</span>"
            if let problem = node.problem { row += "<div class=\"problem\">\(HTML.escape(problem))</div>" }
            row += "</td><td class=\"num\">\(held)</td><td class=\"num\">\(heard)</td>"
            row += "<td class=\"num\">\(node.accepted)</td><td class=\"num\">\(node.refused)</td>"
            row += "<td>\(HTML.escape(localFigures(node.last_metrics)))</td>"
            row += "<td class=\"num\">\(node.privacy_epsilon.map { String(format: "%.2f", $0) } ?? "–")</td></tr>"
            html += row
        }
        return html + "</tbody></table>"
    }

    /// The node's own validation figures from its last update (`val_auc`, `val_accuracy`, `train_loss`…).
    static func localFigures(_ metrics: [String: Double]) -> String {
        let order = ["val_auc", "val_accuracy", "val_loss", "train_loss"]
        let shown = order.compactMap { key in metrics[key].map { "\(key.replacingOccurrences(of: "_", with: " ")) \(String(format: "%.3f", $0))" } }
        return shown.isEmpty ? "–" : shown.joined(separator: " · ")
    }

    static func refusals(_ refused: [String: Int], console: [String: Int]) -> String {
        func table(_ all: [String: Int], empty: String) -> String {
            let counts = all.filter { $0.value > 0 }
            guard !counts.isEmpty else { return "<p class=\"muted\">\(empty)</p>" }
            var html = "<table><tbody>"
            for (reason, count) in counts.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                html += "<tr><td>\(HTML.escape(reason))</td><td class=\"num\">\(count)</td></tr>"
            }
            return html + "</tbody></table>"
        }
        return "<h2>Updates and messages refused, by reason</h2>"
            + table(refused, empty: "None refused since the aggregator started.")
            + "<h2 class=\"next\">Console requests refused</h2>"
            + table(console, empty: "None.")
    }

    static func staleness(_ s: AggregatorStatus) -> String {
        guard let histogram = s.staleness_histogram, histogram.contains(where: { $0 > 0 }) else {
            return "<p class=\"muted\">No update accepted yet.</p>"
        }
        // An SVG of bars (attributes, not inline styles: the pages' Content-Security-Policy forbids those).
        let width = 360.0, height = 150.0, base = 124.0, top = 16.0
        let slot = width / Double(histogram.count)
        let tallest = Double(histogram.max() ?? 1)
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" class=\"histogram\" "
        svg += "aria-label=\"staleness histogram\">"
        for (i, count) in histogram.enumerated() {
            let barHeight = count == 0 ? 0 : max(1.5, Double(count) / tallest * (base - top))
            let x = Double(i) * slot + slot * 0.15
            let label = i == histogram.count - 1 ? "≥\(i)" : "\(i)"
            svg += "<rect x=\"\(fmt(x))\" y=\"\(fmt(base - barHeight))\" width=\"\(fmt(slot * 0.7))\" "
            svg += "height=\"\(fmt(barHeight))\" fill=\"#1f6feb\"><title>staleness \(label): \(count)</title></rect>"
            if count > 0 {
                svg += "<text x=\"\(fmt(x + slot * 0.35))\" y=\"\(fmt(base - barHeight - 3))\" font-size=\"10\" "
                svg += "text-anchor=\"middle\" fill=\"#5b6777\">\(count)</text>"
            }
            svg += "<text x=\"\(fmt(x + slot * 0.35))\" y=\"\(fmt(base + 14))\" font-size=\"11\" "
            svg += "text-anchor=\"middle\" fill=\"#1b2430\">\(label)</text>"
        }
        svg += "<line x1=\"0\" y1=\"\(fmt(base))\" x2=\"\(Int(width))\" y2=\"\(fmt(base))\" stroke=\"#d8dee6\"/></svg>"
        let p50 = s.staleness_p50.map { String(format: "%.0f", $0) } ?? "–"
        let p95 = s.staleness_p95.map { String(format: "%.0f", $0) } ?? "–"
        return svg
            + "<p class=\"muted\">Versions behind when accepted, last \(histogram.reduce(0, +)) updates: median \(p50) · "
            + "p95 \(p95) · max \(s.staleness_max.map(String.init) ?? "–")</p>"
    }

    private static func fmt(_ x: Double) -> String { String(format: "%.1f", x) }

    static func queue(_ s: AggregatorStatus) -> String {
        let oldest = s.queue_oldest_seconds.map { String(format: "%.1f s", $0) } ?? "–"
        let items: [(String, String)] = [
            ("waiting", "\(s.queue_waiting) / \(s.queue_capacity)"),
            ("oldest waiting", oldest),
            ("dropped (queue full)", "\(s.queue_dropped)"),
            ("leaves to send out", s.admission_permits.map { p in "\(p) / \(s.admission_max_permits ?? p)" } ?? "–"),
            ("hospitals waiting for leave", s.admission_waiting.map(String.init) ?? "–"),
            ("received per second", String(format: "%.2f", s.received_per_second_last_minute)),
            ("accepted per second", String(format: "%.2f", s.accepted_per_second_last_minute)),
            ("received", "\(s.received)"),
        ]
        var html = "<div class=\"figures\">"
        for (label, value) in items {
            html += "<div class=\"figure\"><div class=\"value\">\(HTML.escape(value))</div>"
            html += "<div class=\"label\">\(HTML.escape(label))</div></div>"
        }
        return html + "</div>"
    }

    /// `42 s`, `3.5 min`, `2.1 h`.
    static func duration(_ seconds: Double) -> String {
        seconds < 90
            ? "\(Int(seconds.rounded())) s"
            : seconds < 5400 ? String(format: "%.1f min", seconds / 60) : String(format: "%.1f h", seconds / 3600)
    }

    /// The whole page; `panels` and `chartSVG` fill it for the first paint, later the event stream does.
    static func page(title: String, panels: [String: String], chartSVG: String) -> String {
        func card(_ id: String, _ heading: String, wide: Bool = false) -> String {
            """
            <section class="card\(wide ? " wide" : "")"><h2>\(heading)</h2>\
            <div id="\(id)">\(panels[id] ?? "")</div></section>
            """
        }
        let body = """
            <p class="live" id="live">connecting…</p>
            <div class="grid">
            \(card("figures", "Federation", wide: true))
            <section class="card wide chart"><div id="chart">\(chartSVG)</div></section>
            \(card("nodes", "Hospitals", wide: true))
            \(card("queue", "Queue and admission"))
            \(card("staleness", "Staleness"))
            <section class="card"><div id="refusals">\(panels["refusals"] ?? "")</div></section>
            </div>
            """
        return ConsolePage.render(title: title, heading: "Federation dashboard", body: body, scripts: ["dashboard.js"])
    }

    /// The page's script: one EventSource; each `panels` event swaps the fragments in.
    static let script = """
        "use strict";
        (function () {
          var live = document.getElementById("live");
          function connect() {
            var source = new EventSource("/events");
            source.addEventListener("panels", function (event) {
              var data = JSON.parse(event.data);
              Object.keys(data.panels).forEach(function (id) {
                var element = document.getElementById(id);
                if (element) { element.innerHTML = data.panels[id]; }
              });
              if (data.chart) { document.getElementById("chart").innerHTML = data.chart; }
              live.className = "live on";
              live.textContent = "live · version " + data.version + " · updated " + new Date().toLocaleTimeString();
            });
            source.onerror = function () {
              live.className = "live";
              live.textContent = "connection lost, retrying… (sign in again if the session expired)";
              if (source.readyState === EventSource.CLOSED) { setTimeout(connect, 3000); }
            };
          }
          connect();
        })();
        """
}
