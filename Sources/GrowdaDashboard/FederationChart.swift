import Foundation
import GrowdaCharts
import GrowdaStore

/// The federation's four panels (accuracy and AUC by version and over time, loss, updates per hospital),
/// and two more once updates' sizes are recorded (accuracy and AUC against the data uploaded, the upload by
/// version): one chart code for `growda report` (SVG or PNG files) and the dashboard (SVG pushed live).
public enum FederationChart {
    /// The report's four panels for a federation's history and nodes.
    public static func report(mode: String, history: [VersionRecord], nodes: [GrowdaStore.NodeRecord]) -> Chart {
        let start = history.first?.createdAt ?? Date()
        let seconds = history.map { $0.createdAt.timeIntervalSince(start) }
        let span = seconds.max() ?? 0
        let (unit, unitName) = span <= 180 ? (1.0, "seconds") : span <= 3 * 3600 ? (60.0, "minutes") : (3600.0, "hours")
        let times = seconds.map { $0 / unit }
        let versions = history.map { Double($0.version) }
        let evaluated = history.indices.filter { history[$0].evaluation != nil }
        let emptyNote = history.isEmpty ? "no version committed yet" : nil
        let evalNote =
            emptyNote ?? (evaluated.isEmpty ? "no server-side evaluation (run growda serve --eval DIR)" : nil)

        func evaluationSeries(x: [Double]) -> [ChartSeries] {
            let accuracy = evaluated.map { ChartPoint(x: x[$0], y: history[$0].evaluation!.accuracy) }
            let auc = evaluated.compactMap { i in history[i].evaluation?.auc.map { ChartPoint(x: x[i], y: $0) } }
            return [
                ChartSeries(name: "accuracy", color: .blue, points: accuracy),
                ChartSeries(name: "AUC", color: .orange, points: auc),
            ]
        }
        let byVersion = evaluationSeries(x: versions)
        let scoreAxis = ChartAxis.fitting(byVersion.flatMap { $0.points.map(\.y) }, label: "", limits: 0...1)
        let versionAxis = ChartAxis.fitting(versions, label: "version", integer: true)
        let timeAxis = ChartAxis.fitting(times, label: "\(unitName) since version 0", integer: unit == 1)

        let loss = lossSeries(history, versions: versions)
        let lossNote =
            emptyNote ?? (loss == nil ? "no loss recorded: no evaluation loss and no train_loss from the nodes" : nil)
        let lossAxis = ChartAxis.fitting(loss?.points.map(\.y) ?? [], label: "version")

        let sorted = nodes.sorted { $0.id < $1.id }
        var bars = [ChartBars(name: "accepted", color: .green, values: sorted.map { Double($0.acceptedCount) })]
        if sorted.contains(where: { $0.refusedCount > 0 }) {
            bars.append(ChartBars(name: "refused", color: .red, values: sorted.map { Double($0.refusedCount) }))
        }
        // A tenth of headroom over the tallest bar keeps its value label inside the plot.
        let tallest = bars.flatMap(\.values).max() ?? 0
        let counts = ChartAxis.fitting(
            bars.flatMap(\.values) + [tallest * 1.1], label: "hospital", integer: true, includeZero: true)

        var panels = [
            ChartPanel(
                title: "Evaluation accuracy and AUC by version", xAxis: versionAxis, yAxis: scoreAxis,
                content: .lines(byVersion), note: evalNote),
            ChartPanel(
                title: "Evaluation accuracy and AUC over wall time", xAxis: timeAxis, yAxis: scoreAxis,
                content: .lines(evaluationSeries(x: times)), note: evalNote),
            ChartPanel(
                title: "Loss by version", xAxis: versionAxis, yAxis: lossAxis,
                content: .lines(loss.map { [$0] } ?? []), note: lossNote),
            ChartPanel(
                title: "Updates per hospital", xAxis: counts, yAxis: counts,
                content: .bars(labels: sorted.map { $0.name ?? "node \($0.id)" }, series: bars),
                note: sorted.isEmpty
                    ? "no hospital known yet"
                    : bars.allSatisfy { $0.values.allSatisfy { $0 == 0 } } ? "no update accepted yet" : nil),
        ]
        if history.contains(where: { $0.updateBytes > 0 }) { panels += uploadPanels(history, versions: versions) }
        let versionCount = history.count == 1 ? "1 version" : "\(history.count) versions"
        return Chart(
            title: "Growda federation report: \(mode), \(versionCount)",
            subtitle: subtitle(history, span: span, nodes: sorted), panels: panels,
            height: panels.count > 4 ? 1200 : 800)
    }

