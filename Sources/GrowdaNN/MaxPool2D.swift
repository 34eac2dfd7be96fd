import GrowdaTensor

/// Max pooling over windows of each channel (also 1-D, as a 1×k window).
///
/// x: (N, C, H, W) -> y: (N, C, H', W'). Forward keeps, per output, the flat input index of the
/// maximum; backward routes each dy there.
public final class MaxPool2D: Layer {
    /// The window arithmetic (no padding).
    public let geometry: ConvGeometry
    /// Per-sample input shape.
    public let inputShape: [Int]
    /// Per-sample output shape (C, H', W').
    public let outputShape: [Int]

    /// Pooling over samples of `inputShape` (C, H, W) with a kH×kW window and the given strides.
    public init(inputShape: [Int], sizeH: Int, sizeW: Int, strideH: Int, strideW: Int) throws {
        guard inputShape.count == 3 else {
            throw ModelError.badShape("max pooling needs a (C, H, W) input, got \(inputShape)")
        }
        let g = ConvGeometry(
            channels: inputShape[0], height: inputShape[1], width: inputShape[2],
            kernelH: sizeH, kernelW: sizeW, strideH: strideH, strideW: strideW)
        guard g.isValid else {
            throw ModelError.badShape("pool window \(sizeH)×\(sizeW) does not fit input \(inputShape)")
        }
        geometry = g
        self.inputShape = inputShape
        outputShape = [g.channels, g.outH, g.outW]
    }

    /// No parameters.
    public var parameterDecls: [ParameterDecl] { [] }
    /// One comparison per window element.
    public var forwardFlops: Int { geometry.channels * geometry.outPixels * geometry.kernelH * geometry.kernelW }

    final class Cache: LayerCache, @unchecked Sendable {
        let argmax: UnsafeMutableBufferPointer<Int32>
        init(size: Int) { argmax = .allocate(capacity: size) }
        deinit { argmax.deallocate() }
    }

    /// Room for the argmax of every output of `maxBatch` samples.
    public func makeCache(maxBatch: Int) -> LayerCache? { Cache(size: maxBatch * outputSize) }

    /// y[c, oh, ow] = max over the window; argmax kept.
    public func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
        params: UnsafePointer<Float>, state: UnsafeMutablePointer<Float>,
        cache: LayerCache?, mode: PassMode, rng: inout SeededGenerator
    ) {
        let g = geometry
        let argmax = (cache as! Cache).argmax.baseAddress!
        let planes = batch * g.channels
        let (inPlane, outH, outW) = (g.height * g.width, g.outH, g.outW)
        if g.kernelH == 2 && g.kernelW == 2 && g.strideH == 2 && g.strideW == 2 {
            // The common case, unrolled: four loads, three compares.
            for pl in 0..<planes {
                let xp = x + pl * inPlane
                let yp = y + pl * outH * outW, ap = argmax + pl * outH * outW
                for oh in 0..<outH {
                    for ow in 0..<outW {
                        var idx = (2 * oh) * g.width + 2 * ow
                        var best = xp[idx]
                        let cands = (idx + 1, idx + g.width, idx + g.width + 1)
                        if xp[cands.0] > best { best = xp[cands.0]; idx = cands.0 }
                        if xp[cands.1] > best { best = xp[cands.1]; idx = cands.1 }
                        if xp[cands.2] > best { best = xp[cands.2]; idx = cands.2 }
                        yp[oh * outW + ow] = best
                        ap[oh * outW + ow] = Int32(pl * inPlane + idx)
                    }
                }
            }
            return
        }
        for pl in 0..<planes {
            let xp = x + pl * inPlane
            for oh in 0..<outH {
                for ow in 0..<outW {
                    var idx = oh * g.strideH * g.width + ow * g.strideW
                    var best = xp[idx]
                    for i in 0..<g.kernelH {
                        for j in 0..<g.kernelW {
                            let t = (oh * g.strideH + i) * g.width + ow * g.strideW + j
                            if xp[t] > best { best = xp[t]; idx = t }
                        }
                    }
                    let o = pl * outH * outW + oh * outW + ow
                    y[o] = best
                    argmax[o] = Int32(pl * inPlane + idx)
                }
            }
        }
    }

    /// dx[argmax] += dy.
    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int,
        params: UnsafePointer<Float>, grads: UnsafeMutablePointer<Float>?, cache: LayerCache?
    ) {
        guard let dx else { return }
        let argmax = (cache as! Cache).argmax.baseAddress!
        dx.update(repeating: 0, count: batch * inputSize)
        for o in 0..<(batch * outputSize) { dx[Int(argmax[o])] += dy[o] }
    }
}
