import Foundation

extension Dataset {
    /// The signal CSV `loadCSV` reads back to the same samples, labels, groups and R peaks: with groups, a header
    /// `record,s0,…,s<L-1>,label` then rows `record,<samples>,label` (with R peaks too, `record,sample,s0,…` and
    /// rows `record,<R peak>,<samples>,label`); without, rows `<samples>,label` and no header.
    /// Each value is written in the shortest form that reads back to the same Float32.
    ///
    /// Only Float32 samples of shape [1, L] with labels can be written; a record must not hold a comma or a
    /// line break.
    public func csvText(rows indices: [Int]? = nil) -> String {
        guard case .floats(let floats) = samples, sampleShape.count == 2, sampleShape[0] == 1 else {
            preconditionFailure("only signal samples of shape [1, L] are written as CSV, not \(sampleShape)")
        }
        let size = sampleSize
        let rows = indices ?? Array(0..<count)
        var text = ""
        text.reserveCapacity(rows.count * size * 7)
        let peaks = groups == nil ? nil : rPeaks
        if groups != nil {
            text += "record," + (peaks == nil ? "" : "sample,") + (0..<size).map { "s\($0)" }.joined(separator: ",")
                + ",label\n"
        }
        for i in rows {
            precondition(labels[i] >= 0, "sample \(i) has no label; only labelled samples are written as CSV")
            if let groups {
                let record = groups[i]
                precondition(
                    !record.contains(",") && !record.contains("\n") && !record.isEmpty,
                    "record '\(record)' cannot be written in a CSV column")
                text += record
                text += ","
                if let peaks { text += String(peaks[i]) + "," }
            }
            for j in 0..<size {
                text += floats[i * size + j].description
                text += ","
            }
            text += String(labels[i])
            text += "\n"
        }
        return text
    }

    /// Writes ``csvText(rows:)`` to `path` (temp file, then rename), making its folder.
    public func writeCSV(to path: String, rows indices: [Int]? = nil) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(csvText(rows: indices).utf8).write(to: url, options: .atomic)
    }
}
