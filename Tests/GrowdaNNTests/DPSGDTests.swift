import GrowdaTensor
import Testing

@testable import GrowdaNN

/// `tinySpec` without batch normalisation or dropout: every sample's gradient is its own.
let privateSpec = ModelSpec(
    name: "tiny-private", inputShape: [1, 8, 8], classes: ["empty", "square"],
    layers: [
        .conv2d(filters: 4, kernel: 3), .relu, .maxPool2d(size: 2, stride: 2), .flatten, .dense(units: 8), .relu,
        .dense(units: 2),
    ])

@Suite("DP-SGD")
struct DPSGDTests {
    /// Each sample's gradient on its own (a fresh one-sample pass), its L2 norm, for the naive oracle.
    private func sampleGradients(_ model: Model, _ data: InMemorySamples, _ indices: [Int]) -> [[Float]] {
        indices.map { i in
            let ws = Workspace(model: model, maxBatch: 1)
            var rng = SeededGenerator(seed: 0)
            data.fillBatch(indices: [i][...], into: &ws.input, labels: &ws.labels, rng: &rng)
            ws.grads.zero()
            let logits = model.forward(ws, batch: 1, mode: .training)
            let d = FloatBuffer(count: model.classCount)
            _ = ws.labels.withUnsafeBufferPointer {
                SoftmaxCrossEntropy().lossAndGradient(
                    logits: logits.baseAddress!, labels: $0.baseAddress!, batch: 1, classes: model.classCount,
                    totalWeight: 1, dLogits: d.pointer)
            }
            model.backward(ws, batch: 1, dLogits: d.pointer)
            return ws.grads.array
        }
    }

    /// With no noise and plain SGD at rate 1, a step moves the parameters by −(1/B)·Σ clip_C(gᵢ), where
    /// the naive loop computes every gᵢ alone: the trainer's per-worker clipping must match it, for a clip
    /// norm that scales some samples and leaves others.
    @Test(arguments: [1, 2]) func perSampleClippingMatchesNaiveLoop(threads: Int) throws {
        let data = blobs(count: 12, seed: 5)
        let model = try Model(spec: privateSpec, seed: 7)
        let start = model.parameters.array
        let indices = Array(0..<9)
        let grads = sampleGradients(model, data, indices)
        let norms = grads.map { g in g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }
        let clip = Float(norms.sorted()[norms.count / 2])
        #expect(norms.contains { $0 > Double(clip) * 1.01 } && norms.contains { $0 < Double(clip) * 0.99 })
        var expected = start
        for (g, norm) in zip(grads, norms) {
            let scale = norm > Double(clip) ? Float(Double(clip) / norm) : 1
            for j in expected.indices { expected[j] -= scale * g[j] / 16 }
        }
        let trainer = Trainer(
            model: model, optimizer: .sgd(learningRate: 1, momentum: 0), batchSize: 16, threads: threads, seed: 1,
            privacy: DPSGD(clipNorm: clip, noiseMultiplier: 0))
        trainer.step(data, indices: indices[...])
        let got = model.parameters.array
        let worst = zip(got, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-6, "largest difference from the naive loop: \(worst)")
        #expect(trainer.clippedSamples == norms.filter { $0 > Double(clip) }.count)
        #expect(trainer.privateSteps == 1 && trainer.privateSamples == 9)
    }

