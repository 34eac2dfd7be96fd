import Foundation

extension Dataset {
    /// The record of each row of a signal CSV, read from its side file: a CSV whose header names a `row` and a
    /// `record` column (others are ignored, e.g. MIT-BIH's `row,record,sample,symbol,label`), whose data row k
    /// has `row` = k and describes row k of the signal CSV. `dataPath` and `rows` are that CSV's path and row
    /// count, named in errors. When the header also names a `sample` column (the beat's R-peak position in its
    /// recording), those positions come back too.
    static func readRecordSideFile(
        _ path: String, rows: Int, dataPath: String
    ) throws(DatasetError) -> (records: [String], rPeaks: [Int]?) {
        let data = try readFile(path)
        // "\r\n" is one Character in Swift, so CRLF line ends are split on as such.
        let lines = String(decoding: data, as: UTF8.self).split(
            omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        guard let header = lines.first.map(fields), !header.allSatisfy(\.isEmpty) else {
            throw .malformedLine(
                path: path, line: 1, reason: "no header row; a record side file starts with row,record,…")
        }
        guard let rowColumn = header.firstIndex(of: "row"), let recordColumn = header.firstIndex(of: "record") else {
            let missing = header.contains("row") ? "record" : "row"
            throw .malformedLine(
                path: path, line: 1,
                reason: "the header (\(header.joined(separator: ","))) has no '\(missing)' column; a record side "
                    + "file needs a header with row and record columns")
        }
        let sampleColumn = header.firstIndex(of: "sample")
        let needed = max(rowColumn, recordColumn, sampleColumn ?? 0) + 1
        var records = [String]()
        var rPeaks = [Int]()
        records.reserveCapacity(rows)
        for (offset, text) in lines.enumerated().dropFirst() {
            let row = fields(text)
            if row.allSatisfy(\.isEmpty) { continue }
            let line = offset + 1
            guard row.count >= needed else {
                throw .malformedLine(
                    path: path, line: line, reason: "\(row.count) columns; the header has \(header.count)")
            }
            guard let index = Int(row[rowColumn]), index == records.count else {
                throw .malformedLine(
                    path: path, line: line,
                    reason: "row index '\(row[rowColumn])' where \(records.count) was expected; rows must be "
                        + "0, 1, 2, … in the order of \(dataPath)'s rows")
            }
            guard !row[recordColumn].isEmpty else {
                throw .malformedLine(path: path, line: line, reason: "the record is empty")
            }
            if let sampleColumn {
                guard let peak = Int(row[sampleColumn]), peak >= 0 else {
                    throw .malformedLine(
                        path: path, line: line,
                        reason: "sample '\(row[sampleColumn])' is not an R-peak position (a whole number of samples)")
                }
                rPeaks.append(peak)
            }
            records.append(row[recordColumn])
        }
        guard records.count == rows else {
            throw .recordCountMismatch(records: path, recordRows: records.count, path: dataPath, rows: rows)
        }
        return (records, sampleColumn == nil ? nil : rPeaks)
    }
}

/// The comma-separated fields of a line, without surrounding spaces or a trailing CR.
private func fields(_ line: Substring) -> [String] {
    line.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
