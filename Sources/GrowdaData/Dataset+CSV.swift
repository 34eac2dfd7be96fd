import Foundation

extension Dataset {
    /// Loads a CSV of signals whose rows are `sampleLength` numbers then an integer label (no header unless
    /// `hasHeader`), e.g. MIT-BIH beats: 187 samples then 0 or 1. Samples have shape [1, sampleLength] and are
    /// kept as they are (Float32). Class names default to "0", "1", … up to the largest label.
    public static func loadCSV(
        _ path: String, sampleLength: Int = 187, classNames: [String]? = nil, hasHeader: Bool = false
    ) throws(DatasetError) -> Dataset {
        precondition(sampleLength > 0, "sample length must be positive")
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadableFile(path: path, reason: (error as NSError).localizedDescription)
        }
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
        return try parsed.get()
    }

    /// Parses the bytes of a signal CSV as ``loadCSV(_:sampleLength:classNames:hasHeader:)`` does; `path` is
    /// named in errors and sources.
    static func parseCSV(
        _ bytes: UnsafeBufferPointer<UInt8>, path: String, sampleLength: Int, classNames: [String]?, hasHeader: Bool
    ) throws(DatasetError) -> Dataset {
        precondition(sampleLength > 0, "sample length must be positive")
        let (values, labels, sources) = try parseRows(
            bytes, path: path, sampleLength: sampleLength, hasHeader: hasHeader)
        guard !labels.isEmpty else { throw .malformedLine(path: path, line: 1, reason: "the file has no rows") }
        let largest = Int(labels.max()!)
        let names = classNames ?? (0...largest).map(String.init)
        guard largest < names.count else {
            throw .malformedLine(
                path: path, line: labels.firstIndex(of: Int32(largest))! + 1 + (hasHeader ? 1 : 0),
                reason: "label \(largest) but only \(names.count) classes (\(names.joined(separator: ", ")))")
        }
        return Dataset(
            classNames: names, sampleShape: [1, sampleLength], floats: values, labels: labels, sources: sources)
    }
}

/// Values, labels and sources of the rows of a signal CSV.
private typealias ParsedRows = (values: [Float], labels: [Int32], sources: [String])

/// Parses every row of a signal CSV (see `Dataset.loadCSV`).
private func parseRows(
    _ bytes: UnsafeBufferPointer<UInt8>, path: String, sampleLength: Int, hasHeader: Bool
)
    throws(DatasetError) -> ParsedRows
{
    var values = [Float]()
    var labels = [Int32]()
    var sources = [String]()
    var parser = CSVNumberParser(bytes: bytes)
    var line = 0
    if hasHeader {
        parser.skipLine()
        line = 1
    }
    values.reserveCapacity(bytes.count / 7)
    while !parser.atEnd {
        line += 1
        if parser.skipBlankLine() { continue }
        for column in 0..<sampleLength {
            guard let value = parser.nextNumber(), value.isFinite else {
                throw .malformedLine(path: path, line: line, reason: "column \(column + 1) is not a number")
            }
            values.append(Float(value))
            guard parser.skipComma() else {
                throw .malformedLine(
                    path: path, line: line,
                    reason: "\(column + 1) columns; expected \(sampleLength) values then a label")
            }
        }
        guard let label = parser.nextNumber(), label >= 0, label == label.rounded(), label < 1_000_000 else {
            throw .malformedLine(
                path: path, line: line, reason: "column \(sampleLength + 1) must be a label 0, 1, 2, …")
        }
        guard parser.endLine() else {
            throw .malformedLine(path: path, line: line, reason: "more than \(sampleLength + 1) columns")
        }
        labels.append(Int32(label))
        sources.append("\(path):\(line)")
    }
    return (values, labels, sources)
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
