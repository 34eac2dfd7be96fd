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
    private var m: [Float], v: [Float]

    /// An optimizer for `count` parameters.
    public init(_ config: OptimizerConfig, count: Int) {
        self.config = config
        learningRate = config.learningRate
        m = Array(repeating: 0, count: count)
        if case .adam = config { v = Array(repeating: 0, count: count) } else { v = [] }
    }

    /// Applies one update to `params` from `grads` (both `count` long).
    public func update(_ params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>, count: Int) {
        precondition(count == m.count, "optimizer built for \(m.count) parameters, got \(count)")
        step += 1
        let lr = learningRate
        switch config {
        case .sgd(_, let mu, let wd):
            m.withUnsafeMutableBufferPointer { vel in
                let vel = vel.baseAddress!
                for i in 0..<count {
                    let g = grads[i] + wd * params[i]
                    vel[i] = mu * vel[i] + g
                    params[i] -= lr * vel[i]
                }
            }
        case .adam(_, let wd):
            let (b1, b2, eps): (Float, Float, Float) = (0.9, 0.999, 1e-8)
            let c1 = 1 - pow(b1, Float(step)), c2 = 1 - pow(b2, Float(step))
            let stepSize = lr / c1, decay = 1 - lr * wd
            let rc2 = 1 / c2.squareRoot()
            m.withUnsafeMutableBufferPointer { mb in
                v.withUnsafeMutableBufferPointer { vb in
                    let (mp, vp) = (mb.baseAddress!, vb.baseAddress!)
                    for i in 0..<count {
                        let g = grads[i]
                        mp[i] = b1 * mp[i] + (1 - b1) * g
                        vp[i] = b2 * vp[i] + (1 - b2) * g * g
                        params[i] = params[i] * decay - stepSize * mp[i] / (vp[i].squareRoot() * rc2 + eps)
                    }
                }
            }
        }
    }

    /// Forgets the moment estimates (e.g. when a new global model arrives).
    public func reset() {
        step = 0
        for i in m.indices { m[i] = 0 }
        for i in v.indices { v[i] = 0 }
    }
}

import Foundation
