import GrowdaTensor
import GrowdaTestKit
import Testing

@Suite("GEMM against the naive loop")
struct GemmTests {
    @Test(arguments: [
        (BLAS.Transpose.none, BLAS.Transpose.none), (.transposed, .none), (.none, .transposed),
        (.transposed, .transposed),
    ])
    func matchesNaive(transA: BLAS.Transpose, transB: BLAS.Transpose) {
        var rng = SeededGenerator(seed: 7)
        let (m, n, k) = (13, 17, 29)
        let a = (0..<(m * k)).map { _ in rng.gaussian() }
        let b = (0..<(k * n)).map { _ in rng.gaussian() }
        let c0 = (0..<(m * n)).map { _ in rng.gaussian() }
        var fast = c0, slow = c0
        let lda = transA == .none ? k : m
        let ldb = transB == .none ? n : k
        BLAS.gemm(transA, transB, m: m, n: n, k: k, alpha: 0.5, a, lda: lda, b, ldb: ldb, beta: 2, &fast, ldc: n)
        BLAS.naiveGemm(transA, transB, m: m, n: n, k: k, alpha: 0.5, a, lda: lda, b, ldb: ldb, beta: 2, &slow, ldc: n)
        let maxDiff = zip(fast, slow).map { abs($0 - $1) }.max()!
        print("gemm \(transA)/\(transB) max |diff| = \(maxDiff)")
        #expect(maxDiff < 1e-4)
    }
}
