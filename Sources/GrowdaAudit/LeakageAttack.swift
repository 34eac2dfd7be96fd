import GrowdaNN
import GrowdaTensor

/// The whole reconstruction attack on one update: the analytic attack on the first dense layer
/// (`DenseLayerLeak`) gives candidate inputs of that layer; when they are features rather than pixels (a
/// convolution comes first), `FeatureInversion` turns each into an image. The attacker is an honest-but-curious
/// aggregator: it holds the global model the update was trained from and knows the node's optimizer.
public struct LeakageAttack: Sendable {
    /// The model the update was trained from.
    public let global: Model
    /// The first-dense-layer attack.
    public let leak: DenseLayerLeak
    /// The inversion of the dense layer's input, or nil when that input is the image itself.
    public let inversion: FeatureInversion?
    /// The most candidates kept per update.
    public var candidateLimit: Int

    /// An attack on updates of `global`; `iterations` and `threads` go to the feature inversion.
    public init(global: Model, candidateLimit: Int, iterations: Int = 600, threads: Int = 1) throws {
        guard global.spec.inputShape.count == 3 else {
            throw AuditError.shapeMismatch("model '\(global.spec.name)' takes signals; the audit takes image models")
        }
        self.global = global
        leak = try DenseLayerLeak(model: global)
        self.candidateLimit = max(1, candidateLimit)
        let before = global.layers[..<leak.layerIndex]
        inversion =
            before.allSatisfy({ $0 is Flatten })
            ? nil
            : FeatureInversion(
                model: global, featureLayer: leak.layerIndex - 1, iterations: iterations, threads: threads)
    }

    /// The pixels the dense layer's input depends on (every pixel when that input is the image).
    public var seen: SeenRegion { inversion?.seen ?? SeenRegion(model: global, through: max(0, leak.layerIndex - 1)) }

    /// Candidate images in [0, 1] (model input shape, flat) recovered from `delta`, a first-step update of
    /// `optimizer` from `global` over `samples` samples (the count an update message carries). For one sample the
    /// inversion also matches the gradients of the convolutions below the dense layer (`evidence`).
    public func reconstruct(delta: [Float], optimizer: OptimizerConfig, samples: Int) -> [[Float]] {
        let features = leak.candidates(delta: delta, global: global, optimizer: optimizer, limit: candidateLimit)
            .map(\.features)
        guard let inversion else { return features.map { $0.map { min(1, max(0, $0)) } } }
        let clues = samples == 1 ? evidence(delta: delta, optimizer: optimizer) : []
        return inversion.invert(features, evidence: clues).map(\.image)
    }

    /// The convolution evidence of a one-sample update: the weight gradient of the last convolution below the
    /// dense layer, with ∂L/∂h = Wᵀ·∂L/∂b of the dense layer (none without a convolution). Only the last: matching
    /// the earlier ones too, through masks that depend on the image even more, was measured to do worse (small28
    /// on PneumoniaMNIST, SGD, batch 1: 20.7 dB on the seen pixels against 26.7 dB).
    public func evidence(delta: [Float], optimizer: OptimizerConfig) -> [FeatureInversion.ConvolutionEvidence] {
        guard let c = global.layers[..<leak.layerIndex].lastIndex(where: { $0 is Conv2D }),
            let view = global.parameterViews.first(where: { $0.name == "layers.\(c).weight" })
        else { return [] }
        let bias = DenseLayerLeak.gradient(of: leak.biasRange, delta: delta, global: global, optimizer: optimizer)
        let w = global.parameters.pointer + leak.weightRange.lowerBound, d = leak.inputFeatures
        var e = [Float](repeating: 0, count: d)
        for i in 0..<leak.units where bias[i] != 0 {
            for j in 0..<d { e[j] += w[i * d + j] * bias[i] }
        }
        let weightGradient = DenseLayerLeak.gradient(of: view.range, delta: delta, global: global, optimizer: optimizer)
        return [FeatureInversion.ConvolutionEvidence(layer: c, weightGradient: weightGradient, featureGradient: e)]
    }
}

/// How well one true image was recovered: the best candidate (highest PSNR over the seen pixels) and its
/// PSNR and SSIM over the whole image and over the seen pixels.
public struct RecoveryScore: Sendable, Equatable, Codable {
    /// PSNR (dB) and SSIM over the whole image.
    public var psnr: Double, ssim: Double
    /// PSNR (dB) and SSIM over the pixels the model sees.
    public var psnrSeen: Double, ssimSeen: Double
    /// The index of the candidate chosen (nil when there were none).
    public var candidate: Int?

    /// Scores from their parts.
    public init(psnr: Double, ssim: Double, psnrSeen: Double, ssimSeen: Double, candidate: Int?) {
        self.psnr = psnr
        self.ssim = ssim
        self.psnrSeen = psnrSeen
        self.ssimSeen = ssimSeen
        self.candidate = candidate
    }

    /// `guess` against `truth` (height × width, flat).
    public init(_ guess: [Float], against truth: [Float], width: Int, height: Int, seen: SeenRegion) {
        self.init(
            psnr: ImageQuality.psnr(guess, truth, width: width, height: height),
            ssim: ImageQuality.ssim(guess, truth, width: width, height: height),
            psnrSeen: ImageQuality.psnr(guess, truth, width: width, height: height, region: seen),
            ssimSeen: ImageQuality.ssim(guess, truth, width: width, height: height, region: seen), candidate: nil)
    }

    /// The best of `candidates` for `truth` by PSNR over the seen pixels; with no candidate, a mid-gray guess
    /// is scored (an attack that found nothing guesses).
    public static func best(
        of candidates: [[Float]], for truth: [Float], width: Int, height: Int, seen: SeenRegion
    ) -> RecoveryScore {
        guard !candidates.isEmpty else {
            return RecoveryScore([Float](repeating: 0.5, count: truth.count), against: truth, width: width,
                height: height, seen: seen)
        }
        let index = candidates.indices.max { i, j in
            ImageQuality.psnr(candidates[i], truth, width: width, height: height, region: seen)
                < ImageQuality.psnr(candidates[j], truth, width: width, height: height, region: seen)
        }!
        var score = RecoveryScore(candidates[index], against: truth, width: width, height: height, seen: seen)
        score.candidate = index
        return score
    }

    /// The mean of several scores (nil candidate).
    public static func mean(_ scores: [RecoveryScore]) -> RecoveryScore {
        precondition(!scores.isEmpty, "the mean of no scores")
        let n = Double(scores.count)
        return RecoveryScore(
            psnr: scores.reduce(0) { $0 + $1.psnr } / n, ssim: scores.reduce(0) { $0 + $1.ssim } / n,
            psnrSeen: scores.reduce(0) { $0 + $1.psnrSeen } / n, ssimSeen: scores.reduce(0) { $0 + $1.ssimSeen } / n,
            candidate: nil)
    }
}
