/// Why a dataset, catalog or split could not be made. Every case names the input and says what to do.
public enum DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The folder does not exist.
    case missingFolder(path: String)
    /// The path exists but is a file.
    case notAFolder(path: String)
    /// A folder could not be listed.
    case unreadableFolder(path: String, reason: String)
    /// The folder holds no class subfolders.
    case noClassFolders(path: String)
    /// The class folders (or the list) hold no PNG files.
    case noImages(origin: String)
    /// A class folder's name is not among the expected classes.
    case unexpectedClass(path: String, name: String, expected: [String])
    /// Every file was skipped as unreadable.
    case nothingLoaded(origin: String, skipped: Int)
    /// A text file (CSV, manifest) could not be read.
    case unreadableFile(path: String, reason: String)
    /// A line of a CSV file or manifest is malformed.
    case malformedLine(path: String, line: Int, reason: String)
    /// A signal CSV has a record column and a side file of records was named too.
    case conflictingRecords(path: String, records: String)
    /// A side file of records does not describe the signal CSV's rows one for one.
    case recordCountMismatch(records: String, recordRows: Int, path: String, rows: Int)
    /// A split was asked for that the data cannot satisfy.
    case impossibleSplit(reason: String)
    /// A model reads beats with their rhythm, and the signal CSV does not say where each beat's R peak is.
    case noRhythm(path: String)

    /// The message shown to a user: what is wrong, with which input, and what to do.
    public var description: String {
        switch self {
        case .missingFolder(let path):
            return "no folder at \(path); \(Self.layout(path))"
        case .notAFolder(let path):
            return "\(path) is a file, not a folder; \(Self.layout(path))"
        case .unreadableFolder(let path, let reason):
            return "cannot list \(path): \(reason); check its permissions"
        case .noClassFolders(let path):
            return "\(path) has no class folders; \(Self.layout(path))"
        case .noImages(let origin):
            return "found no .png or .dcm images in \(origin); \(Self.layout(origin))"
        case .unexpectedClass(let path, let name, let expected):
            return "\(path) has a class folder '\(name)' that is not one of the expected classes "
                + "(\(expected.joined(separator: ", "))); rename or remove it"
        case .nothingLoaded(let origin, let skipped):
            return "every image in \(origin) was unreadable (\(skipped) skipped); "
                + "check the files are PNG or DICOM images"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason); check that the file exists and is readable"
        case .malformedLine(let path, let line, let reason):
            return "\(path), line \(line): \(reason); fix or remove that line"
        case .noRhythm(let path):
            return "\(path) does not give each beat's record and R-peak position, which the rhythm channel is made "
                + "from: use a side file with row, record and sample columns (as mitbih-pvc's train_beats.csv) or a "
                + "record,sample,… header, or a model without rhythm (ecg187)"
        case .conflictingRecords(let path, let records):
            return "\(path) has a record column, so it needs no side file, but \(records) was given too; "
                + "drop the side file (--records) or the record column"
        case .recordCountMismatch(let records, let recordRows, let path, let rows):
            return "\(records) describes \(recordRows) rows but \(path) has \(rows); the side file needs one row "
                + "per row of \(path), in order (row 0 first): regenerate it, or move it away to load without records"
        case .impossibleSplit(let reason):
            return "cannot split: \(reason)"
        }
    }

    /// The folder layout Growda expects, for error messages.
    static func layout(_ root: String) -> String {
        "expected one folder per class holding PNG or DICOM files: \(root)/<class>/*.png (or *.dcm), "
            + "e.g. \(root)/normal/0001.png"
    }
}
