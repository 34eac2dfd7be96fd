import Foundation

/// The history as operators export it: `growda history --json` and `--csv`.
///
/// JSON: an array of `VersionRecord` objects, oldest version first, keys sorted, every key present (see
/// `VersionRecord` for the keys).
///
/// CSV (RFC 4180: comma-separated, CRLF line ends, fields quoted when they hold a comma, quote or line
/// break): a header line, then one line per version, oldest first. The fixed columns are `version`,
/// `created_at`, `updates_folded`, `total_weight`, `mean_staleness`, `max_staleness`, `contributing_nodes`
/// (node ids joined by `;`), `checkpoint`, `eval_accuracy`, `eval_auc`, `eval_loss`, `update_bytes`; then one column
/// `local_<name>` per local metric (the mean over the folded updates of what the hospitals reported, e.g. `local_train_loss`, `local_val_auc`) in any version, names sorted. Absent values are empty fields.
/// Times are ISO 8601 in UTC with milliseconds (`2026-01-31T12:00:00.000Z`).
public enum HistoryExport {
    /// The history as a JSON array (pretty-printed when `pretty`).
    public static func json(_ history: [VersionRecord], pretty: Bool = true) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        return String(decoding: try encoder.encode(history), as: UTF8.self)
    }

    /// The history as CSV text.
    public static func csv(_ history: [VersionRecord]) -> String {
        let metricNames = Set(history.flatMap(\.trainMetrics.keys)).sorted()
        let fixed = VersionRecord.CodingKeys.allCases.filter { $0 != .trainMetrics }.map(\.stringValue)
        var lines = [(fixed + metricNames.map { "local_\($0)" }).map(field).joined(separator: ",")]
        for record in history {
            var fields: [String] = [
                String(record.version), timestamp(record.createdAt), String(record.updatesFolded),
                number(record.totalWeight), record.meanStaleness.map(number) ?? "",
                record.maxStaleness.map { String($0) } ?? "",
                record.contributingNodes.map { String($0) }.joined(separator: ";"), record.checkpoint ?? "",
                record.evaluation.map { number($0.accuracy) } ?? "", record.evaluation?.auc.map(number) ?? "",
                record.evaluation?.loss.map(number) ?? "", String(record.updateBytes),
            ]
            fields += metricNames.map { record.trainMetrics[$0].map(number) ?? "" }
            lines.append(fields.map(field).joined(separator: ","))
        }
        return lines.map { $0 + "\r\n" }.joined()
    }

    /// `2026-01-31T12:00:00.000Z`.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }

    /// The shortest text that reads back as the same `Double`.
    private static func number(_ value: Double) -> String { "\(value)" }

    /// A CSV field, quoted when it must be.
    private static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
