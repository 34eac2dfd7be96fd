import Foundation
import GrowdaTensor

/// Batch normalisation per channel: y = γ · (x − μ) / √(σ² + ε) + β.
///
/// x: (N, C, H, W) or (N, C) -> y of the same shape; weight γ (C), bias β (C); state running_mean
/// and running_var (C). While training, μ and σ² are the statistics of this worker's share of the
/// batch (as "ghost" batch normalisation does), and the running statistics are folded from all
/// workers after each step; at inference the running statistics are used.
/// Forward keeps x̂ = (x − μ) / √(σ² + ε) and 1/√(σ² + ε) for backward.
public final class BatchNorm2D: StatefulLayer {
    /// Per-sample shape, in and out.
    public let inputShape: [Int]
    /// Same as the input.
    public var outputShape: [Int] { inputShape }
    /// Channels C.
    public let channels: Int
    /// Positions per channel (H·W, or 1 for flat input).
    public let plane: Int
    /// Added to the variance for stability.
    public let epsilon: Float = 1e-5
    /// Weight of the newest batch in the running statistics.
    public let momentum: Float = 0.1

    /// Batch normalisation over samples of `shape`, (C, H, W) or (C).
    public init(shape: [Int]) throws {
        guard shape.count == 3 || shape.count == 1 else {
            throw ModelError.badShape("batch norm needs (C, H, W) or (C), got \(shape)")
        }
        inputShape = shape
        channels = shape[0]
        plane = shape.count == 3 ? shape[1] * shape[2] : 1
    }

    /// weight γ (C) = 1, bias β (C) = 0.
    public var parameterDecls: [ParameterDecl] {
        [
            ParameterDecl(suffix: "weight", shape: [channels], initializer: .constant(1)),
            ParameterDecl(suffix: "bias", shape: [channels], initializer: .constant(0)),
        ]
    }

    /// running_mean (C) = 0, running_var (C) = 1.
    public var stateDecls: [ParameterDecl] {
        [
            ParameterDecl(suffix: "running_mean", shape: [channels], initializer: .constant(0)),
            ParameterDecl(suffix: "running_var", shape: [channels], initializer: .constant(1)),
        ]
    }

    /// About four operations per element.
    public var forwardFlops: Int { 4 * inputSize }
    /// While training, each sample is normalised with its batch's statistics.
    public var mixesSamples: Bool { true }

    final class Cache: LayerCache, @unchecked Sendable {
        let xhat: UnsafeMutableBufferPointer<Float>
        var invStd: [Float], mean: [Float], variance: [Float]
        var samples = 0
        init(size: Int, channels: Int) {
            xhat = .allocate(capacity: size)
            invStd = Array(repeating: 0, count: channels)
            mean = invStd
            variance = invStd
        }
        deinit { xhat.deallocate() }
    }

    /// Room for x̂ of `maxBatch` samples and the per-channel statistics.
    public func makeCache(maxBatch: Int) -> LayerCache? { Cache(size: maxBatch * inputSize, channels: channels) }

    /// Normalises with batch statistics (training) or running statistics (inference).
    public func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
        params: UnsafePointer<Float>, state: UnsafeMutablePointer<Float>,
        cache: LayerCache?, mode: PassMode, rng: inout SeededGenerator
    ) {
        let c = cache as! Cache
        let gamma = params, beta = params + channels
        let runningMean = state, runningVar = state + channels
        let m = Double(batch * plane)
        for ch in 0..<channels {
            var mean: Float, variance: Float
            if mode == .training {
                var s = 0.0, s2 = 0.0
                for n in 0..<batch {
                    let p = x + n * inputSize + ch * plane
                    for i in 0..<plane { s += Double(p[i]) }
                }
                let mu = s / m
                for n in 0..<batch {
                    let p = x + n * inputSize + ch * plane
                    for i in 0..<plane { let d = Double(p[i]) - mu; s2 += d * d }
                }
                mean = Float(mu)
                variance = Float(s2 / m)
                c.mean[ch] = mean
                c.variance[ch] = variance
            } else {
                mean = runningMean[ch]
                variance = runningVar[ch]
            }
            let inv = 1 / (variance + epsilon).squareRoot()
            c.invStd[ch] = inv
            for n in 0..<batch {
                let off = n * inputSize + ch * plane
                for i in 0..<plane {
                    let xh = (x[off + i] - mean) * inv
                    c.xhat[off + i] = xh
                    y[off + i] = gamma[ch] * xh + beta[ch]
                }
            }
        }
        c.samples = mode == .training ? batch : 0
    }

    /// dγ += Σ dy·x̂, dβ += Σ dy, dx = γ/(σ·M) · (M·dy − Σdy − x̂·Σ(dy·x̂)). After an inference pass the
    /// statistics are constants and the layer is affine: dx = γ/σ · dy.
    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int,
        params: UnsafePointer<Float>, grads: UnsafeMutablePointer<Float>?, cache: LayerCache?
    ) {
        let c = cache as! Cache
        let gamma = params
        let m = Float(batch * plane)
        let batchStatistics = c.samples > 0
        for ch in 0..<channels {
            var sumDy: Float = 0, sumDyXhat: Float = 0
            for n in 0..<batch {
                let off = n * inputSize + ch * plane
                for i in 0..<plane { sumDy += dy[off + i]; sumDyXhat += dy[off + i] * c.xhat[off + i] }
            }
            if let grads {
                grads[ch] += sumDyXhat
                grads[channels + ch] += sumDy
            }
            guard let dx else { continue }
            guard batchStatistics else {
                let k = gamma[ch] * c.invStd[ch]
                for n in 0..<batch {
                    let off = n * inputSize + ch * plane
                    for i in 0..<plane { dx[off + i] = k * dy[off + i] }
                }
                continue
            }
            let k = gamma[ch] * c.invStd[ch] / m
            for n in 0..<batch {
                let off = n * inputSize + ch * plane
                for i in 0..<plane { dx[off + i] = k * (m * dy[off + i] - sumDy - c.xhat[off + i] * sumDyXhat) }
            }
        }
    }

    /// running ← (1 − momentum) · running + momentum · (mean over workers of their batch statistics);
    /// the variance folded in is the unbiased one, as PyTorch does.
    public func commitState(_ state: UnsafeMutablePointer<Float>, caches: [LayerCache?]) {
        let used = caches.compactMap { $0 as? Cache }.filter { $0.samples > 0 }
        let total = used.reduce(0) { $0 + $1.samples }
        guard total > 0 else { return }
        for ch in 0..<channels {
            var mean: Float = 0, variance: Float = 0
            for c in used {
                let w = Float(c.samples) / Float(total)
                let count = Float(c.samples * plane)
                mean += w * c.mean[ch]
                variance += w * c.variance[ch] * (count > 1 ? count / (count - 1) : 1)
            }
            state[ch] = (1 - momentum) * state[ch] + momentum * mean
            state[channels + ch] = (1 - momentum) * state[channels + ch] + momentum * variance
        }
    }
}
