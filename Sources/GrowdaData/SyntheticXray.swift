import Dispatch
import Foundation
import GrowdaTensor

/// Synthetic chest-X-ray-like images in three classes, for tests, demos and federations without real data.
///
/// - `normal`: a chest: dark lung fields crossed by rib-like arcs, a bright mediastinum and heart to one side,
///   the body outline, varying patient size, position, exposure and noise.
/// - `bacterial`: a dense lobar consolidation, a bright patch filling part of one lung zone.
/// - `viral`: diffuse bilateral interstitial haze, a fine reticular texture over both lungs.
///
/// The classes overlap on purpose (faint consolidations, weak haze, some normals with mild haze or a faint
/// shadow, strong noise) so a small CNN learns them well but not perfectly. Image `index` of a class depends
/// only on (seed, class, index, size): the same call gives the same pixels, and more images per class extend
/// the set without changing the first ones.
public enum SyntheticXray {
    /// The class names, in label order (sorted, as a folder load would give them).
    public static let classNames = ["bacterial", "normal", "viral"]
    /// Label of the `bacterial` class.
    public static let bacterial = 0
    /// Label of the `normal` class.
    public static let normal = 1
    /// Label of the `viral` class.
    public static let viral = 2
    /// The image sizes the generator supports, in pixels a side.
    public static let sizes = 16...512

    /// Image `index` of class `label`, `size`×`size` pixels.
    public static func image(label: Int, index: Int, size: Int, seed: UInt64) -> GrayImage {
        precondition((0..<classNames.count).contains(label), "label must be 0, 1 or 2")
        precondition(sizes.contains(size), "size must be in \(sizes)")
        var rng = SeededGenerator(
            seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(label + 1) << 40 &+ UInt64(truncatingIfNeeded: index))
        let scene = ChestScene(label: label, rng: &rng)
        return scene.render(size: size, rng: &rng)
    }

    /// `perClass` images of each class as a dataset of shape [1, size, size], class by class; rendered in
    /// parallel. Sources read `<class>/NNNNN.png`, as `write` names the files.
    public static func generate(perClass: Int, size: Int, seed: UInt64) -> Dataset {
        precondition(perClass > 0, "perClass must be positive")
        let total = perClass * classNames.count
        let pixelsPerImage = size * size
        var pixels = [UInt8](repeating: 0, count: total * pixelsPerImage)
        pixels.withUnsafeMutableBufferPointer { buffer in
            let out = UncheckedPointer(buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: total) { i in
                let image = SyntheticXray.image(label: i / perClass, index: i % perClass, size: size, seed: seed)
                image.pixels.withUnsafeBufferPointer { src in
                    (out.base + i * pixelsPerImage).update(from: src.baseAddress!, count: pixelsPerImage)
                }
            }
        }
        let labels = (0..<total).map { Int32($0 / perClass) }
        let sources = (0..<total).map { fileName(label: $0 / perClass, index: $0 % perClass) }
        return Dataset(
            classNames: classNames, sampleShape: [1, size, size], bytes: pixels, labels: labels, sources: sources)
    }

    /// What `write` produced.
    public struct WriteSummary: Sendable, Equatable, Codable {
        /// The output folder.
        public var folder: String
        /// Images written per class, in `classNames` order.
        public var perClass: [Int]
        /// Image side in pixels.
        public var size: Int
        /// The seed used.
        public var seed: UInt64
        /// Total bytes of the PNG files.
        public var bytes: Int
    }

    /// Writes `perClass` images of each class as `folder/<class>/NNNNN.png` (8-bit gray PNG), in parallel.
    /// `progress(done, total)` is called from one thread at a time.
    public static func write(
        perClass: Int, size: Int, seed: UInt64, to folder: String,
        progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
    ) throws -> WriteSummary {
        precondition(perClass > 0, "perClass must be positive")
        precondition(sizes.contains(size), "size must be in \(sizes)")
        for name in classNames {
            let path = folder + "/" + name
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw ImageError.writeFailed(path: path, reason: (error as NSError).localizedDescription)
            }
        }
        let total = perClass * classNames.count
        let results = WriteResults(count: total, callback: progress)
        DispatchQueue.concurrentPerform(iterations: total) { i in
            let label = i / perClass
            let image = SyntheticXray.image(label: label, index: i % perClass, size: size, seed: seed)
            let path = folder + "/" + fileName(label: label, index: i % perClass)
            do throws(ImageError) {
                let bytes = try PNG.encode(image)
                try PNG.writeFile(bytes, to: path)
                results.record(i, .success(bytes.count))
            } catch {
                results.record(i, .failure(error))
            }
        }
        let bytes = try results.totalBytes()
        return WriteSummary(
            folder: folder, perClass: Array(repeating: perClass, count: classNames.count), size: size, seed: seed,
            bytes: bytes)
    }

    /// `<class>/NNNNN.png` for image `index` of class `label`.
    static func fileName(label: Int, index: Int) -> String {
        let digits = String(index)
        return classNames[label] + "/" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits + ".png"
    }
}

/// A pointer that parallel workers write at disjoint offsets.
private struct UncheckedPointer: @unchecked Sendable {
    let base: UnsafeMutablePointer<UInt8>
    init(_ base: UnsafeMutablePointer<UInt8>) { self.base = base }
}

/// Collects per-file write results from parallel workers and reports progress one call at a time.
private final class WriteResults: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<Int, ImageError>?]
    private var done = 0
    private let callback: (@Sendable (Int, Int) -> Void)?

    init(count: Int, callback: (@Sendable (Int, Int) -> Void)?) {
        results = Array(repeating: nil, count: count)
        self.callback = callback
    }

    func record(_ index: Int, _ result: Result<Int, ImageError>) {
        lock.lock()
        defer { lock.unlock() }
        results[index] = result
        done += 1
        callback?(done, results.count)
    }

    /// The total bytes written, or the first failure in file order.
    func totalBytes() throws(ImageError) -> Int {
        var total = 0
        for result in results {
            switch result {
            case .success(let bytes)?: total += bytes
            case .failure(let error)?: throw error
            case nil: break
            }
        }
        return total
    }
}
