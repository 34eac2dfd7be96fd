import GrowdaTensor

/// A labelled set of samples held compactly: images as bytes (one contiguous `[UInt8]` of count×H×W), other
/// signals (ECG beats) as Float32. Batches come out as Float32 tensors, images scaled to [0, 1].
public struct Dataset: Sendable {
    /// How the samples are stored.
    public enum Samples: Sendable, Equatable {
        /// Gray levels 0…255, `count × sampleSize` bytes; batches divide by 255.
        case bytes([UInt8])
        /// Values used as they are, `count × sampleSize` floats.
        case floats([Float])
    }

    /// The label given to samples whose class is not known (files to predict).
    public static let unlabelled: Int32 = -1

    /// Class names in label order (for folders: the sorted class folder names).
    public let classNames: [String]
    /// The shape of one sample: (C, H, W) for images, e.g. [1, 28, 28], or (C, L) for signals, e.g. [1, 187].
    public let sampleShape: [Int]
    /// Each sample's class index into `classNames`, or `Dataset.unlabelled`.
    public private(set) var labels: [Int32]
    /// How many samples each class has, in `classNames` order (unlabelled samples are not counted).
    public private(set) var classCounts: [Int]
    /// Where each sample came from (a file path, or a file and line), for reports and predictions.
    public private(set) var sources: [String]
    /// An optional group id per sample (e.g. a patient id) for splits that keep a group on one side.
    public private(set) var groups: [String]?
    /// ECG beats: each beat's R-peak position in its recording, in samples (MIT-BIH's `sample` column), from
    /// which `Rhythm` derives the RR intervals; nil when not known.
    public private(set) var rPeaks: [Int]?
    /// The samples, `count × sampleSize` of them.
    public private(set) var samples: Samples

    /// The number of samples.
    public var count: Int { labels.count }
    /// Scalars in one sample (the product of `sampleShape`).
    public var sampleSize: Int { sampleShape.reduce(1, *) }

    /// A dataset of 8-bit image samples; `bytes.count` must be `labels.count × sampleShape.product`.
    public init(
        classNames: [String], sampleShape: [Int], bytes: [UInt8], labels: [Int32],
        sources: [String]? = nil, groups: [String]? = nil
    ) {
        self.init(classNames, sampleShape, .bytes(bytes), labels, sources, groups)
    }

    /// A dataset of Float32 samples (signals); `floats.count` must be `labels.count × sampleShape.product`.
    public init(
        classNames: [String], sampleShape: [Int], floats: [Float], labels: [Int32],
        sources: [String]? = nil, groups: [String]? = nil, rPeaks: [Int]? = nil
    ) {
        self.init(classNames, sampleShape, .floats(floats), labels, sources, groups, rPeaks)
    }

    private init(
        _ classNames: [String], _ sampleShape: [Int], _ samples: Samples, _ labels: [Int32],
        _ sources: [String]?, _ groups: [String]?, _ rPeaks: [Int]? = nil
    ) {
        let size = sampleShape.reduce(1, *)
        let stored: Int
        switch samples {
        case .bytes(let bytes): stored = bytes.count
        case .floats(let floats): stored = floats.count
        }
        precondition(size > 0, "sample shape \(sampleShape) is empty")
        if case .bytes = samples {
            precondition(
                sampleShape.count == 3 && sampleShape[0] == 1, "image samples are [1, H, W], got \(sampleShape)")
        }
        precondition(stored == labels.count * size, "\(stored) scalars do not hold \(labels.count) × \(sampleShape)")
        precondition(
            labels.allSatisfy { $0 == Dataset.unlabelled || (0..<Int32(classNames.count)).contains($0) },
            "labels must be in 0..<\(classNames.count) or unlabelled (-1)")
        precondition(sources == nil || sources!.count == labels.count, "one source per sample")
        precondition(groups == nil || groups!.count == labels.count, "one group per sample")
        precondition(rPeaks == nil || rPeaks!.count == labels.count, "one R-peak position per sample")
        self.classNames = classNames
        self.sampleShape = sampleShape
        self.samples = samples
        self.labels = labels
        self.sources = sources ?? labels.indices.map { "sample \($0)" }
        self.groups = groups
        self.rPeaks = rPeaks
        self.classCounts = Dataset.countClasses(labels, classCount: classNames.count)
    }

    /// Whether samples are 8-bit images (single channel, shape [1, H, W]).
    public var holdsImages: Bool {
        if case .bytes = samples { return true }
        return false
    }

