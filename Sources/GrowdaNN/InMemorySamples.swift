import GrowdaTensor

/// Labelled Float32 samples held in memory: for tests, benchmarks and small tables.
public struct InMemorySamples: SampleSource {
    /// The shape of one sample.
    public let sampleShape: [Int]
    /// Each sample's class index.
    public let labels: [Int32]
    /// Class names in label order.
    public let classNames: [String]
    /// All samples back to back, `count × sampleShape`.
    public let values: [Float]

    /// Samples over `values` (count × product(sampleShape)) with their labels.
    public init(sampleShape: [Int], values: [Float], labels: [Int32], classNames: [String]) {
        precondition(
            values.count == labels.count * sampleShape.reduce(1, *), "values do not match labels × sample shape")
        self.sampleShape = sampleShape
        self.values = values
        self.labels = labels
        self.classNames = classNames
    }

    /// `count` samples of Gaussian noise with uniformly random labels, drawn from `seed`.
    public static func random(count: Int, sampleShape: [Int], classes: Int, seed: UInt64) -> InMemorySamples {
        var rng = SeededGenerator(seed: seed)
        let size = sampleShape.reduce(1, *)
        let values = (0..<(count * size)).map { _ in rng.gaussian() }
        let labels = (0..<count).map { _ in Int32(rng.next() % UInt64(classes)) }
        return InMemorySamples(
            sampleShape: sampleShape, values: values, labels: labels, classNames: (0..<classes).map { "class\($0)" })
    }

    /// The number of samples.
    public var count: Int { labels.count }

    /// Copies the samples at `indices`; no randomness is used.
    public func fillBatch(
        indices: ArraySlice<Int>, into x: inout Tensor, labels out: inout [Int32], rng: inout SeededGenerator
    ) {
        let size = sampleShape.reduce(1, *)
        if x.count < indices.count * size { x = Tensor(shape: [indices.count] + sampleShape) }
        x.scalars.withUnsafeMutableBufferPointer { dst in
            values.withUnsafeBufferPointer { src in
                for (row, i) in indices.enumerated() {
                    (dst.baseAddress! + row * size).update(from: src.baseAddress! + i * size, count: size)
                }
            }
        }
        for (row, i) in indices.enumerated() { out[row] = labels[i] }
    }
}
