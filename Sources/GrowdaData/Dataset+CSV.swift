import Foundation

extension Dataset {
    /// Loads a CSV of signals, e.g. MIT-BIH beats: 187 samples then 0 or 1. Samples have shape [1, sampleLength]
    /// and are kept as they are (Float32). Class names default to "0", "1", … up to the largest label.
    ///
    /// Rows are `sampleLength` numbers then an integer label (no header unless `hasHeader`). Each sample's record
    /// (patient) goes into `groups`, from the first of:
    /// - a record column: a header row whose first field is `record`, then rows `record,<samples>,label`;
    /// - the side file `records` (e.g. `growda data holdout --records FILE`), or else `X_beats.csv` beside `X.csv`
    ///   when it exists: a CSV with a header naming `row` and `record` columns, whose row k describes data row k.
    /// Without either, `groups` is nil. R-peak positions (`rPeaks`) come from a `sample` column: the side file's, or
    /// the second column of a `record,sample,…` header.
    ///
    /// With `channels` 2 (a model that reads each beat with its rhythm, `ecg187rr`), the samples have shape
    /// [2, sampleLength]: the beat, then its rhythm channel (`addingRhythmChannel`), which needs records and R peaks.
    public static func loadCSV(
        _ path: String, sampleLength: Int = 187, channels: Int = 1, classNames: [String]? = nil,
        hasHeader: Bool = false, records: String? = nil
    ) throws(DatasetError) -> Dataset {
        precondition(channels == 1 || channels == 2, "signal CSVs give 1 channel, or 2 with the rhythm")
        let beats = try loadCSV(
            path, sampleLength: sampleLength, classNames: classNames, hasHeader: hasHeader, records: records)
        return channels == 2 ? try beats.addingRhythmChannel(origin: path) : beats
    }

    /// The beats of a signal CSV as (1, sampleLength) samples (see the public `loadCSV`).
    private static func loadCSV(
        _ path: String, sampleLength: Int, classNames: [String]?, hasHeader: Bool, records: String?
    ) throws(DatasetError) -> Dataset {
        precondition(sampleLength > 0, "sample length must be positive")
        let data = try readFile(path)
        // Data.withUnsafeBytes rethrows untyped errors, so the typed one travels in a Result.
        let parsed = data.withUnsafeBytes { raw -> Result<Dataset, DatasetError> in
            do throws(DatasetError) {
                return .success(
                    try parseCSV(
                        raw.bindMemory(to: UInt8.self), path: path, sampleLength: sampleLength,
                        classNames: classNames, hasHeader: hasHeader))
            } catch {
                return .failure(error)
            }
        }
        var dataset = try parsed.get()
        if dataset.groups != nil {
            if let records {
                throw .conflictingRecords(path: path, records: records)
            }
            return dataset
        }
        if let side = records ?? sideFile(of: path) {
            let (records, rPeaks) = try readRecordSideFile(side, rows: dataset.count, dataPath: path)
            dataset = dataset.withGroups(records).withRPeaks(rPeaks)
        }
        return dataset
    }

    /// The side file `X_beats.csv` beside `X.csv`, when it exists.
    static func sideFile(of path: String) -> String? {
        guard path.hasSuffix(".csv") else { return nil }
        let side = String(path.dropLast(4)) + "_beats.csv"
        return FileManager.default.fileExists(atPath: side) ? side : nil
    }

