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

    /// Writes the samples at `indices` into `x` (shape: [indices.count] + sampleShape, reshaped if
    /// needed) and their labels into `labels`, drawing any randomness (augmentation) from `rng`.
    func fillBatch(indices: ArraySlice<Int>, into x: inout Tensor, labels: inout [Int32], rng: inout SeededGenerator)
}