    /// The samples at `indices`, in that order (indices may repeat).
    public func subset(_ indices: [Int]) -> Dataset {
        let size = sampleSize
        func gather<T>(_ all: [T]) -> [T] {
            var out = [T]()
            out.reserveCapacity(indices.count * size)
            for i in indices { out.append(contentsOf: all[i * size..<(i + 1) * size]) }
            return out
        }
        let picked: Samples
        switch samples {
        case .bytes(let bytes): picked = .bytes(gather(bytes))
        case .floats(let floats): picked = .floats(gather(floats))
        }
        return Dataset(
            classNames, sampleShape, picked, indices.map { labels[$0] }, indices.map { sources[$0] },
            groups.map { g in indices.map { g[$0] } }, rPeaks.map { r in indices.map { r[$0] } })
    }

    /// The same samples with `groups` as their group ids (one per sample; nil for none).
    public func withGroups(_ groups: [String]?) -> Dataset {
        Dataset(classNames, sampleShape, samples, labels, sources, groups, rPeaks)
    }

    /// The same samples with these R-peak positions (one per sample, or nil).
    public func withRPeaks(_ rPeaks: [Int]?) -> Dataset {
        Dataset(classNames, sampleShape, samples, labels, sources, groups, rPeaks)
    }

    /// Sample `index` as a tensor of shape `sampleShape` (images scaled to [0, 1]).
    public func sample(at index: Int) -> Tensor {
        var x = Tensor(shape: [1] + sampleShape)
        var y = [Int32]()
        var rng = SeededGenerator(seed: 0)
        fillBatch(indices: [index][...], into: &x, labels: &y, augmenter: nil, rng: &rng)
        return x.reshaped(sampleShape)
    }

    /// Image sample `index` as an 8-bit gray image; nil for Float32 samples.
    public func image(at index: Int) -> GrayImage? {
        guard case .bytes(let bytes) = samples, sampleShape.count == 3 else { return nil }
        let size = sampleSize
        let pixels = Array(bytes[index * size..<(index + 1) * size])
        return GrayImage(width: sampleShape[2], height: sampleShape[1], pixels: pixels)
    }

    /// Writes samples at `indices` into x (shape [indices.count] + sampleShape, Float32 in [0,1]) and labels;
    /// augments when given one.
    ///
    /// `x` is reallocated only when it is too small, so a training loop can reuse one tensor (its leading rows
    /// are written). An augmenter warps image samples and applies its `signal` augmentation to Float32 samples.
    /// The augmenter draws its parameters from `rng`, one image after the other, so a batch is repeatable.
    public func fillBatch(
        indices: ArraySlice<Int>, into x: inout Tensor, labels: inout [Int32], augmenter: Augmenter?,
        rng: inout SeededGenerator
    ) {
        let shape = [indices.count] + sampleShape
        if x.count < shape.reduce(1, *) { x = Tensor(shape: shape) }
        labels.removeAll(keepingCapacity: true)
        for i in indices { labels.append(self.labels[i]) }
        let size = sampleSize

        x.scalars.withUnsafeMutableBufferPointer { out in
            switch samples {
            case .bytes(let bytes):
                bytes.withUnsafeBufferPointer { all in
                    for (k, i) in indices.enumerated() {
                        let source = UnsafeBufferPointer(rebasing: all[i * size..<(i + 1) * size])
                        let target = UnsafeMutableBufferPointer(rebasing: out[k * size..<(k + 1) * size])
                        if let augmenter {
                            let parameters = augmenter.drawParameters(using: &rng)
                            augmenter.apply(
                                parameters, to: source, width: sampleShape[2], height: sampleShape[1], into: target)
                        } else {
                            for j in 0..<size { target[j] = Float(source[j]) / 255 }
                        }
                    }
                }
            case .floats(let floats):
                floats.withUnsafeBufferPointer { all in
                    for (k, i) in indices.enumerated() {
                        let source = UnsafeBufferPointer(rebasing: all[i * size..<(i + 1) * size])
                        let target = UnsafeMutableBufferPointer(rebasing: out[k * size..<(k + 1) * size])
                        if let signal = augmenter?.signal {
                            signal.apply(
                                to: source, channels: sampleShape[0], length: size / max(1, sampleShape[0]),
                                into: target, rng: &rng)
                        } else {
                            _ = target.initialize(from: source)
                        }
                    }
                }
            }
        }
    }

    /// Per-class counts of `labels`, ignoring unlabelled samples.
    static func countClasses(_ labels: [Int32], classCount: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels where label >= 0 { counts[Int(label)] += 1 }
        return counts
    }
}
