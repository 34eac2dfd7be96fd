import GrowdaTensor

extension Dataset: SampleSource {
    /// Fills a batch without augmentation (evaluation, prediction).
    public func fillBatch(
        indices: ArraySlice<Int>, into x: inout Tensor, labels: inout [Int32], rng: inout SeededGenerator
    ) {
        fillBatch(indices: indices, into: &x, labels: &labels, augmenter: nil, rng: &rng)
    }
}

/// A data set seen through a transform (augmentation, a test-time view): the same samples, labels and
/// classes, filled into batches its own way.
public protocol DatasetView: SampleSource {
    /// The samples seen.
    var dataset: Dataset { get }
}

extension DatasetView {
    /// The number of samples.
    public var count: Int { dataset.count }
    /// The shape of one sample.
    public var sampleShape: [Int] { dataset.sampleShape }
    /// Each sample's class index.
    public var labels: [Int32] { dataset.labels }
    /// Class names in label order.
    public var classNames: [String] { dataset.classNames }
}

/// A data set seen through an augmenter: every batch drawn from it is freshly augmented (training).
public struct AugmentedDataset: DatasetView {
    /// The samples.
    public let dataset: Dataset
    /// The augmentation, or nil for the samples as they are.
    public let augmenter: Augmenter?

    /// `dataset` augmented by `augmenter` (nil: unchanged): images by its warp, signals by its `signal`
    /// augmentation.
    public init(_ dataset: Dataset, augmenter: Augmenter?) {
        self.dataset = dataset
        self.augmenter = augmenter
    }

    /// Fills a batch, augmenting each sample with parameters drawn from `rng`.
    public func fillBatch(
        indices: ArraySlice<Int>, into x: inout Tensor, labels: inout [Int32], rng: inout SeededGenerator
    ) {
        dataset.fillBatch(indices: indices, into: &x, labels: &labels, augmenter: augmenter, rng: &rng)
    }
}
