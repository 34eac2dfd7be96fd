/// Unfolds image patches into matrix columns so a convolution becomes one GEMM, and folds them back.
///
/// For one sample x: (C, H, W), `im2col` writes col: (C·kH·kW, outH·outW), where row
/// (c·kH + i)·kW + j holds x[c, oh·sH − pH + i, ow·sW − pW + j] for every output pixel (oh, ow),
/// zero where the window falls in the padding. `col2im` is its adjoint: it adds each column entry
/// back onto the input pixel it came from.
public enum Im2col {
    /// x: (C, H, W) -> col: (C·kH·kW, outH·outW).
    public static func im2col(_ x: UnsafePointer<Float>, _ g: ConvGeometry, _ col: UnsafeMutablePointer<Float>) {
        let (outH, outW) = (g.outH, g.outW)
        let plane = outH * outW
        for c in 0..<g.channels {
            let xc = x + c * g.height * g.width
            for i in 0..<g.kernelH {
                for j in 0..<g.kernelW {
                    let row = col + ((c * g.kernelH + i) * g.kernelW + j) * plane
                    let (lo, hi) = validRange(kernelOffset: j, stride: g.strideW, pad: g.padW, size: g.width, out: outW)
                    for oh in 0..<outH {
                        let dst = row + oh * outW
                        let ih = oh * g.strideH - g.padH + i
                        guard ih >= 0 && ih < g.height else {
                            dst.update(repeating: 0, count: outW)
                            continue
                        }
                        let src = xc + ih * g.width - g.padW + j
                        if lo > 0 { dst.update(repeating: 0, count: lo) }
                        if g.strideW == 1 {
                            if hi > lo { dst.advanced(by: lo).update(from: src + lo, count: hi - lo) }
                        } else {
                            var ow = lo
                            while ow < hi {
                                dst[ow] = src[ow * g.strideW]
                                ow += 1
                            }
                        }
                        if hi < outW { dst.advanced(by: hi).update(repeating: 0, count: outW - hi) }
                    }
                }
            }
        }
    }

    /// col: (C·kH·kW, outH·outW) -> dx: (C, H, W), adding into dx (zero it first for a plain fold).
    public static func col2im(_ col: UnsafePointer<Float>, _ g: ConvGeometry, _ dx: UnsafeMutablePointer<Float>) {
        let (outH, outW) = (g.outH, g.outW)
        let plane = outH * outW
        for c in 0..<g.channels {
            let dxc = dx + c * g.height * g.width
            for i in 0..<g.kernelH {
                for j in 0..<g.kernelW {
                    let row = col + ((c * g.kernelH + i) * g.kernelW + j) * plane
                    let (lo, hi) = validRange(kernelOffset: j, stride: g.strideW, pad: g.padW, size: g.width, out: outW)
                    guard hi > lo else { continue }
                    for oh in 0..<outH {
                        let ih = oh * g.strideH - g.padH + i
                        guard ih >= 0 && ih < g.height else { continue }
                        let src = row + oh * outW
                        let dst = dxc + ih * g.width - g.padW + j
                        if g.strideW == 1 {
                            for ow in lo..<hi { dst[ow] += src[ow] }
                        } else {
                            for ow in lo..<hi { dst[ow * g.strideW] += src[ow] }
                        }
                    }
                }
            }
        }
    }

    /// The output columns [lo, hi) whose input column ow·stride − pad + k lies inside [0, size).
    @inline(__always)
    static func validRange(kernelOffset k: Int, stride: Int, pad: Int, size: Int, out: Int) -> (Int, Int) {
        // ow·stride − pad + k ≥ 0  ⇔  ow ≥ ceil((pad − k) / stride)
        let first = pad - k
        let lo = first <= 0 ? 0 : (first + stride - 1) / stride
        // ow·stride − pad + k ≤ size − 1  ⇔  ow ≤ floor((size − 1 + pad − k) / stride)
        let last = size - 1 + pad - k
        let hi = last < 0 ? 0 : min(out, last / stride + 1)
        return (min(lo, out), max(min(lo, out), hi))
    }
}
