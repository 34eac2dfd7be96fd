import GrowdaTensor

/// Test-time augmentation: a data set seen through fixed, mild transforms, so a prediction can average
/// the model's probabilities over several views of each sample (`growda eval --tta`, `growda predict --tta`).
///
/// The views are deterministic (no randomness): the sample as it is first, then for images a 4% shift left,
/// right and down and a 6% zoom in (no flips: a chest X-ray is not left–right symmetric); for signals,
/// shifts of ±2 and ±4 samples with the edge value repeated.
public struct TestTimeView: DatasetView {
    /// One fixed transform.
    public enum Transform: Sendable, Equatable {
        /// An image warp with these parameters.
        case image(Augmenter.Parameters)
        /// A signal moved by this many samples (positive: later), the edge value repeated.
        case signalShift(Int)
    }

    /// The samples.
    public let dataset: Dataset
    /// What this view does to each.
    public let transform: Transform

    /// The views `growda eval --tta` averages over for `dataset`, the untouched one first.
    public static func views(of dataset: Dataset) -> [TestTimeView] {
        let transforms: [Transform] =
            dataset.holdsImages
            ? [
                .image(.identity), .image(.init(shiftX: -0.04)), .image(.init(shiftX: 0.04)),
                .image(.init(shiftY: 0.04)), .image(.init(zoom: 1.06)),
            ]
            : [0, -2, 2, -4, 4].map { .signalShift($0) }
        return transforms.map { TestTimeView(dataset: dataset, transform: $0) }
    }

    /// Fills a batch with the transformed samples (the random stream is not used).
    public func fillBatch(
        indices: ArraySlice<Int>, into x: inout Tensor, labels: inout [Int32], rng: inout SeededGenerator
    ) {
        dataset.fillBatch(indices: indices, into: &x, labels: &labels, augmenter: nil, rng: &rng)
        let size = dataset.sampleSize
        x.scalars.withUnsafeMutableBufferPointer { out in
            for k in 0..<indices.count {
                let row = UnsafeMutableBufferPointer(rebasing: out[k * size..<(k + 1) * size])
                switch transform {
                case .image(let parameters):
                    guard parameters != .identity, let image = dataset.image(at: indices[indices.startIndex + k])
                    else { continue }
                    image.pixels.withUnsafeBufferPointer { source in
                        Augmenter.standard.apply(
                            parameters, to: source, width: image.width, height: image.height, into: row)
                    }
                case .signalShift(let shift):
                    guard shift != 0 else { continue }
                    let original = Array(row)
                    let last = original.count - 1
                    for j in 0...last { row[j] = original[min(max(j - shift, 0), last)] }
                }
            }
        }
    }
}
