import Dispatch
import Foundation
import GrowdaTensor

/// How to turn a gradient into a parameter update.
public enum OptimizerConfig: Sendable, Equatable {
    /// SGD with momentum μ and L2 weight decay: v ← μ·v + (g + λ·p); p ← p − η·v.
    case sgd(learningRate: Float, momentum: Float = 0.9, weightDecay: Float = 0)
    /// Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-8) with decoupled weight decay λ (AdamW when λ > 0).
    case adam(learningRate: Float, weightDecay: Float = 0)

    /// The step size.
    public var learningRate: Float {
        switch self {
        case .sgd(let lr, _, _), .adam(let lr, _): return lr
        }
    }
}

/// An optimizer over one flat parameter vector; its moment buffers have the same layout.
public final class Optimizer: @unchecked Sendable {
    /// The rule and its hyper-parameters.
    public let config: OptimizerConfig
    /// The learning rate in force (schedules change it between steps).
    public var learningRate: Float
    /// Steps taken.
    public private(set) var step = 0
    /// First and second moment estimates (the second only for Adam), same layout as the parameters.
    private let m: FloatBuffer, v: FloatBuffer?

    /// An optimizer for `count` parameters.
    public init(_ config: OptimizerConfig, count: Int) {
        self.config = config
        learningRate = config.learningRate
        m = FloatBuffer(count: count)
        if case .adam = config { v = FloatBuffer(count: count) } else { v = nil }
    }

    /// Applies one update to `params` from `grads` (both `count` long), split over `threads`
    /// threads (the rule is elementwise, so each thread takes a contiguous range).
    public func update(_ params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>, count: Int, threads: Int = 1)
    {
        precondition(count == m.count, "optimizer built for \(m.count) parameters, got \(count)")
        step += 1
        let lr = learningRate, t = Float(step), config = self.config
        let m = UncheckedSendable(self.m.pointer), v = UncheckedSendable(self.v?.pointer)
        let p = UncheckedSendable(params), g = UncheckedSendable(grads)
        let parts = count >= 1 << 16 ? max(1, threads) : 1
        let work: @Sendable (Int) -> Void = { part in
            let lo = count * part / parts, hi = count * (part + 1) / parts
            Optimizer.apply(
                config, lr: lr, step: t, p.value + lo, g.value + lo, m.value + lo, v.value.map { $0 + lo }, hi - lo)
        }
        if parts == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: work) }
    }

    /// The update rule over one contiguous range.
    private static func apply(
        _ config: OptimizerConfig, lr: Float, step: Float, _ params: UnsafeMutablePointer<Float>,
        _ grads: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>?, _ count: Int
    ) {
        switch config {
        case .sgd(_, let mu, let wd):
            for i in 0..<count {
                let g = grads[i] + wd * params[i]
                m[i] = mu * m[i] + g
                params[i] -= lr * m[i]
            }
        case .adam(_, let wd):
            let v = v!
            let (b1, b2, eps): (Float, Float, Float) = (0.9, 0.999, 1e-8)
            let c1 = 1 - pow(b1, step), c2 = 1 - pow(b2, step)
            let stepSize = lr / c1, decay = 1 - lr * wd
            let rc2 = 1 / c2.squareRoot()
            for i in 0..<count {
                let g = grads[i]
                m[i] = b1 * m[i] + (1 - b1) * g
                v[i] = b2 * v[i] + (1 - b2) * g * g
                params[i] = params[i] * decay - stepSize * m[i] / (v[i].squareRoot() * rc2 + eps)
            }
        }
    }

    /// Forgets the moment estimates (e.g. when a new global model arrives).
    public func reset() {
        step = 0
        m.zero()
        v?.zero()
    }
}

/// A learning rate that changes with every step: a linear warm-up from `base / warmupSteps` to `base`
/// over the first `warmupSteps` steps (large early steps from a random start are what warm-up avoids),
/// then `base`, or with `cosine` a half cosine from `base` down to 0 at `totalSteps`.
public struct LearningRateSchedule: Sendable, Equatable {
    /// The peak learning rate.
    public var base: Float
    /// Steps of linear warm-up (0: none).
    public var warmupSteps: Int
    /// The run's length in steps (where the cosine reaches 0).
    public var totalSteps: Int
    /// Whether the rate decays along a half cosine after the warm-up.
    public var cosine: Bool

    /// A schedule from its parts.
    public init(base: Float, warmupSteps: Int = 0, totalSteps: Int, cosine: Bool = false) {
        precondition(warmupSteps >= 0 && totalSteps >= 1, "a schedule needs warmup ≥ 0 and at least one step")
        self.base = base
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.cosine = cosine
    }

    /// The rate of step `step` (1 for the first).
    public func rate(atStep step: Int) -> Float {
        if step <= warmupSteps { return base * Float(step) / Float(warmupSteps) }
        guard cosine else { return base }
        let span = max(1, totalSteps - warmupSteps)
        let t = min(1, Double(step - warmupSteps - 1) / Double(span))
        return base * Float(0.5 * (1 + cos(Double.pi * t)))
    }
}
