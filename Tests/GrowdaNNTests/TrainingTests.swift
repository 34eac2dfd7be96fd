import GrowdaTensor
import Testing

@testable import GrowdaNN

/// Two Gaussian blobs in 1×8×8 images: class 1 has a bright 3×3 square somewhere, class 0 does not.
func blobs(count: Int, seed: UInt64) -> InMemorySamples {
    var rng = SeededGenerator(seed: seed)
    var values: [Float] = [], labels: [Int32] = []
    for i in 0..<count {
        var img = (0..<64).map { _ in 0.1 * rng.gaussian() }
        let label = Int32(i % 2)
        if label == 1 {
            let r = Int(rng.next() % 6), c = Int(rng.next() % 6)
            for dr in 0..<3 { for dc in 0..<3 { img[(r + dr) * 8 + c + dc] += 1 } }
        }
        values += img
        labels.append(label)
    }
    return InMemorySamples(sampleShape: [1, 8, 8], values: values, labels: labels, classNames: ["empty", "square"])
}

let tinySpec = ModelSpec(
    name: "tiny", inputShape: [1, 8, 8], classes: ["empty", "square"],
    layers: [
        .conv2d(filters: 4, kernel: 3), .batchNorm, .relu, .maxPool2d(size: 2, stride: 2), .flatten,
        .dropout(rate: 0.1), .dense(units: 8), .relu, .dense(units: 2),
    ])

@Suite("Training")
struct TrainingTests {
    /// A seeded run: the epoch loss must fall well below its start, and accuracy must rise.
    @Test(arguments: [
        OptimizerConfig.adam(learningRate: 1e-2), .sgd(learningRate: 0.05, momentum: 0.9, weightDecay: 1e-4),
    ])
    func lossFalls(optimizer: OptimizerConfig) throws {
        let data = blobs(count: 128, seed: 1)
        let model = try Model(spec: tinySpec, seed: 2)
        let trainer = Trainer(model: model, optimizer: optimizer, batchSize: 16, threads: 2, seed: 3)
        let first = trainer.trainEpoch(data)
        var last = first
        for _ in 0..<7 { last = trainer.trainEpoch(data) }
        print("\(optimizer): loss \(first.loss) -> \(last.loss), accuracy \(first.accuracy) -> \(last.accuracy)")
        #expect(last.loss < 0.5 * first.loss)
        #expect(last.accuracy > 0.9)
        let probs = Predictor(model: model, threads: 2, chunk: 32).probabilities(blobs(count: 64, seed: 9))
        let metrics = ClassificationMetrics(
            probabilities: probs, labels: blobs(count: 64, seed: 9).labels, classes: tinySpec.classes)
        #expect(metrics.accuracy > 0.9)
    }

    /// The same seed and thread count give the same parameters, bit for bit.
    @Test func seededRunsRepeat() throws {
        func run() throws -> [Float] {
            let model = try Model(spec: tinySpec, seed: 2)
            let trainer = Trainer(
                model: model, optimizer: .adam(learningRate: 1e-2), batchSize: 16, threads: 2, seed: 3)
            _ = trainer.trainEpoch(blobs(count: 48, seed: 1))
            return model.parameters.array
        }
        #expect(try run() == run())
    }

    /// Splitting a batch over workers gives the same gradient step as one worker (no dropout or batch norm).
    @Test func workersAgreeWithOneWorker() throws {
        let spec = ModelSpec(
            name: "t", inputShape: [1, 8, 8], classes: ["a", "b"],
            layers: [.conv2d(filters: 3, kernel: 3), .relu, .flatten, .dense(units: 2)])
        let data = blobs(count: 16, seed: 4)
        var results: [[Float]] = []
        for threads in [1, 2, 3] {
            let model = try Model(spec: spec, seed: 5)
            let trainer = Trainer(
                model: model, optimizer: .sgd(learningRate: 0.1, momentum: 0), batchSize: 16, threads: threads,
                classWeights: [1, 3], seed: 6)
            trainer.step(data, indices: Array(0..<16)[...])
            results.append(model.parameters.array)
        }
        for r in results.dropFirst() {
            #expect(zip(r, results[0]).map { abs($0 - $1) }.max()! < 1e-5)
        }
    }
}
