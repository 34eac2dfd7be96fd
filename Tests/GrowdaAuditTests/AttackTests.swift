import Foundation
import GrowdaAudit
import GrowdaNN
import GrowdaTensor
import Testing

/// The attack on small models whose answers are known: exact analytic recovery through a dense first layer,
/// feature inversion of a small image, and DP noise destroying both.
@Suite struct AttackTests {
    /// A smooth 12×12 image in [0.1, 0.9].
    static func image(seed: UInt64, width: Int = 12, height: Int = 12) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        let (a, b, c) = (rng.uniform(0.5, 1.5), rng.uniform(0.5, 1.5), rng.uniform(0, 6))
        return (0..<(width * height)).map { i in
            let (x, y) = (Float(i % width) / Float(width), Float(i / width) / Float(height))
            return 0.5 + 0.4 * sin(a * 5 * x + c) * cos(b * 4 * y)
        }
    }

    /// Flatten, dense 16, ReLU, dense 2 over 12×12 images (SSIM needs 11×11 at least): the dense layer reads the pixels themselves.
    static func denseSpec(units: Int = 16) -> ModelSpec {
        ModelSpec(
            name: "tiny-dense", inputShape: [1, 12, 12], classes: ["a", "b"],
            layers: [.flatten, .dense(units: units), .relu, .dense(units: 2)])
    }

    static func samples(_ images: [[Float]], shape: [Int]) -> InMemorySamples {
        InMemorySamples(
            sampleShape: shape, values: images.flatMap { $0 }, labels: images.indices.map { Int32($0 % 2) },
            classNames: ["a", "b"])
    }

    @Test func analyticRecoveryIsExactAtBatchOneWithSGD() throws {
        let model = try Model(spec: Self.denseSpec(), seed: 3)
        let truth = Self.image(seed: 1)
        let sgd = OptimizerConfig.sgd(learningRate: 0.1, momentum: 0.9, weightDecay: 0.05)
        let delta = try LocalUpdate(optimizer: sgd).train(from: model, on: Self.samples([truth], shape: [1, 12, 12]))
        let attack = try LeakageAttack(global: model, candidateLimit: 3)
        #expect(attack.inversion == nil, "the dense layer reads the image: nothing to invert")
        #expect(attack.seen == SeenRegion(rows: 12, columns: 12))
        let found = attack.reconstruct(delta: delta, optimizer: sgd, samples: 1)
        let best = found.map { zip($0, truth).reduce(0) { max($0, abs($1.0 - $1.1)) } }.min()!
        print("analytic, SGD, batch 1: \(found.count) candidate(s), max |diff| \(best)")
        #expect(best < 1e-3)
        // Every live row agreed: one group besides the overall fit.
        let leak = try DenseLayerLeak(model: model)
        let candidates = leak.candidates(delta: delta, global: model, optimizer: sgd, limit: 3)
        #expect(candidates.count == 2 && candidates[1].rows >= 4)
    }

    /// Adam's first step is −η·g/(|g| + ε): for gradients far above ε = 10⁻⁸ the Float32 update keeps only the
    /// sign, and inverting the step (as the attack does) cannot bring the magnitudes back. Measured, not assumed:
    /// the same image and model that SGD gives away exactly.
    @Test func adamsFirstStepHidesMagnitudes() throws {
        let model = try Model(spec: Self.denseSpec(), seed: 3)
        let truth = Self.image(seed: 2)
        let data = Self.samples([truth], shape: [1, 12, 12])
        let attack = try LeakageAttack(global: model, candidateLimit: 3)
        func psnr(_ optimizer: OptimizerConfig) throws -> Double {
            let delta = try LocalUpdate(optimizer: optimizer).train(from: model, on: data)
            return attack.reconstruct(delta: delta, optimizer: optimizer, samples: 1)
                .map { ImageQuality.psnr($0, truth, width: 12, height: 12) }.max()!
        }
        let adam = try psnr(.adam(learningRate: 1e-3, weightDecay: 0.05))
        let sgd = try psnr(.sgd(learningRate: 1e-3, momentum: 0.9, weightDecay: 0.05))
        print("analytic, batch 1, learning rate 1e-3: Adam \(adam) dB, SGD \(sgd) dB")
        #expect(sgd > 40 && adam < 20)
    }

    @Test func twoSamplesAreSeparatedByTheRowsOnlyOneReached() throws {
        let model = try Model(spec: Self.denseSpec(units: 64), seed: 5)
        let truths = [Self.image(seed: 3), Self.image(seed: 4)]
        let sgd = OptimizerConfig.sgd(learningRate: 0.1, momentum: 0.9, weightDecay: 0)
        let delta = try LocalUpdate(optimizer: sgd).train(from: model, on: Self.samples(truths, shape: [1, 12, 12]))
        let found = try LeakageAttack(global: model, candidateLimit: 5).reconstruct(delta: delta, optimizer: sgd, samples: 2)
        let scores = truths.map {
            RecoveryScore.best(of: found, for: $0, width: 12, height: 12, seen: SeenRegion(rows: 12, columns: 12))
        }
        print("analytic, SGD, batch 2: PSNR \(scores.map(\.psnr)) dB over \(found.count) candidates")
        #expect(scores.allSatisfy { $0.psnr > 30 })
    }

    @Test func dpNoiseDestroysTheRecovery() throws {
        let model = try Model(spec: Self.denseSpec(), seed: 3)
        let truth = Self.image(seed: 1)
        let sgd = OptimizerConfig.sgd(learningRate: 0.1, momentum: 0.9, weightDecay: 0)
        let data = Self.samples([truth], shape: [1, 12, 12])
        let attack = try LeakageAttack(global: model, candidateLimit: 3)
        let seen = SeenRegion(rows: 12, columns: 12)
        func psnr(_ update: LocalUpdate) throws -> Double {
            let found = attack.reconstruct(delta: try update.train(from: model, on: data), optimizer: sgd, samples: 1)
            return RecoveryScore.best(of: found, for: truth, width: 12, height: 12, seen: seen).psnr
        }
        let plain = try psnr(LocalUpdate(optimizer: sgd))
        let clipped = try psnr(LocalUpdate(optimizer: sgd, privacy: DPSGD(clipNorm: 1, noiseMultiplier: 0)))
        let noisy = try psnr(LocalUpdate(optimizer: sgd, privacy: DPSGD(clipNorm: 1, noiseMultiplier: 1)))
        let updateNoise = try psnr(
            LocalUpdate(optimizer: sgd, updatePrivacy: UpdatePrivacy(clipNorm: 0.01, noiseMultiplier: 1)))
        print("PSNR plain \(plain), clipped only \(clipped), DP-SGD σ 1 \(noisy), update-level z 1 \(updateNoise) dB")
        #expect(plain > 60 && clipped > 60, "clipping alone scales ΔW and Δb alike: the ratio survives")
        #expect(noisy < 15 && plain - noisy > 40)
        #expect(updateNoise < 15)
    }

    /// Conv 16 (3×3), ReLU, pool, flatten, dense: the dense layer reads pooled features of a 10×10 image, so
    /// the image comes from feature inversion.
    @Test func featureInversionRecoversASmallImage() throws {
        let spec = ModelSpec(
            name: "tiny-conv", inputShape: [1, 10, 10], classes: ["a", "b"],
            layers: [.conv2d(filters: 16, kernel: 3), .relu, .maxPool2d(size: 2, stride: 2), .flatten, .dense(units: 8)
                , .relu, .dense(units: 2)])
        let model = try Model(spec: spec, seed: 2)
        let truth = Self.image(seed: 6, width: 10, height: 10)
        let inversion = FeatureInversion(model: model, featureLayer: 3, iterations: 300, threads: 1)
        #expect(inversion.seen == SeenRegion(rows: 10, columns: 10))
        // The features of the true image: what an exact analytic attack hands over.
        let ws = Workspace(model: model, maxBatch: 1, gradients: .none)
        ws.input.scalars.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: truth) }
        let features = Array(model.forward(ws, batch: 1, mode: .inference, through: 3))
        let (image, loss) = inversion.invert([features])[0]
        let psnr = ImageQuality.psnr(image, truth, width: 10, height: 10)
        let start = ImageQuality.psnr([Float](repeating: 0.5, count: 100), truth, width: 10, height: 10)
        print("feature inversion: PSNR \(psnr) dB (mid-gray start \(start) dB), relative feature loss \(loss)")
        #expect(psnr > 20 && psnr > start + 8 && loss < 1e-3)
    }

    @Test func smallModelsLeaveTheirLastRowsUnseen() throws {
        let small = try Model(reference: "small28", classes: ["a", "b"])
        let dense = try DenseLayerLeak(model: small)
        #expect(dense.layerIndex == 7 && dense.inputFeatures == 64 * 5 * 5)
        #expect(SeenRegion(model: small, through: 6) == SeenRegion(rows: 26, columns: 26))
        let xray = try Model(reference: "xray128", classes: ["a", "b"])
        #expect(SeenRegion(model: xray, through: 9) == SeenRegion(rows: 126, columns: 126))
        let region = SeenRegion(rows: 2, columns: 2)
        #expect(region.extendingEdges(of: [1, 2, 0, 3, 4, 0, 0, 0, 0], width: 3, height: 3) == [1, 2, 2, 3, 4, 4, 3, 4, 4])
    }
}
