import Foundation

/// A list of labelled image files: the classes of a `root/<class>/*.png` (or `*.dcm`) tree, the rows of a manifest, or
/// plain files to predict. Splits work on catalogs without decoding anything; `Dataset.load` decodes one.
public struct ImageCatalog: Sendable, Equatable {
    /// One image file.
    public struct Entry: Sendable, Equatable {
        /// The file's path.
        public var path: String
        /// Its class index into `classNames`, or `Dataset.unlabelled`.
        public var label: Int32
        /// An optional group id (e.g. a patient id) that a split keeps on one side.
        public var group: String?

        /// An entry for the file at `path`.
        public init(path: String, label: Int32, group: String? = nil) {
            self.path = path
            self.label = label
            self.group = group
        }
    }

    /// Class names in label order.
    public let classNames: [String]
    /// The files, in a stable order (sorted by class, then file name, for folders).
    public var entries: [Entry]
    /// Where the list came from (a folder or manifest path), for messages.
    public let origin: String

    /// A catalog over explicit entries.
    public init(classNames: [String], entries: [Entry], origin: String) {
        self.classNames = classNames
        self.entries = entries
        self.origin = origin
    }

    /// The label of each entry.
    public var labels: [Int32] { entries.map(\.label) }
    /// How many files each class has.
    public var classCounts: [Int] { Dataset.countClasses(labels, classCount: classNames.count) }

    /// The entries at `indices`, in that order.
    public func subset(_ indices: [Int]) -> ImageCatalog {
        ImageCatalog(classNames: classNames, entries: indices.map { entries[$0] }, origin: origin)
    }

    /// Unlabelled files (for prediction), in the order given.
    public static func files(_ paths: [String], classNames: [String] = []) -> ImageCatalog {
        ImageCatalog(
            classNames: classNames, entries: paths.map { Entry(path: $0, label: Dataset.unlabelled) },
            origin: paths.count == 1 ? paths[0] : "the \(paths.count) files given")
    }

    /// The PNG and DICOM files under `root/<class>/`, classes and files sorted by name (byte order) for
    /// determinism.
    ///
    /// Files are listed by name: `.png` and `.dcm`, in any case (see `ImageFile.listedExtensions`). Dotfiles,
    /// other files and nested folders are ignored. A class folder may be empty (a hospital with
    /// no case of a class); it still counts as a class so labels line up across hospitals. Pass `classNames`
    /// to fix the class list (and its order): folders missing from disk then count zero files, and a folder
    /// not in the list is an error.
    public static func scanFolder(
        _ root: String, classNames expected: [String]? = nil
    ) throws(DatasetError)
        -> ImageCatalog
    {
        let found = try subfolders(of: root)
        if found.isEmpty && expected == nil { throw .noClassFolders(path: root) }
        let classNames = expected ?? found
        if let expected, let stray = found.first(where: { !expected.contains($0) }) {
            throw .unexpectedClass(path: root, name: stray, expected: expected)
        }
        var entries = [Entry]()
        for (label, name) in classNames.enumerated() where found.contains(name) {
            let folder = root + "/" + name
            for file in try listing(folder) where !file.hasPrefix(".") && ImageFile.isListed(file) {
                let path = folder + "/" + file
                if isDirectory(path) { continue }
                entries.append(Entry(path: path, label: Int32(label)))
            }
        }
        if entries.isEmpty { throw .noImages(origin: root) }
        return ImageCatalog(classNames: classNames, entries: entries, origin: root)
    }

    /// The sorted names of the non-hidden subfolders of `root`.
    static func subfolders(of root: String) throws(DatasetError) -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isFolder) else {
            throw .missingFolder(path: root)
        }
        guard isFolder.boolValue else { throw .notAFolder(path: root) }
        return try listing(root).filter { !$0.hasPrefix(".") && isDirectory(root + "/" + $0) }
    }

    /// The names in a folder, sorted by their UTF-8 bytes (the same on every platform and locale).
    static func listing(_ folder: String) throws(DatasetError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder)
                .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        } catch {
            throw .unreadableFolder(path: folder, reason: (error as NSError).localizedDescription)
        }
    }

    /// Whether `path` is a folder (following symbolic links).
    static func isDirectory(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
    }
}