    /// The bytes of a text file, or `unreadableFile`.
    static func readFile(_ path: String) throws(DatasetError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadableFile(path: path, reason: (error as NSError).localizedDescription)
        }
    }

    /// Parses the bytes of a signal CSV as ``loadCSV(_:sampleLength:classNames:hasHeader:records:)`` does (a
    /// record column included, no side file); `path` is named in errors and sources.
    static func parseCSV(
        _ bytes: UnsafeBufferPointer<UInt8>, path: String, sampleLength: Int, classNames: [String]?, hasHeader: Bool
    ) throws(DatasetError) -> Dataset {
        precondition(sampleLength > 0, "sample length must be positive")
        let recordColumn = startsWithRecordHeader(bytes)
        let sampleColumn = recordColumn && secondHeaderField(bytes) == "sample"
        let rows = try parseRows(
            bytes, path: path, sampleLength: sampleLength, hasHeader: hasHeader || recordColumn,
            recordColumn: recordColumn, sampleColumn: sampleColumn)
        let labels = rows.labels
        let headerLines = hasHeader || recordColumn ? 1 : 0
        guard !labels.isEmpty else {
            throw .malformedLine(path: path, line: 1 + headerLines, reason: "the file has no rows")
        }
        let largest = Int(labels.max()!)
        let names = classNames ?? (0...largest).map(String.init)
        guard largest < names.count else {
            throw .malformedLine(
                path: path, line: rows.lines[labels.firstIndex(of: Int32(largest))!],
                reason: "label \(largest) but only \(names.count) classes (\(names.joined(separator: ", ")))")
        }
        return Dataset(
            classNames: names, sampleShape: [1, sampleLength], floats: rows.values, labels: labels,
            sources: rows.lines.map { "\(path):\($0)" }, groups: recordColumn ? rows.records : nil,
            rPeaks: sampleColumn ? rows.rPeaks : nil)
    }

    /// The samples per row of the signal CSV at `path`, read from its first data row: its columns less the label
    /// and, under a `record,…` (or `record,sample,…`) header, the record (and R-peak) columns, as `loadCSV` reads them.
    public static func csvSampleLength(_ path: String) throws(DatasetError) -> Int {
        let head = [UInt8](try readFile(path).prefix(1 << 16))
        // withUnsafeBufferPointer rethrows untyped errors, so the answer travels in a Result.
        let found = head.withUnsafeBufferPointer { bytes -> Result<Int, DatasetError> in
            let recordColumn = startsWithRecordHeader(bytes)
            let other = 1 + (recordColumn ? 1 : 0) + (recordColumn && secondHeaderField(bytes) == "sample" ? 1 : 0)
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").prefix(2)
            guard let first = lines.first else {
                return .failure(
                    .malformedLine(path: path, line: 1, reason: "the file is empty; it should hold one signal a row"))
            }
            let row = recordColumn ? lines.dropFirst().first : first
            guard let columns = row?.split(separator: ",").count, columns - other >= 1 else {
                return .failure(
                    .malformedLine(path: path, line: recordColumn ? 2 : 1, reason: "no data row with samples and a label"))
            }
            return .success(columns - other)
        }
        return try found.get()
    }

    /// The second field of the first line, trimmed (the `sample` of a `record,sample,…` header), if any.
    static func secondHeaderField(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let end = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
        let line = String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self)
        let fields = line.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
        return fields.count >= 2 ? fields[1].trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    /// Whether the first line's first field is `record` (a record column's header).
    static func startsWithRecordHeader(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let name = Array("record".utf8)
        var p = 0
        while p < bytes.count, bytes[p] == UInt8(ascii: " ") || bytes[p] == 9 { p += 1 }
        guard bytes.count - p > name.count else { return false }
        for (k, c) in name.enumerated() where bytes[p + k] != c { return false }
        p += name.count
        while p < bytes.count, bytes[p] == UInt8(ascii: " ") || bytes[p] == 9 { p += 1 }
        return p < bytes.count && bytes[p] == UInt8(ascii: ",")
    }
}

/// Values, labels, 1-based line numbers, (with a record column) records and (with a sample column) R peaks of the
/// rows of a signal CSV.
private typealias ParsedRows = (values: [Float], labels: [Int32], lines: [Int], records: [String], rPeaks: [Int])

/// Parses every row of a signal CSV (see `Dataset.loadCSV`); with `recordColumn`, each row starts with a record,
/// and with `sampleColumn` the record is followed by the beat's R-peak position.
private func parseRows(
    _ bytes: UnsafeBufferPointer<UInt8>, path: String, sampleLength: Int, hasHeader: Bool, recordColumn: Bool,
    sampleColumn: Bool
)
    throws(DatasetError) -> ParsedRows
{
    var values = [Float]()
    var labels = [Int32]()
    var lines = [Int]()
    var records = [String]()
    var rPeaks = [Int]()
    var parser = CSVNumberParser(bytes: bytes)
    var line = 0
    if hasHeader {
        parser.skipLine()
        line = 1
    }
    values.reserveCapacity(bytes.count / 7)
    let first = (recordColumn ? 2 : 1) + (sampleColumn ? 1 : 0)
    while !parser.atEnd {
        line += 1
        if parser.skipBlankLine() { continue }
        if recordColumn {
            guard let record = parser.nextField(), !record.isEmpty else {
                throw .malformedLine(path: path, line: line, reason: "column 1 (record) is empty")
            }
            guard parser.skipComma() else {
                throw .malformedLine(
                    path: path, line: line, reason: "only a record; expected record,\(sampleLength) values,label")
            }
            records.append(record)
            if sampleColumn {
                guard let peak = parser.nextNumber(), peak >= 0, peak == peak.rounded(), peak < 1e12,
                    parser.skipComma()
                else {
                    throw .malformedLine(
                        path: path, line: line, reason: "column 2 (sample) must be an R-peak position 0, 1, 2, …")
                }
                rPeaks.append(Int(peak))
            }
        }
        for column in 0..<sampleLength {
            guard let value = parser.nextNumber(), value.isFinite else {
                throw .malformedLine(path: path, line: line, reason: "column \(column + first) is not a number")
            }
            values.append(Float(value))
            guard parser.skipComma() else {
                throw .malformedLine(
                    path: path, line: line,
                    reason: "\(column + first) columns; expected \(recordColumn ? "a record, " : "")"
                        + "\(sampleLength) values then a label")
            }
        }
        guard let label = parser.nextNumber(), label >= 0, label == label.rounded(), label < 1_000_000 else {
            throw .malformedLine(
                path: path, line: line, reason: "column \(sampleLength + first) must be a label 0, 1, 2, …")
        }
        guard parser.endLine() else {
            throw .malformedLine(path: path, line: line, reason: "more than \(sampleLength + first) columns")
        }
        labels.append(Int32(label))
        lines.append(line)
    }
    return (values, labels, lines, records, rPeaks)
}

