import GrowdaTensor

/// Fully connected layer over the flattened input.
///
/// x: (N, D) -> y: (N, U), weight (U, D), bias (U). Forward keeps nothing (backward reads x).
public final class Dense: Layer {
    /// Input features D.
    public let inputFeatures: Int
    /// Output units U.
    public let units: Int
    /// Per-sample input shape (any; taken flat).
    public let inputShape: [Int]
    /// Per-sample output shape (U).
    public var outputShape: [Int] { [units] }

    /// A dense layer from `inputShape` (taken flat) to `units`.
    public init(inputShape: [Int], units: Int) throws {
        guard units > 0 else { throw ModelError.badShape("dense needs at least one unit") }
        self.inputShape = inputShape
        self.inputFeatures = inputShape.reduce(1, *)
        self.units = units
    }

    /// weight (U, D), bias (U).
    public var parameterDecls: [ParameterDecl] {
        [
            ParameterDecl(
                suffix: "weight", shape: [units, inputFeatures], initializer: .heUniform(fanIn: inputFeatures)),
            ParameterDecl(suffix: "bias", shape: [units], initializer: .constant(0)),
        ]
    }

    /// 2 · U · D.
    public var forwardFlops: Int { 2 * units * inputFeatures }
    /// All of it is one GEMM.
    public var gemmFlops: Int { forwardFlops }

    /// y = x · Wᵀ + b.
    public func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
        params: UnsafePointer<Float>, state: UnsafeMutablePointer<Float>,
        cache: LayerCache?, mode: PassMode, rng: inout SeededGenerator
    ) {
        let bias = params + units * inputFeatures
        for n in 0..<batch { (y + n * units).update(from: bias, count: units) }
        BLAS.gemm(
            .none, .transposed, m: batch, n: units, k: inputFeatures,
            x, lda: inputFeatures, params, ldb: inputFeatures, beta: 1, y, ldc: units)
    }

    /// dW += dyᵀ · x, db += Σₙ dy, dx = dy · W.
    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int,
        params: UnsafePointer<Float>, grads: UnsafeMutablePointer<Float>?, cache: LayerCache?
    ) {
        if let grads {
            let dBias = grads + units * inputFeatures
            BLAS.gemm(
                .transposed, .none, m: units, n: inputFeatures, k: batch,
                dy, lda: units, x, ldb: inputFeatures, beta: 1, grads, ldc: inputFeatures)
            for n in 0..<batch {
                let row = dy + n * units
                for u in 0..<units { dBias[u] += row[u] }
            }
        }
        if let dx {
            BLAS.gemm(
                .none, .none, m: batch, n: inputFeatures, k: units,
                dy, lda: units, params, ldb: inputFeatures, dx, ldc: inputFeatures)
        }
    }
}
