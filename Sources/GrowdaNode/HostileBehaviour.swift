import GrowdaData
import GrowdaTensor

/// How a node misbehaves on purpose, for testing robust aggregation (`growda-node run --hostile`,
/// `growda simulate --hostile`). Never for a real hospital: each behaviour sends updates meant to pull the
/// global model off.
public enum HostileBehaviour: Sendable, Equatable, CustomStringConvertible {
    /// Trains honestly, then sends F · Δ (F = −10: ten times the honest step, the wrong way).
    case scale(Float)
    /// Trains honestly, then sends Gaussian noise with the honest delta's L2 norm instead of Δ (seeded by the
    /// node's seed and the base version, so a round repeats).
    case random
    /// Trains on its data with the labels permuted (class c becomes class C − 1 − c; with two classes every
    /// label flipped) and sends that delta.
    case labelFlip

    /// Parses `scale=F`, `random` or `label-flip`; nil for anything else (F must be finite and not 1).
    public init?(_ text: String) {
        if text == "random" {
            self = .random
        } else if text == "label-flip" {
            self = .labelFlip
        } else if text.hasPrefix("scale="), let f = Float(text.dropFirst("scale=".count)), f.isFinite, f != 1 {
            self = .scale(f)
        } else {
            return nil
        }
    }

    /// The form `init?(_:)` reads.
    public var description: String {
        switch self {
        case .scale(let f): "scale=\(f == f.rounded() && abs(f) < 1e6 ? String(Int(f)) : String(f))"
        case .random: "random"
        case .labelFlip: "label-flip"
        }
    }

    /// What `--hostile` accepts, for help and errors.
    public static let allowed = "scale=F (F finite, not 1) | random | label-flip"

    /// The data to train on: `train` itself, or for label-flip a copy with every label c replaced by C − 1 − c.
    func trainingData(_ train: Dataset) -> Dataset {
        guard self == .labelFlip else { return train }
        let top = Int32(train.classNames.count - 1)
        let labels = train.labels.map { $0 == Dataset.unlabelled ? $0 : top - $0 }
        switch train.samples {
        case .bytes(let bytes):
            return Dataset(
                classNames: train.classNames, sampleShape: train.sampleShape, bytes: bytes, labels: labels,
                sources: train.sources, groups: train.groups)
        case .floats(let floats):
            return Dataset(
                classNames: train.classNames, sampleShape: train.sampleShape, floats: floats, labels: labels,
                sources: train.sources, groups: train.groups, rPeaks: train.rPeaks)
        }
    }

    /// Rewrites the trained parameters so that `trained − global` is the hostile delta (scale and random;
    /// label-flip's delta is already its own). `count` values each; `seed` seeds the random noise.
    func corrupt(trained: UnsafeMutablePointer<Float>, global: UnsafePointer<Float>, count: Int, seed: UInt64) {
        let delta = FloatBuffer(count: count)
        delta.pointer.update(from: trained, count: count)
        BLAS.axpy(count: count, alpha: -1, global, delta.pointer)
        switch self {
        case .labelFlip:
            return
        case .scale(let f):
            BLAS.scale(count: count, alpha: f, delta.pointer)
        case .random:
            let norm = BLAS.norm2(count: count, delta.pointer)
            var rng = SeededGenerator(seed: seed)
            for i in 0..<count { delta.pointer[i] = rng.gaussian() }
            let noiseNorm = BLAS.norm2(count: count, delta.pointer)
            BLAS.scale(count: count, alpha: noiseNorm > 0 ? norm / noiseNorm : 0, delta.pointer)
        }
        trained.update(from: global, count: count)
        BLAS.axpy(count: count, alpha: 1, delta.pointer, trained)
    }
}