    /// With upload sizes recorded (updates carry them since store schema v4): accuracy and AUC against the
    /// MiB the hospitals had uploaded when each version was made (what compression buys), and that
    /// cumulative upload by version.
    private static func uploadPanels(_ history: [VersionRecord], versions: [Double]) -> [ChartPanel] {
        var total = 0.0
        let uploaded = history.map { record -> Double in
            total += Double(record.updateBytes) / 1_048_576
            return total
        }
        let evaluated = history.indices.filter { history[$0].evaluation != nil }
        let accuracy = evaluated.map { ChartPoint(x: uploaded[$0], y: history[$0].evaluation!.accuracy) }
        let auc = evaluated.compactMap { i in history[i].evaluation?.auc.map { ChartPoint(x: uploaded[i], y: $0) } }
        let scores = [
            ChartSeries(name: "accuracy", color: .blue, points: accuracy),
            ChartSeries(name: "AUC", color: .orange, points: auc),
        ]
        let mibAxis = ChartAxis.fitting(uploaded, label: "MiB uploaded by the hospitals", includeZero: true)
        return [
            ChartPanel(
                title: "Evaluation accuracy and AUC against data uploaded", xAxis: mibAxis,
                yAxis: ChartAxis.fitting((accuracy + auc).map(\.y), label: "", limits: 0...1), content: .lines(scores),
                note: evaluated.isEmpty ? "no server-side evaluation (run growda serve --eval DIR)" : nil),
            ChartPanel(
                title: "Data uploaded by version (updates folded, on the wire)",
                xAxis: ChartAxis.fitting(versions, label: "version", integer: true),
                yAxis: ChartAxis.fitting(uploaded, label: "MiB", includeZero: true),
                content: .lines([
                    ChartSeries(
                        name: "MiB uploaded", color: .green,
                        points: zip(versions, uploaded).map { ChartPoint(x: $0, y: $1) })
                ])),
        ]
    }

    /// The loss to plot: the evaluation loss where any version has one, else the nodes' mean train_loss.
    private static func lossSeries(_ history: [VersionRecord], versions: [Double]) -> ChartSeries? {
        let evaluationLoss = history.indices.compactMap { i in
            history[i].evaluation?.loss.map { ChartPoint(x: versions[i], y: $0) }
        }
        if !evaluationLoss.isEmpty {
            return ChartSeries(name: "evaluation loss", color: .purple, points: evaluationLoss)
        }
        let trainLoss = history.indices.compactMap { i in
            history[i].trainMetrics["train_loss"].map { ChartPoint(x: versions[i], y: $0) }
        }
        return trainLoss.isEmpty ? nil : ChartSeries(name: "mean local train loss", color: .purple, points: trainLoss)
    }

    /// The line under the title: the span of versions and time, hospitals and updates folded.
    private static func subtitle(_ history: [VersionRecord], span: Double, nodes: [GrowdaStore.NodeRecord]) -> String {
        guard let first = history.first, let last = history.last else {
            return "no version committed yet  |  \(nodes.count) hospital(s) known"
        }
        if history.count == 1 { return "version \(first.version) only  |  \(nodes.count) hospital(s)" }
        let duration =
            span < 120
            ? "\(Int(span.rounded())) s"
            : span < 7200
                ? String(format: "%.1f min", span / 60)
                : String(format: "%.1f h", span / 3600)
        let folded = history.reduce(0) { $0 + $1.updatesFolded }
        return "versions \(first.version)-\(last.version) over \(duration)  |  \(nodes.count) hospital(s)  |  "
            + "\(folded) updates folded"
    }
}