/// A forward-only reader of comma-separated decimal numbers over bytes.
private struct CSVNumberParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    /// Exact powers of ten for the fast path (every one of them is a Double without rounding).
    private static let powers: [Double] = (0...22).map { pow(10, Double($0)) }

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var atEnd: Bool { position >= bytes.count }

    /// Skips to just past the next newline.
    mutating func skipLine() {
        while position < bytes.count && bytes[position] != UInt8(ascii: "\n") { position += 1 }
        position += 1
    }

    /// Skips an empty (or whitespace-only) line; false, without moving, if the line has content.
    mutating func skipBlankLine() -> Bool {
        var p = position
        while p < bytes.count, bytes[p] == UInt8(ascii: " ") || bytes[p] == UInt8(ascii: "\r") || bytes[p] == 9 {
            p += 1
        }
        if p >= bytes.count || bytes[p] == UInt8(ascii: "\n") {
            position = p + 1
            return true
        }
        return false
    }

    /// Consumes a comma (with surrounding spaces); false if something else comes.
    mutating func skipComma() -> Bool {
        skipSpaces()
        guard position < bytes.count, bytes[position] == UInt8(ascii: ",") else { return false }
        position += 1
        return true
    }

    /// Consumes the end of the line (spaces, CR, LF or end of data); false if more fields follow.
    mutating func endLine() -> Bool {
        skipSpaces()
        if position < bytes.count && bytes[position] == UInt8(ascii: "\r") { position += 1 }
        if position >= bytes.count { return true }
        guard bytes[position] == UInt8(ascii: "\n") else { return false }
        position += 1
        return true
    }

    /// The next field as text, up to a comma or the end of the line, without surrounding spaces.
    mutating func nextField() -> String? {
        skipSpaces()
        let start = position
        while position < bytes.count && bytes[position] != UInt8(ascii: ",") && bytes[position] != UInt8(ascii: "\n")
            && bytes[position] != UInt8(ascii: "\r")
        {
            position += 1
        }
        var end = position
        while end > start && (bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == 9) { end -= 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    /// The next number: optional sign, digits with an optional point, optional exponent.
    mutating func nextNumber() -> Double? {
        skipSpaces()
        let start = position
        var negative = false
        if position < bytes.count && (bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "+")) {
            negative = bytes[position] == UInt8(ascii: "-")
            position += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        var seenPoint = false
        while position < bytes.count {
            let c = bytes[position]
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                // Up to 15 digits the mantissa is an exact Double; longer numbers take the slow path.
                guard digits < 15 else { return slowNumber(from: start) }
                mantissa = mantissa * 10 + UInt64(c - UInt8(ascii: "0"))
                if seenPoint { fractionDigits += 1 }
                digits += 1
            } else if c == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else {
                break
            }
            position += 1
        }
        guard digits > 0 else { return nil }
        if position < bytes.count && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")) {
            return slowNumber(from: start)
        }
        if fractionDigits > 22 { return slowNumber(from: start) }
        // Both operands are exact, so the quotient is correctly rounded.
        let value = Double(mantissa) / Self.powers[fractionDigits]
        return negative ? -value : value
    }

    /// Parses the number starting at `start` with the C library (exponents, very long mantissas).
    private mutating func slowNumber(from start: Int) -> Double? {
        var end = start
        while end < bytes.count && bytes[end] != UInt8(ascii: ",") && bytes[end] != UInt8(ascii: "\n")
            && bytes[end] != UInt8(ascii: "\r") && bytes[end] != UInt8(ascii: " ")
        {
            end += 1
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        position = end
        return Double(text)
    }

    private mutating func skipSpaces() {
        while position < bytes.count && (bytes[position] == UInt8(ascii: " ") || bytes[position] == 9) {
            position += 1
        }
    }
}
