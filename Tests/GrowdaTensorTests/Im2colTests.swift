import GrowdaTensor
import Testing

@Suite("im2col / col2im")
struct Im2colTests {
    /// A 1×3×3 image, 2×2 window, stride 1, no padding: each column is one window, hand-written.
    @Test func handComputedColumns() {
        let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        let g = ConvGeometry(channels: 1, height: 3, width: 3, kernelH: 2, kernelW: 2)
        var col = [Float](repeating: -1, count: g.patchSize * g.outPixels)
        Im2col.im2col(x, g, &col)
        // rows: (i, j) = (0,0), (0,1), (1,0), (1,1); columns: windows at (0,0), (0,1), (1,0), (1,1)
        #expect(col == [1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9])
    }

    /// Padding 1, stride 2 on a 1×3×3 image: the 3×3 window centred on corners sees zeros outside.
    @Test func paddingAndStride() {
        let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        let g = ConvGeometry(
            channels: 1, height: 3, width: 3, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padH: 1, padW: 1)
        #expect(g.outH == 2 && g.outW == 2)
        var col = [Float](repeating: -1, count: g.patchSize * g.outPixels)
        Im2col.im2col(x, g, &col)
        // Row (i=1, j=1) is the window centres: x[0,0], x[0,2], x[2,0], x[2,2].
        #expect(Array(col[16..<20]) == [1, 3, 7, 9])
        // Row (i=0, j=0) is up-left of each centre: padding except for the last window.
        #expect(Array(col[0..<4]) == [0, 0, 0, 5])
    }

    /// col2im is the adjoint of im2col: ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for random x and c.
    @Test(arguments: [(1, 1, 0), (2, 1, 1), (2, 2, 1), (3, 2, 0)])
    func adjoint(kernelStridePad: (Int, Int, Int)) {
        let (k, s, p) = kernelStridePad
        let g = ConvGeometry(
            channels: 2, height: 7, width: 6, kernelH: k + 1, kernelW: k, strideH: s, strideW: s, padH: p, padW: p)
        var rng = SeededGenerator(seed: 5)
        let x = (0..<(2 * 7 * 6)).map { _ in rng.gaussian() }
        let c = (0..<(g.patchSize * g.outPixels)).map { _ in rng.gaussian() }
        var col = [Float](repeating: 0, count: c.count), back = [Float](repeating: 0, count: x.count)
        Im2col.im2col(x, g, &col)
        Im2col.col2im(c, g, &back)
        let lhs = zip(col, c).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        let rhs = zip(x, back).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        #expect(abs(lhs - rhs) < 1e-3 * max(1, abs(lhs)))
    }
}
