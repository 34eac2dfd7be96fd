import GrowdaTensor
import Testing

@Suite("SIMD kernels against plain loops")
struct VectorOpsTests {
    /// Lengths that exercise the 8-wide body, the scalar tail, and both.
    static let lengths = [0, 1, 7, 8, 9, 31, 100]

    @Test(arguments: lengths)
    func reluForwardAndBackward(count: Int) {
        var rng = SeededGenerator(seed: UInt64(count))
        let x = (0..<count).map { _ in rng.gaussian() }
        let dy = (0..<count).map { _ in rng.gaussian() }
        var y = [Float](repeating: .nan, count: count), dx = y
        VectorOps.relu(x, &y, count: count)
        VectorOps.reluBackward(y, dy, &dx, count: count)
        #expect(y == x.map { max($0, 0) })
        #expect(dx == zip(x, dy).map { $0 > 0 ? $1 : 0 })
    }

    @Test(arguments: lengths)
    func sumMatchesLoop(count: Int) {
        let x = (0..<count).map { Float($0 % 13) - 6 }
        #expect(VectorOps.sum(x, count: count) == x.reduce(0, +))
    }
}
