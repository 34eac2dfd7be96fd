import Dispatch
import GrowdaTensor

/// Record-level differential privacy for training (DP-SGD, Abadi et al. 2016): every sample's
/// gradient is clipped to L2 norm at most `clipNorm`, the clipped gradients of a batch are summed,
/// Gaussian noise of standard deviation `noiseMultiplier · clipNorm` is added to every coordinate of
/// the sum, and the result is divided by the expected batch size before the optimizer step.
///
/// Batches are Poisson-sampled (each sample joins a step with probability q = batch size / data
/// size, independently), which is what the accountant's subsampled Gaussian mechanism assumes; an
/// epoch is round(1 / q) such steps. The privacy a run spent follows from q, σ and the steps taken
/// (see `Trainer.privateSteps`), not from the clip norm, which only scales signal and noise alike.
///
/// Per-sample gradients come from one forward and backward pass per sample inside each worker, so
/// every layer the engine has supports it except batch normalisation, whose batch statistics mix
/// samples (a model with it, or with a residual block that holds it, is refused: see `check(_:)`).
public struct DPSGD: Sendable, Equatable, Codable {
    /// C: the largest L2 norm one sample's gradient may have (larger ones are scaled down to it).
    public var clipNorm: Float
    /// σ: the noise's standard deviation in units of `clipNorm`.
    public var noiseMultiplier: Float
    /// q: each sample's chance to join a step, the same at every hospital whatever its size (its expected
    /// batch is then q·n); nil: q = batch size / n. A fixed q makes every hospital spend ε at the same rate
    /// per epoch, so small hospitals do not run out of budget long before large ones.
    public var samplingRate: Double?

    /// DP-SGD settings; both must be finite, C > 0 and σ ≥ 0 (σ = 0 clips without privacy); q in (0, 1].
    public init(clipNorm: Float, noiseMultiplier: Float, samplingRate: Double? = nil) {
        self.clipNorm = clipNorm
        self.noiseMultiplier = noiseMultiplier
        self.samplingRate = samplingRate
    }

    /// The Poisson rate q for `count` samples: ``samplingRate``, or batch size / count.
    public func rate(batchSize: Int, count: Int) -> Double {
        samplingRate ?? Self.samplingRate(batchSize: batchSize, count: count)
    }

    /// Steps in one epoch over `count` samples: round(1 / q), at least 1.
    public func steps(batchSize: Int, count: Int) -> Int {
        max(1, Int((1 / rate(batchSize: batchSize, count: count)).rounded()))
    }

    /// Why these settings or this model cannot train privately, or nil.
    public func problem(for model: Model) -> String? {
        guard clipNorm.isFinite, clipNorm > 0 else {
            return "the DP clip norm must be a number > 0, got \(clipNorm)"
        }
        guard noiseMultiplier.isFinite, noiseMultiplier >= 0 else {
            return "the DP noise multiplier must be a number ≥ 0, got \(noiseMultiplier)"
        }
        if let q = samplingRate, !(q > 0 && q <= 1) {
            return "the DP sampling rate must lie in (0, 1], got \(q)"
        }
        if model.layers.contains(where: { $0.mixesSamples }) {
            return "model '\(model.spec.name)' has batch normalisation, whose statistics mix the samples of a batch, "
                + "so per-sample gradients (DP-SGD) are not defined for it: train a model without batchNorm layers or "
                + "residual blocks (\(ModelSpec.statelessReferenceNames.joined(separator: ", ")))"
        }
        return nil
    }

    /// Throws `ModelError.privacy` when `problem(for:)` names one.
    public func check(_ model: Model) throws {
        if let problem = problem(for: model) { throw ModelError.privacy(problem) }
    }

    /// The Poisson sampling rate q for a data set of `count` samples and batches of `batchSize`.
    public static func samplingRate(batchSize: Int, count: Int) -> Double {
        count > 0 ? min(1, Double(batchSize) / Double(count)) : 1
    }

