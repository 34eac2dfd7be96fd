import Foundation

extension ImageCatalog {
    /// The images listed in a CSV manifest with a header row naming at least `file` and `label` columns, and
    /// optionally `patient_id` (or `group`), e.g. kermany3's `file,label,patient_id,original_split`.
    ///
    /// `file` is relative to `imagesRoot` (absolute paths are kept). Class names are the distinct labels,
    /// sorted, unless `classNames` fixes them. Fields are plain: no quoting.
    public static func readManifest(
        _ path: String, imagesRoot: String, classNames expected: [String]? = nil
    )
        throws(DatasetError) -> ImageCatalog
    {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadableFile(path: path, reason: (error as NSError).localizedDescription)
        }
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        guard let header = lines.first else { throw .malformedLine(path: path, line: 1, reason: "the file is empty") }

        let columns = header.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        guard let fileColumn = columns.firstIndex(of: "file"), let labelColumn = columns.firstIndex(of: "label") else {
            throw .malformedLine(
                path: path, line: 1, reason: "the header must name 'file' and 'label' columns, found \(columns)")
        }
        let groupColumn = columns.firstIndex(of: "patient_id") ?? columns.firstIndex(of: "group")

        var rows: [(file: String, label: String, group: String?)] = []
        for (number, line) in lines.enumerated().dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard fields.count == columns.count else {
                throw .malformedLine(
                    path: path, line: number + 1,
                    reason: "\(fields.count) fields where the header has \(columns.count)")
            }
            guard !fields[fileColumn].isEmpty, !fields[labelColumn].isEmpty else {
                throw .malformedLine(path: path, line: number + 1, reason: "empty file or label")
            }
            rows.append((fields[fileColumn], fields[labelColumn], groupColumn.map { fields[$0] }))
        }
        if rows.isEmpty { throw .noImages(origin: path) }

        let classNames = expected ?? Array(Set(rows.map(\.label))).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let labelOf = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, Int32($0)) })
        var entries = [Entry]()
        entries.reserveCapacity(rows.count)
        for (k, row) in rows.enumerated() {
            guard let label = labelOf[row.label] else {
                throw .malformedLine(
                    path: path, line: k + 2,
                    reason: "label '\(row.label)' is not one of \(classNames.joined(separator: ", "))")
            }
            let file = row.file.hasPrefix("/") ? row.file : imagesRoot + "/" + row.file
            entries.append(Entry(path: file, label: label, group: row.group))
        }
        return ImageCatalog(classNames: classNames, entries: entries, origin: path)
    }
}
