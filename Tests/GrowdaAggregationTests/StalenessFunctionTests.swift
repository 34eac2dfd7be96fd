import Testing

@testable import GrowdaAggregation

@Suite("Staleness functions at several s")
struct StalenessFunctionTests {
    /// f(s) = (1 + s)^(−½): 1, 1/√2, ½, ⅓, ¼ at s = 0, 1, 3, 8, 15.
    @Test func polynomialHalf() {
        let f = StalenessFunction.default
        #expect(f == .polynomial(exponent: 0.5))
        let expected: [(Int, Double)] = [(0, 1), (1, 0.5.squareRoot()), (3, 0.5), (8, 1.0 / 3), (15, 0.25)]
        for (s, value) in expected {
            #expect(abs(f.factor(staleness: s) - value) < 1e-12, "s = \(s)")
        }
    }

    /// a = 1: f(s) = 1/(1 + s): 1, ½, ⅕ at s = 0, 1, 4; a = 0 is constant.
    @Test func polynomialOtherExponents() {
        let f = StalenessFunction.polynomial(exponent: 1)
        #expect(f.factor(staleness: 0) == 1)
        #expect(abs(f.factor(staleness: 1) - 0.5) < 1e-12)
        #expect(abs(f.factor(staleness: 4) - 0.2) < 1e-12)
        #expect(StalenessFunction.polynomial(exponent: 0).factor(staleness: 7) == 1)
    }

    @Test func constant() {
        for s in [0, 1, 5, 100] {
            #expect(StalenessFunction.constant.factor(staleness: s) == 1)
        }
    }

    /// hinge(a = 10, b = 4): 1 up to s = 4, then 1/(10·(s − 4) + 1): 1/11 at 5, 1/21 at 6, 1/61 at 10.
    @Test func hinge() {
        let f = StalenessFunction.hinge(slope: 10, threshold: 4)
        #expect(f.factor(staleness: 0) == 1)
        #expect(f.factor(staleness: 4) == 1)
        #expect(abs(f.factor(staleness: 5) - 1.0 / 11) < 1e-12)
        #expect(abs(f.factor(staleness: 6) - 1.0 / 21) < 1e-12)
        #expect(abs(f.factor(staleness: 10) - 1.0 / 61) < 1e-12)
    }
}