    /// Steps in one epoch over `count` samples: round(1 / q), at least 1.
    public static func stepsPerEpoch(batchSize: Int, count: Int) -> Int {
        max(1, Int((1 / samplingRate(batchSize: batchSize, count: count)).rounded()))
    }
}

/// Where privacy noise comes from. Noise an observer could regenerate protects nothing, so the
/// default draws every stream's seed from the system's secure random source (getrandom on Linux);
/// a fixed seed is for tests that must repeat exactly.
public struct NoiseSource: Sendable {
    private var seeded: SeededGenerator?

    /// Fresh 64-bit seeds from the system's secure random source for every stream.
    public static var secure: NoiseSource { NoiseSource(seeded: nil) }

    /// Streams forked from one seed: repeatable, so NOT private (tests only).
    public static func seeded(_ seed: UInt64) -> NoiseSource { NoiseSource(seeded: SeededGenerator(seed: seed)) }

    private init(seeded: SeededGenerator?) { self.seeded = seeded }

    /// The generator for the next stream of noise.
    public mutating func nextStream() -> SeededGenerator {
        if seeded != nil { return seeded!.fork() }
        var system = SystemRandomNumberGenerator()
        return SeededGenerator(seed: system.next())
    }
}

/// Adds independent N(0, std²) noise to every element of `values`, in fixed chunks each with its own
/// stream from `source` (so a seeded result depends on the seed only, not on the thread count).
public func addGaussianNoise(
    _ values: UnsafeMutablePointer<Float>, count: Int, std: Float, source: inout NoiseSource, threads: Int = 1
) {
    guard std > 0, count > 0 else { return }
    let chunk = 1 << 15
    let chunks = (count + chunk - 1) / chunk
    let streams = (0..<chunks).map { _ in source.nextStream() }
    let p = UncheckedSendable(values)
    let work: @Sendable (Int) -> Void = { c in
        var local = streams[c]
        let lo = c * chunk, hi = min(count, lo + chunk)
        for i in lo..<hi { p.value[i] += std * local.gaussian() }
    }
    if threads <= 1 || chunks == 1 {
        for c in 0..<chunks { work(c) }
    } else {
        DispatchQueue.concurrentPerform(iterations: chunks, execute: work)
    }
}

/// The L2 norm of `count` floats, accumulated in Double.
public func l2Norm(_ values: UnsafePointer<Float>, count: Int) -> Double {
    var sum = 0.0
    for i in 0..<count { sum += Double(values[i]) * Double(values[i]) }
    return sum.squareRoot()
}

/// Update-level protection, a second optional layer after DP-SGD: the node scales its whole delta
/// down to L2 norm at most `clipNorm` and adds N(0, (noiseMultiplier · clipNorm)²) to every
/// coordinate before sealing it.
public struct UpdatePrivacy: Sendable, Equatable, Codable {
    /// S: the largest L2 norm a delta may have.
    public var clipNorm: Float
    /// z: the noise's standard deviation in units of `clipNorm` (0: clip only).
    public var noiseMultiplier: Float

    /// Update-level settings; S > 0, z ≥ 0.
    public init(clipNorm: Float, noiseMultiplier: Float) {
        self.clipNorm = clipNorm
        self.noiseMultiplier = noiseMultiplier
    }

    /// Clips `delta` (in place) and adds the noise from `source`; returns the norm it had before.
    @discardableResult
    public func apply(
        _ delta: UnsafeMutablePointer<Float>, count: Int, source: inout NoiseSource, threads: Int = 1
    ) -> Double {
        let norm = l2Norm(delta, count: count)
        if norm > Double(clipNorm) {
            BLAS.scale(count: count, alpha: Float(Double(clipNorm) / norm), delta)
        }
        addGaussianNoise(delta, count: count, std: noiseMultiplier * clipNorm, source: &source, threads: threads)
        return norm
    }
}
