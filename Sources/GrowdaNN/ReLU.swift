import GrowdaTensor

/// max(0, x), elementwise. Shape-preserving; backward reads y (dy passes where y > 0).
public final class ReLU: Layer {
    /// Per-sample shape, in and out.
    public let inputShape: [Int]
    /// Same as the input.
    public var outputShape: [Int] { inputShape }
    /// A ReLU over samples of `shape`.
    public init(shape: [Int]) { inputShape = shape }
    /// No parameters.
    public var parameterDecls: [ParameterDecl] { [] }
    /// One compare per element.
    public var forwardFlops: Int { inputSize }
    /// Elementwise, and backward reads only y.
    public var canRunInPlace: Bool { true }
    /// Backward masks dy with y > 0.
    public var readsOutputInBackward: Bool { true }

    /// y = max(0, x).
    public func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
        params: UnsafePointer<Float>, state: UnsafeMutablePointer<Float>,
        cache: LayerCache?, mode: PassMode, rng: inout SeededGenerator
    ) {
        VectorOps.relu(x, y, count: batch * inputSize)
    }

    /// dx = dy where y > 0, else 0.
    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int,
        params: UnsafePointer<Float>, grads: UnsafeMutablePointer<Float>?, cache: LayerCache?
    ) {
        guard let dx else { return }
        VectorOps.reluBackward(y, dy, dx, count: batch * inputSize)
    }
}

/// Reshapes (C, H, W) to (C·H·W): a copy, so every layer owns its output buffer.
public final class Flatten: Layer {
    /// Per-sample input shape.
    public let inputShape: [Int]
    /// (C·H·W).
    public var outputShape: [Int] { [inputSize] }
    /// A flatten of samples of `shape`.
    public init(shape: [Int]) { inputShape = shape }
    /// No parameters.
    public var parameterDecls: [ParameterDecl] { [] }
    /// No arithmetic.
    public var forwardFlops: Int { 0 }
    /// The same values in the same order: the input buffer serves as the output.
    public var canRunInPlace: Bool { true }

    /// y = x (nothing to do when run in place).
    public func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
        params: UnsafePointer<Float>, state: UnsafeMutablePointer<Float>,
        cache: LayerCache?, mode: PassMode, rng: inout SeededGenerator
    ) {
        if UnsafePointer(y) != x { y.update(from: x, count: batch * inputSize) }
    }

    /// dx = dy.
    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int,
        params: UnsafePointer<Float>, grads: UnsafeMutablePointer<Float>?, cache: LayerCache?
    ) {
        dx?.update(from: dy, count: batch * inputSize)
    }
}

/// Averages each channel over its positions: (N, C, H, W) -> (N, C). Keeps nothing.
public final class GlobalAveragePool: Layer {
    /// Per-sample input shape (C, H, W).
    public let inputShape: [Int]
    /// (C).
    public var outputShape: [Int] { [inputShape[0]] }
    /// A pool over samples of `shape` (C, H, W).
    public init(shape: [Int]) throws {
        guard shape.count == 3 else {
            throw ModelError.badShape("global average pooling needs (C, H, W), got \(shape)")
        }
        inputShape = shape
    }
    /// No parameters.
    public var parameterDecls: [ParameterDecl] { [] }
    /// One add per element.
    public var forwardFlops: Int { inputSize }

    /// y[c] = mean over (h, w) of x[c].
    public func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
        params: UnsafePointer<Float>, state: UnsafeMutablePointer<Float>,
        cache: LayerCache?, mode: PassMode, rng: inout SeededGenerator
    ) {
        let plane = inputShape[1] * inputShape[2]
        for p in 0..<(batch * inputShape[0]) {
            var s: Float = 0
            for i in 0..<plane { s += x[p * plane + i] }
            y[p] = s / Float(plane)
        }
    }

    /// dx[c, h, w] = dy[c] / (H·W).
    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int,
        params: UnsafePointer<Float>, grads: UnsafeMutablePointer<Float>?, cache: LayerCache?
    ) {
        guard let dx else { return }
        let plane = inputShape[1] * inputShape[2]
        for p in 0..<(batch * inputShape[0]) {
            (dx + p * plane).update(repeating: dy[p] / Float(plane), count: plane)
        }
    }
}
