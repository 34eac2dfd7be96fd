import GrowdaTensor

/// Inverted dropout: while training, zeroes each value with probability `rate` and scales the rest
/// by 1/(1 − rate); at inference, the identity. Forward keeps the scaled mask for backward.
public final class Dropout: Layer {
    /// The probability of zeroing a value.
    public let rate: Float
    /// Per-sample shape, in and out.
    public let inputShape: [Int]
    /// Same as the input.
    public var outputShape: [Int] { inputShape }

    /// Dropout over samples of `shape`.
    public init(shape: [Int], rate: Float) throws {
        guard rate >= 0, rate < 1 else { throw ModelError.badShape("dropout rate must be in [0, 1), got \(rate)") }
        inputShape = shape
        self.rate = rate
    }

    /// No parameters.
    public var parameterDecls: [ParameterDecl] { [] }
    /// One multiply per element.
    public var forwardFlops: Int { inputSize }
    /// Elementwise, and backward reads only its mask.
    public var canRunInPlace: Bool { true }

    final class Cache: LayerCache, @unchecked Sendable {
        let mask: UnsafeMutableBufferPointer<Float>
        init(size: Int) { mask = .allocate(capacity: size) }
        deinit { mask.deallocate() }
    }

    /// Room for the mask of `maxBatch` samples.
    public func makeCache(maxBatch: Int) -> LayerCache? { Cache(size: maxBatch * inputSize) }

    /// y = x · mask (training), y = x (inference).
    public func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
        params: UnsafePointer<Float>, state: UnsafeMutablePointer<Float>,
        cache: LayerCache?, mode: PassMode, rng: inout SeededGenerator
    ) {
        let count = batch * inputSize
        let mask = (cache as! Cache).mask.baseAddress!
        guard mode == .training, rate > 0 else {
            mask.update(repeating: 1, count: count)
            if UnsafePointer(y) != x { y.update(from: x, count: count) }
            return
        }
        let keep = 1 / (1 - rate)
        for i in 0..<count {
            mask[i] = rng.nextUnit() < rate ? 0 : keep
            y[i] = x[i] * mask[i]
        }
    }

    /// dx = dy · mask.
    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int,
        params: UnsafePointer<Float>, grads: UnsafeMutablePointer<Float>?, cache: LayerCache?
    ) {
        guard let dx else { return }
        let mask = (cache as! Cache).mask.baseAddress!
        for i in 0..<(batch * inputSize) { dx[i] = dy[i] * mask[i] }
    }
}
