import Dispatch
import Foundation

/// What happened while loading images: how many loaded, and which files were skipped and why.
public struct LoadReport: Sendable, Equatable, CustomStringConvertible {
    /// A file left out of the dataset.
    public struct Skipped: Sendable, Equatable {
        /// The file's path.
        public var path: String
        /// What was wrong with it.
        public var error: ImageError
        /// The reason, without the path.
        public var reason: String { error.reason }
    }

    /// Images decoded into the dataset.
    public var loaded: Int
    /// Files left out, in catalog order.
    public var skipped: [Skipped]
    /// How many files were left out.
    public var skippedCount: Int { skipped.count }

    /// One line, plus one line per skipped file.
    public var description: String {
        var lines = ["loaded \(loaded) images, skipped \(skipped.count)"]
        for file in skipped { lines.append("  skipped \(file.path): \(file.reason)") }
        return lines.joined(separator: "\n")
    }
}

extension Dataset {
    /// Loads `root/<class>/*.png` and `*.dcm` (see `ImageCatalog.scanFolder`) as `height`×`width` gray images.
    ///
    /// Without `skipUnreadable`, the first bad file (in sorted order) throws its `ImageError`; with it, bad
    /// files are left out and listed in the report. `progress(done, total)` is called from one thread at a
    /// time as files finish.
    public static func loadFolder(
        _ root: String, height: Int, width: Int, classNames: [String]? = nil, skipUnreadable: Bool = false,
        progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
    ) throws -> (dataset: Dataset, report: LoadReport) {
        let catalog = try ImageCatalog.scanFolder(root, classNames: classNames)
        return try load(catalog, height: height, width: width, skipUnreadable: skipUnreadable, progress: progress)
    }

    /// Decodes every file of `catalog` (PNG or DICOM, see `ImageFile`) to gray, resized to `height`×`width`, in
    /// parallel over the cores.
    ///
    /// Sample order follows the catalog. Throws `DatasetError.noImages` for an empty catalog, the first file's
    /// `ImageError` when a file is bad and `skipUnreadable` is false, and `DatasetError.nothingLoaded` when
    /// every file was skipped.
    public static func load(
        _ catalog: ImageCatalog, height: Int, width: Int, skipUnreadable: Bool = false,
        progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
    ) throws -> (dataset: Dataset, report: LoadReport) {
        precondition(height > 0 && width > 0, "target size must be positive, got \(width)×\(height)")
        let total = catalog.entries.count
        if total == 0 { throw DatasetError.noImages(origin: catalog.origin) }
        let size = height * width
        var pixels = [UInt8](repeating: 0, count: total * size)
        var errors = [ImageError?](repeating: nil, count: total)

        // Small chunks keep both cores busy to the end; each chunk writes only its own samples.
        let chunk = max(1, min(64, total / (ProcessInfo.processInfo.activeProcessorCount * 8)))
        let chunks = (total + chunk - 1) / chunk
        let tracker = ProgressTracker(total: total, callback: progress)
        let paths = catalog.entries.map(\.path)
        pixels.withUnsafeMutableBufferPointer { pixelBuffer in
            errors.withUnsafeMutableBufferPointer { errorBuffer in
                let out = SharedBuffer(pixelBuffer)
                let failures = SharedBuffer(errorBuffer)
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    let range = c * chunk..<min(total, (c + 1) * chunk)
                    for i in range {
                        do throws(ImageError) {
                            let image = try ImageFile.read(contentsOf: paths[i]).resized(width: width, height: height)
                            image.pixels.withUnsafeBufferPointer { src in
                                (out.base + i * size).update(from: src.baseAddress!, count: size)
                            }
                        } catch {
                            failures.base[i] = error
                        }
                    }
                    tracker.advance(by: range.count)
                }
            }
        }

        var skipped = [LoadReport.Skipped]()
        var kept = [Int]()
        kept.reserveCapacity(total)
        for i in 0..<total {
            if let error = errors[i] {
                if !skipUnreadable { throw error }
                skipped.append(LoadReport.Skipped(path: paths[i], error: error))
            } else {
                kept.append(i)
            }
        }
        if kept.isEmpty { throw DatasetError.nothingLoaded(origin: catalog.origin, skipped: skipped.count) }
        if kept.count < total {
            // Close the gaps left by skipped files, moving samples down in order.
            pixels.withUnsafeMutableBufferPointer { buffer in
                for (k, i) in kept.enumerated() where k != i {
                    (buffer.baseAddress! + k * size).update(from: buffer.baseAddress! + i * size, count: size)
                }
            }
            pixels.removeSubrange((kept.count * size)...)
        }

        let entries = kept.map { catalog.entries[$0] }
        let hasGroups = entries.contains { $0.group != nil }
        let dataset = Dataset(
            classNames: catalog.classNames, sampleShape: [1, height, width], bytes: pixels,
            labels: entries.map(\.label), sources: entries.map(\.path),
            groups: hasGroups ? entries.map { $0.group ?? "" } : nil)
        return (dataset, LoadReport(loaded: kept.count, skipped: skipped))
    }
}

/// A buffer that parallel workers write at disjoint indices.
private struct SharedBuffer<Element>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
    init(_ buffer: UnsafeMutableBufferPointer<Element>) { base = buffer.baseAddress! }
}

/// Counts finished work from several threads and reports it through one callback at a time.
private final class ProgressTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var done = 0
    private let total: Int
    private let callback: (@Sendable (Int, Int) -> Void)?

    init(total: Int, callback: (@Sendable (Int, Int) -> Void)?) {
        self.total = total
        self.callback = callback
    }

    func advance(by count: Int) {
        guard let callback else { return }
        lock.lock()
        defer { lock.unlock() }
        done += count
        callback(done, total)
    }
}
