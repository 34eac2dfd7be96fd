import ArgumentParser
import Foundation
import GrowdaAggregator
import GrowdaProvisioning
import GrowdaStore

/// `growda history`: the per-version history from an aggregator's state folder, read offline.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show the history of versions from the aggregator's state (no running aggregator needed).",
        discussion: """
            Reads the state folder read-only (safe while the aggregator runs). --json prints an array, oldest \
            version first, of objects with the keys \(Self.jsonKeys.joined(separator: ", ")) (eval_* are null \
            until the version is evaluated; train_metrics holds each local metric's mean over the folded \
            updates; update_bytes their sizes on the wire, summed). --csv prints a header line and one line per version: \
            \(Self.csvColumns.joined(separator: ", ")) (contributing_nodes: ids joined by ;), then \
            local_<name> per local metric. Without either, a table of the last \(Self.tableRows) versions \
            and sparklines of accuracy and AUC.
            """)

    /// The keys of each --json object, as the help names them.
    static let jsonKeys = [
        "version", "created_at", "updates_folded", "total_weight", "mean_staleness", "max_staleness",
        "contributing_nodes", "checkpoint", "eval_accuracy", "eval_auc", "eval_loss", "train_metrics",
        "update_bytes",
    ]

    /// The fixed --csv columns, as the help names them.
    static let csvColumns = jsonKeys.filter { $0 != "train_metrics" }

    @OptionGroup var source: StateFolderOptions

    @Flag(help: "Print the history as a JSON array.")
    var json = false

    @Flag(help: "Print the history as CSV (RFC 4180).")
    var csv = false

    /// How many versions the table shows.
    static let tableRows = 40

    func validate() throws {
        if json, csv { throw ValidationError("Give either --json or --csv, not both.") }
    }

    func run() async throws {
        let folder = try source.folder()
        let reader: StateReader
        do {
            reader = try StateReader(folder: folder)
        } catch {
            throw CLIError("cannot read the state at \(folder): \(error)")
        }
        defer { try? reader.close() }
        let history = try reader.history()
        if csv {
            FileHandle.standardOutput.write(Data(HistoryExport.csv(history).utf8))
        } else {
            Terminal.say(try text(history))
        }
    }

    /// What the command prints for `history` (but --csv, which is written as is, CRLF line ends and all):
    /// the JSON array with --json, else the table.
    func text(_ history: [VersionRecord]) throws -> String {
        json ? try HistoryExport.json(history) : Self.table(history)
    }

    /// The last versions as a table, then accuracy and AUC sparklines over the evaluated ones.
    static func table(_ history: [VersionRecord]) -> String {
        guard !history.isEmpty else { return "no versions yet" }
        let header = ["version", "created (UTC)", "updates", "staleness", "nodes", "accuracy", "auc"]
        let shown = history.suffix(tableRows)
        let formatter = Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day().time(
            includingFractionalSeconds: false
        )
        .dateTimeSeparator(.space)
        let rows = shown.map { record in
            [
                String(record.version), record.createdAt.formatted(formatter), String(record.updatesFolded),
                record.meanStaleness.map { fmt($0, 2) } ?? "-", String(record.contributingNodes.count),
                record.evaluation.map { fmt($0.accuracy, 3) } ?? "-", record.evaluation?.auc.map { fmt($0, 3) } ?? "-",
            ]
        }
        let widths = header.indices.map { c in max(header[c].count, rows.map { $0[c].count }.max() ?? 0) }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return c == 1 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        var lines = [line(header)] + rows.map(line)
        if history.count > shown.count {
            lines.insert("(\(history.count - shown.count) earlier versions: --csv or --json shows them all)", at: 0)
        }
        let points = history.compactMap { record in
            record.evaluation.map {
                AggregatorStatus.EvalPoint(version: record.version, accuracy: $0.accuracy, auc: $0.auc)
            }
        }
        lines.append("")
        lines += StatusScreen.model(Array(points.suffix(AggregatorStatus.evalHistoryLimit)))
        return lines.joined(separator: "\n")
    }
}
