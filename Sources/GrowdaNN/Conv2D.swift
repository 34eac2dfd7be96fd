import GrowdaTensor

/// 2-D convolution (also 1-D, as a 1×k window over a (C, 1, L) sample), computed as im2col + GEMM.
///
/// x: (N, C, H, W) -> y: (N, F, H', W'), weight (F, C, kH, kW), bias (F).
/// Forward keeps nothing: backward recomputes each sample's im2col matrix, which costs far less
/// than the GEMMs and keeps memory at one sample's columns per worker.
public final class Conv2D: Layer {
    /// The window arithmetic.
    public let geometry: ConvGeometry
    /// Output channels.
    public let filters: Int
    /// Per-sample input shape.
    public let inputShape: [Int]
    /// Per-sample output shape (F, H', W').
    public let outputShape: [Int]

    /// A convolution over samples of `inputShape` (C, H, W). A 1×k window over a sample of height 1 is a
    /// 1-D convolution: `stride` and `padding` then apply along the width only. Any other window (a 1×1
    /// over a 2-D map too) strides and pads both ways.
    public init(inputShape: [Int], filters: Int, kernelH: Int, kernelW: Int, stride: Int, padding: Int) throws {
        guard inputShape.count == 3 else {
            throw ModelError.badShape("conv2d needs a (C, H, W) input, got \(inputShape)")
        }
        let oneD = kernelH == 1 && inputShape[1] == 1
        let g = ConvGeometry(
            channels: inputShape[0], height: inputShape[1], width: inputShape[2], kernelH: kernelH, kernelW: kernelW,
            strideH: oneD ? 1 : stride, strideW: stride, padH: oneD ? 0 : padding, padW: padding)
        guard g.isValid, filters > 0 else {
            throw ModelError.badShape("conv window \(kernelH)×\(kernelW) does not fit input \(inputShape)")
        }
        self.geometry = g
        self.filters = filters
        self.inputShape = inputShape
        self.outputShape = [filters, g.outH, g.outW]
    }

    /// weight (F, C, kH, kW), bias (F).
    public var parameterDecls: [ParameterDecl] {
        let g = geometry
        return [
            ParameterDecl(
                suffix: "weight", shape: [filters, g.channels, g.kernelH, g.kernelW],
                initializer: .heUniform(fanIn: g.patchSize)),
            ParameterDecl(suffix: "bias", shape: [filters], initializer: .constant(0)),
        ]
    }

    /// 2 · F · C·kH·kW · H'·W'.
    public var forwardFlops: Int { 2 * filters * geometry.patchSize * geometry.outPixels }
    /// All of it is GEMMs.
    public var gemmFlops: Int { forwardFlops }
    /// A convolution.
    public var isConvolution: Bool { true }

    final class Cache: LayerCache, @unchecked Sendable {
        let col: UnsafeMutableBufferPointer<Float>
        init(size: Int) { col = .allocate(capacity: size) }
        deinit { col.deallocate() }
    }

    /// Scratch for one sample's im2col matrix.
    public func makeCache(maxBatch: Int) -> LayerCache? { Cache(size: geometry.patchSize * geometry.outPixels) }

    /// Whether the input is used directly as the column matrix (1×1 window, stride 1, no padding).
    private var isPointwise: Bool {
        geometry.kernelH == 1 && geometry.kernelW == 1 && geometry.strideH == 1 && geometry.strideW == 1
            && geometry.padH == 0 && geometry.padW == 0
    }

    /// For each sample: y = W · im2col(x) + b, one GEMM (F × CkK) · (CkK × H'W').
    public func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
        params: UnsafePointer<Float>, state: UnsafeMutablePointer<Float>,
        cache: LayerCache?, mode: PassMode, rng: inout SeededGenerator
    ) {
        let g = geometry
        let (k, p) = (g.patchSize, g.outPixels)
        let weight = params, bias = params + filters * k
        let col = (cache as! Cache).col.baseAddress!
        for n in 0..<batch {
            let xn = x + n * inputSize, yn = y + n * outputSize
            for f in 0..<filters { (yn + f * p).update(repeating: bias[f], count: p) }
            let columns: UnsafePointer<Float>
            if isPointwise { columns = xn } else { Im2col.im2col(xn, g, col); columns = UnsafePointer(col) }
            BLAS.gemm(.none, .none, m: filters, n: p, k: k, weight, lda: k, columns, ldb: p, beta: 1, yn, ldc: p)
        }
    }

    /// dW += dy · colᵀ, db += Σ dy, dcol = Wᵀ · dy then col2im into dx. Without `grads` the im2col
    /// of x is not rebuilt: dx needs only W and dy.
    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int,
        params: UnsafePointer<Float>, grads: UnsafeMutablePointer<Float>?, cache: LayerCache?
    ) {
        let g = geometry
        let (k, p) = (g.patchSize, g.outPixels)
        let weight = params
        let col = (cache as! Cache).col.baseAddress!
        for n in 0..<batch {
            let xn = x + n * inputSize, dyn = dy + n * outputSize
            if let grads {
                let dWeight = grads, dBias = grads + filters * k
                for f in 0..<filters { dBias[f] += VectorOps.sum(dyn + f * p, count: p) }
                let columns: UnsafePointer<Float>
                if isPointwise { columns = xn } else { Im2col.im2col(xn, g, col); columns = UnsafePointer(col) }
                BLAS.gemm(
                    .none, .transposed, m: filters, n: k, k: p, dyn, lda: p, columns, ldb: p, beta: 1, dWeight,
                    ldc: k)
            }
            guard let dx else { continue }
            let dxn = dx + n * inputSize
            if isPointwise {
                BLAS.gemm(.transposed, .none, m: k, n: p, k: filters, weight, lda: k, dyn, ldb: p, dxn, ldc: p)
            } else {
                BLAS.gemm(.transposed, .none, m: k, n: p, k: filters, weight, lda: k, dyn, ldb: p, col, ldc: p)
                dxn.update(repeating: 0, count: inputSize)
                Im2col.col2im(col, g, dxn)
            }
        }
    }

    /// The same forward pass by direct nested loops: the test oracle for the im2col + GEMM path.
    public func naiveForward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, params: UnsafePointer<Float>
    ) {
        let g = geometry
        let weight = params, bias = params + filters * g.patchSize
        for n in 0..<batch {
            for f in 0..<filters {
                for oh in 0..<g.outH {
                    for ow in 0..<g.outW {
                        var s = Double(bias[f])
                        for c in 0..<g.channels {
                            for i in 0..<g.kernelH {
                                for j in 0..<g.kernelW {
                                    let ih = oh * g.strideH - g.padH + i, iw = ow * g.strideW - g.padW + j
                                    guard ih >= 0, ih < g.height, iw >= 0, iw < g.width else { continue }
                                    let xv = x[n * inputSize + (c * g.height + ih) * g.width + iw]
                                    let wv = weight[((f * g.channels + c) * g.kernelH + i) * g.kernelW + j]
                                    s += Double(xv) * Double(wv)
                                }
                            }
                        }
                        y[n * outputSize + (f * g.outH + oh) * g.outW + ow] = Float(s)
                    }
                }
            }
        }
    }
}
