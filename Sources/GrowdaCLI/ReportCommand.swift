import ArgumentParser
import Foundation
import GrowdaAggregator
import GrowdaCharts
import GrowdaDashboard
import GrowdaData
import GrowdaProvisioning
import GrowdaStore

/// `growda report`: draws a federation's history as a chart (SVG or PNG).
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Draw a federation's history as a chart: accuracy, AUC and loss by version, wall time and "
            + "data uploaded, updates per hospital.",
        discussion: """
            Reads the aggregator's state folder (read-only, so it works while the aggregator runs) and draws \
            four panels: evaluation accuracy and AUC against version, the same against wall time since \
            version 0, loss against version (the evaluation loss, else the mean local train_loss the nodes \
            reported), and updates accepted (and refused) per hospital; once the aggregator records updates' \
            sizes, two more: accuracy and AUC against the MiB the hospitals uploaded (what wire.codec \
            compression buys), and that upload by version. The file's extension picks the format: .svg (SVG \
            1.1 text) or .png (1200×800 RGB, 1200×1200 with six panels).
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

        let chart = FederationChart.report(mode: mode, history: history, nodes: nodes)
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