    /// An empty Poisson batch moves the parameters by noise alone: −(σC/B)·N(0, 1) per coordinate. The
    /// empirical variance over every coordinate must be (σC/B)² within 3%, the mean near 0.
    @Test func noiseHasTheCalibratedVariance() throws {
        let spec = ModelSpec(
            name: "wide", inputShape: [1, 8, 8], classes: ["a", "b"],
            layers: [.flatten, .dense(units: 1500), .relu, .dense(units: 2)])
        let model = try Model(spec: spec, seed: 1)
        let start = model.parameters.array
        let (clip, sigma, batch): (Float, Float, Int) = (0.5, 1.3, 8)
        let trainer = Trainer(
            model: model, optimizer: .sgd(learningRate: 1, momentum: 0), batchSize: batch, threads: 2, seed: 9,
            privacy: DPSGD(clipNorm: clip, noiseMultiplier: sigma))
        trainer.step(blobs(count: 4, seed: 1), indices: [][...])
        let moves = zip(model.parameters.array, start).map { Double($0 - $1) }
        let n = Double(moves.count)
        let mean = moves.reduce(0, +) / n
        let variance = moves.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        let target = Double(sigma * clip / Float(batch)) * Double(sigma * clip / Float(batch))
        #expect(moves.count > 90_000)
        #expect(abs(variance / target - 1) < 0.03, "variance \(variance), expected \(target)")
        #expect(abs(mean) < 4 * (target / n).squareRoot())
    }

    /// The default noise is not repeatable: two runs from the same seeds differ (an observer who knows
    /// the seed cannot subtract it); a seeded source repeats.
    @Test func secureNoiseDoesNotRepeat() throws {
        func run(_ noise: NoiseSource) throws -> [Float] {
            let model = try Model(spec: privateSpec, seed: 7)
            let trainer = Trainer(
                model: model, optimizer: .sgd(learningRate: 1, momentum: 0), batchSize: 4, threads: 1, seed: 1,
                privacy: DPSGD(clipNorm: 1, noiseMultiplier: 1), noise: noise)
            trainer.step(blobs(count: 4, seed: 1), indices: [0, 1][...])
            return model.parameters.array
        }
        #expect(try run(.secure) != run(.secure))
        #expect(try run(.seeded(5)) == run(.seeded(5)))
    }

    /// A noised sum: Σ of k vectors plus N(0, s²) has, over many coordinates, the variance s² around the
    /// clean sum, whatever the thread count (the streams are per chunk, not per thread).
    @Test func noisedSumVarianceAndThreadIndependence() {
        let count = 200_000, std: Float = 0.7
        func noised(threads: Int) -> [Float] {
            let buffer = FloatBuffer(count: count)
            for i in 0..<count { buffer.pointer[i] = Float(i % 7) }
            var source = NoiseSource.seeded(3)
            addGaussianNoise(buffer.pointer, count: count, std: std, source: &source, threads: threads)
            return buffer.array
        }
        let one = noised(threads: 1), two = noised(threads: 2)
        #expect(one == two)
        let residuals = one.enumerated().map { Double($1) - Double($0 % 7) }
        let variance = residuals.reduce(0) { $0 + $1 * $1 } / Double(count)
        #expect(abs(variance / Double(std * std) - 1) < 0.02)
    }

    /// An epoch under DP-SGD is round(count / batch) Poisson-sampled steps whose sizes average the batch.
    @Test func batchesArePoissonSampled() throws {
        let data = blobs(count: 1000, seed: 2)
        let model = try Model(spec: privateSpec, seed: 1)
        let trainer = Trainer(
            model: model, optimizer: .adam(learningRate: 1e-3), batchSize: 50, threads: 2, seed: 4,
            privacy: DPSGD(clipNorm: 1, noiseMultiplier: 1))
        var sizes: [Int] = []
        _ = trainer.trainEpoch(data, progress: { sizes.append($0.stats.samples) })
        #expect(sizes.count == 20 && trainer.privateSteps == 20)
        let perStep = zip(sizes, [0] + sizes).map { $0 - $1 }
        #expect(Set(perStep).count > 3, "Poisson batches vary in size: \(perStep)")
        #expect(abs(trainer.privateSamples - 1000) < 160)
    }

