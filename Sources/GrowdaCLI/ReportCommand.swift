import ArgumentParser
import Foundation
import GrowdaAggregator
import GrowdaCharts
import GrowdaData
import GrowdaProvisioning
import GrowdaStore

/// `growda report`: draws a federation's history as a chart (SVG or PNG).
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Draw a federation's history as a chart: accuracy, AUC and loss by version and wall time, "
            + "updates per hospital.",
        discussion: """
            Reads the aggregator's state folder (read-only, so it works while the aggregator runs) and draws \
            four panels: evaluation accuracy and AUC against version, the same against wall time since \
            version 0, loss against version (the evaluation loss, else the mean local train_loss the nodes \
            reported), and updates accepted (and refused) per hospital. The file's extension picks the \
            format: .svg (SVG 1.1 text) or .png (1200×800 RGB).
            """)

    @Option(
        help: ArgumentHelp(
            "The aggregator's state folder, or the federation folder holding federation.conf (its state.dir, "
                + "default FEDERATION/state, is used).", valueName: "dir"))
    var state: String

    @Option(
        help: ArgumentHelp("Where to write the chart: a .svg or .png file (replaced if present).", valueName: "file"))
    var out: String

    func validate() throws {
        if ChartFormat(path: out) == nil {
            throw ValidationError("--out must end in .svg or .png (the extension picks the format), got '\(out)'")
        }
    }

    func run() async throws {
        let folder = try Self.stateFolder(for: state)
        let reader: StateReader
        do {
            reader = try StateReader(folder: folder)
        } catch StoreError.noState {
            throw CLIError(
                "\(folder) holds no Growda state (no state.sqlite): give --state the aggregator's state folder "
                    + "(FEDERATION/state, or state.dir in federation.conf) or the federation folder itself; "
                    + "the aggregator (growda serve) creates the state on its first start")
        }
        let mode = try reader.federation().mode
        let history = try reader.history()
        let nodes = try reader.nodes()
        try reader.close()

        let chart = Self.chart(mode: mode, history: history, nodes: nodes)
        try Self.write(chart, to: out)
        Terminal.say("wrote \(out)")
        Terminal.say(Self.summary(history))
    }

    /// The state folder `path` names: itself, or for a federation folder (one holding federation.conf) the
    /// state folder its configuration gives.
    static func stateFolder(for path: String) throws -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw CLIError(
                "\(path) does not exist: give --state the aggregator's state folder (FEDERATION/state) "
                    + "or the federation folder holding federation.conf")
        }
        guard isFolder.boolValue else {
            throw CLIError(
                "\(path) is a file: give --state the aggregator's state folder (FEDERATION/state) "
                    + "or the federation folder holding federation.conf")
        }
        let configPath = URL(fileURLWithPath: path).appendingPathComponent(Federation.configFileName).path
        guard FileManager.default.fileExists(atPath: configPath) else { return path }
        let config = try FederationConfig.load(path: configPath)
        guard let stateDir = config[AggregatorConfiguration.Key.stateDir] else {
            return URL(fileURLWithPath: path).appendingPathComponent("state").path
        }
        return stateDir.hasPrefix("/") ? stateDir : URL(fileURLWithPath: path).appendingPathComponent(stateDir).path
    }

    /// Renders `chart` in the format `path`'s extension names and writes it there.
    static func write(_ chart: Chart, to path: String) throws {
        let drawing = ChartDrawing(chart)
        switch ChartFormat(path: path) {
        case .svg:
            do {
                try drawing.svg().write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                throw CLIError(
                    "cannot write \(path): \(error.localizedDescription); check the folder exists and is writable")
            }
        case .png:
            try PNG.write(RasterCanvas(drawing).image, to: path)
        case nil:
            throw CLIError("\(path): the chart's file must end in .svg or .png")
        }
    }

    /// One line: how many versions, and the latest evaluation.
    static func summary(_ history: [VersionRecord]) -> String {
        guard let first = history.first, let last = history.last else {
            return "no version committed yet: the chart's panels are empty"
        }
        let versions =
            history.count == 1
            ? "1 version (\(first.version))"
            : "\(history.count) versions "
                + "(\(first.version)-\(last.version))"
        guard let evaluated = history.last(where: { $0.evaluation != nil }), let evaluation = evaluated.evaluation
        else {
            return "\(versions), no server-side evaluation (run growda serve --eval DIR)"
        }
        return "\(versions), last accuracy \(fmt(evaluation.accuracy)) AUC \(fmt(evaluation.auc)) "
            + "(version \(evaluated.version))"
    }

    /// The report's four panels for a federation's history and nodes.
    static func chart(mode: String, history: [VersionRecord], nodes: [GrowdaStore.NodeRecord]) -> Chart {
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

        let panels = [
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
        let versionCount = history.count == 1 ? "1 version" : "\(history.count) versions"
        return Chart(
            title: "Growda federation report: \(mode), \(versionCount)",
            subtitle: subtitle(history, span: span, nodes: sorted), panels: panels)
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

/// The chart file formats `growda report` writes, picked by the file's extension.
enum ChartFormat {
    case svg, png

    /// The format `path`'s extension names (case-insensitive), nil for any other.
    init?(path: String) {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "svg": self = .svg
        case "png": self = .png
        default: return nil
        }
    }
}
