/// Anything that can fill a training batch: labelled samples of one shape, addressed by index.
///
/// Data sets (folders of PNGs, ECG tables, synthetic data) conform; the trainer knows only this.
public protocol SampleSource: Sendable {
    /// The number of samples.
    var count: Int { get }
    /// The shape of one sample, e.g. (1, 28, 28) or (1, 187).
    var sampleShape: [Int] { get }
    /// Each sample's class index.
    var labels: [Int32] { get }
    /// Class names in label order.
    var classNames: [String] { get }

    /// Writes the samples at `indices` into the leading rows of `x` and their labels into the leading
    /// entries of `labels`, drawing any randomness (augmentation) from `rng`. `x` is a workspace's
    /// input, (maxBatch) + sampleShape: keep its allocation; replace it only if it is too small.
    func fillBatch(indices: ArraySlice<Int>, into x: inout Tensor, labels: inout [Int32], rng: inout SeededGenerator)
}