    /// A fixed sampling rate q overrides the batch size: an epoch is round(1/q) steps of about q·n samples.
    @Test func fixedSamplingRateSetsStepsAndBatchSizes() throws {
        let data = blobs(count: 400, seed: 2)
        let model = try Model(spec: privateSpec, seed: 1)
        let dp = DPSGD(clipNorm: 1, noiseMultiplier: 1, samplingRate: 0.1)
        #expect(dp.rate(batchSize: 50, count: 400) == 0.1 && dp.steps(batchSize: 50, count: 400) == 10)
        #expect(DPSGD(clipNorm: 1, noiseMultiplier: 1).rate(batchSize: 50, count: 400) == 0.125)
        let trainer = Trainer(
            model: model, optimizer: .adam(learningRate: 1e-3), batchSize: 50, threads: 2, seed: 4, privacy: dp)
        _ = trainer.trainEpoch(data)
        #expect(trainer.privateSteps == 10)
        #expect(abs(trainer.privateSamples - 400) < 80)
        #expect(DPSGD(clipNorm: 1, noiseMultiplier: 1, samplingRate: 0).problem(for: model) != nil)
    }

    /// Private training still learns the blobs at modest noise.
    @Test func privateTrainingLearns() throws {
        let model = try Model(spec: privateSpec, seed: 2)
        let trainer = Trainer(
            model: model, optimizer: .adam(learningRate: 1e-2), batchSize: 16, threads: 2, seed: 3,
            privacy: DPSGD(clipNorm: 1, noiseMultiplier: 0.5), noise: .seeded(11))
        for _ in 0..<10 { _ = trainer.trainEpoch(blobs(count: 128, seed: 1)) }
        let test = blobs(count: 64, seed: 9)
        let probs = Predictor(model: model, threads: 2, chunk: 32).probabilities(test)
        let accuracy = ClassificationMetrics(probabilities: probs, labels: test.labels, classes: privateSpec.classes)
            .accuracy
        #expect(accuracy > 0.85, "accuracy \(accuracy)")
    }

    /// Batch normalisation mixes samples: DP-SGD refuses a model with it, saying why; bad numbers too.
    @Test func refusesWhatItCannotProtect() throws {
        let problem = DPSGD(clipNorm: 1, noiseMultiplier: 1).problem(for: try Model(spec: tinySpec))
        #expect(problem?.contains("batch normalisation") == true)
        #expect(DPSGD(clipNorm: 0, noiseMultiplier: 1).problem(for: try Model(spec: privateSpec)) != nil)
        #expect(DPSGD(clipNorm: 1, noiseMultiplier: -1).problem(for: try Model(spec: privateSpec)) != nil)
        #expect(throws: ModelError.self) { try DPSGD(clipNorm: 1, noiseMultiplier: .nan).check(Model(spec: privateSpec)) }
    }

    /// Update-level protection scales a long delta down to S and leaves a short one; its noise has
    /// variance (zS)².
    @Test func updatePrivacyClipsAndNoises() {
        let long = FloatBuffer(count: 4)
        for (i, v) in [3, 4, 0, 0].enumerated() { long.pointer[i] = Float(v) }
        var source = NoiseSource.secure
        let before = UpdatePrivacy(clipNorm: 1, noiseMultiplier: 0).apply(long.pointer, count: 4, source: &source)
        #expect(abs(before - 5) < 1e-9)
        #expect(long.array.map { ($0 * 1000).rounded() / 1000 } == [0.6, 0.8, 0, 0])
        UpdatePrivacy(clipNorm: 10, noiseMultiplier: 0).apply(long.pointer, count: 4, source: &source)
        #expect(long.array.map { ($0 * 1000).rounded() / 1000 } == [0.6, 0.8, 0, 0])
        let zero = FloatBuffer(count: 100_000)
        UpdatePrivacy(clipNorm: 2, noiseMultiplier: 0.5).apply(zero.pointer, count: zero.count, source: &source)
        let variance = zero.array.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(zero.count)
        #expect(abs(variance - 1) < 0.03)
    }
}
