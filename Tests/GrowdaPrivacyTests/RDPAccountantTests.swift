import Foundation
import Testing

@testable import GrowdaPrivacy

@Suite("RDP accountant: closed forms, edge cases, bad input, calibration")
struct RDPAccountantTests {
    @Test func fullBatchIsThePlainGaussian() throws {
        for sigma in [0.5, 1.0, 3.0] {
            let rdp = try RDPAccountant.subsampledGaussianRDP(samplingRate: 1, noiseMultiplier: sigma, steps: 7)
            for (order, value) in zip(RDPAccountant.defaultOrders, rdp) {
                #expect(abs(value - 7 * order / (2 * sigma * sigma)) <= 1e-12 * value)
            }
        }
    }

    /// A_2 = (1 − q)² + 2q(1 − q) + q² e^(1/σ²) = 1 + q²(e^(1/σ²) − 1), so the RDP at order 2 is its log.
    @Test func orderTwoHasAClosedForm() throws {
        for (q, sigma) in [(0.01, 1.0), (0.3, 0.7), (0.9, 2.0)] {
            let value = try RDPAccountant.subsampledGaussianRDP(samplingRate: q, noiseMultiplier: sigma, order: 2)
            let expected = log1p(q * q * expm1(1 / (sigma * sigma)))
            #expect(relativeError(value, expected) < 1e-12)
        }
    }

    /// A fractional order sits between its integer neighbours (RDP rises with the order).
    @Test func fractionalOrdersAreBetweenIntegerOnes() throws {
        let orders = [2.0, 2.5, 3.0, 30.0, 30.5, 31.0]
        let rdp = try RDPAccountant.subsampledGaussianRDP(samplingRate: 0.05, noiseMultiplier: 1.1, orders: orders)
        #expect(rdp[0] < rdp[1] && rdp[1] < rdp[2])
        #expect(rdp[3] < rdp[4] && rdp[4] < rdp[5])
    }

    @Test func largeOrdersAndTinyRatesStayFinite() throws {
        let tiny = try RDPAccountant.subsampledGaussianRDP(samplingRate: 1e-9, noiseMultiplier: 0.3)
        #expect(tiny.allSatisfy { $0.isFinite && $0 >= 0 })
        let loud = try RDPAccountant.subsampledGaussianRDP(samplingRate: 0.5, noiseMultiplier: 0.1, order: 1024)
        #expect(loud.isFinite && loud > 1000)
    }

    @Test func noNoiseIsUnbounded() throws {
        #expect(try RDPAccountant.epsilon(samplingRate: 0.1, noiseMultiplier: 0, steps: 1, delta: 1e-5) == .infinity)
        var accountant = try RDPAccountant()
        try accountant.composeSubsampledGaussian(samplingRate: 0.1, noiseMultiplier: 0, steps: 3)
        #expect(try accountant.epsilon(delta: 1e-5) == EpsilonBound(epsilon: .infinity, order: nil))
        // Zero steps spend nothing, even without noise.
        #expect(try RDPAccountant.epsilon(samplingRate: 0.1, noiseMultiplier: 0, steps: 0, delta: 1e-5) == 0)
    }

    @Test func compositionAddsAndReportsTheWinningOrder() throws {
        var twice = try RDPAccountant()
        try twice.composeSubsampledGaussian(samplingRate: 0.02, noiseMultiplier: 1.2, steps: 400)
        try twice.composeSubsampledGaussian(samplingRate: 0.02, noiseMultiplier: 1.2, steps: 600)
        var once = try RDPAccountant()
        try once.composeSubsampledGaussian(samplingRate: 0.02, noiseMultiplier: 1.2, steps: 1000)
        for (a, b) in zip(twice.rdp, once.rdp) { #expect(relativeError(a, b) < 1e-12) }
        let bound = try once.epsilon(delta: 1e-5)
        let order = try #require(bound.order)
        #expect(RDPAccountant.defaultOrders.contains(order))
        let index = try #require(RDPAccountant.defaultOrders.firstIndex(of: order))
        let rho = once.rdp[index]
        #expect(relativeError(bound.epsilon, rho + log1p(-1 / order) - (log(1e-5) + log(order)) / (order - 1)) < 1e-12)
    }

    @Test func refusesBadInput() throws {
        #expect(throws: PrivacyAccountingError.samplingRateOutOfRange(0)) {
            try RDPAccountant.epsilon(samplingRate: 0, noiseMultiplier: 1, steps: 1, delta: 1e-5)
        }
        #expect(throws: PrivacyAccountingError.samplingRateOutOfRange(1.5)) {
            try RDPAccountant.subsampledGaussianRDP(samplingRate: 1.5, noiseMultiplier: 1)
        }
        #expect(throws: PrivacyAccountingError.invalidNoiseMultiplier(-1)) {
            try RDPAccountant.subsampledGaussianRDP(samplingRate: 0.1, noiseMultiplier: -1)
        }
        #expect(throws: PrivacyAccountingError.negativeSteps(-2)) {
            try RDPAccountant.epsilon(samplingRate: 0.1, noiseMultiplier: 1, steps: -2, delta: 1e-5)
        }
        for delta in [0.0, 1.0, -1e-5, .nan] {
            #expect(throws: PrivacyAccountingError.self) {
                try RDPAccountant.epsilon(samplingRate: 0.1, noiseMultiplier: 1, steps: 1, delta: delta)
            }
        }
        #expect(throws: PrivacyAccountingError.invalidOrder(1)) { try RDPAccountant(orders: [2, 1]) }
        #expect(throws: PrivacyAccountingError.invalidOrder(1e6)) { try RDPAccountant(orders: [2, 1e6]) }
        #expect(throws: PrivacyAccountingError.noOrders) { try RDPAccountant(orders: []) }
        var accountant = try RDPAccountant(orders: [2, 3])
        #expect(throws: PrivacyAccountingError.orderCountMismatch(orders: 2, values: 3)) {
            try accountant.compose(rdp: [1, 2, 3])
        }
        #expect(throws: PrivacyAccountingError.invalidEpsilon(0)) {
            try RDPAccountant.noiseMultiplier(forEpsilon: 0, delta: 1e-5, samplingRate: 0.1, steps: 10)
        }
        #expect(PrivacyAccountingError.samplingRateOutOfRange(2).description.contains("(0, 1]"))
        #expect(PrivacyAccountingError.deltaOutOfRange(1).description.contains("delta 1.0"))
    }

    @Test func noiseMultiplierInvertsEpsilon() throws {
        for (target, q, steps) in [(8.0, 0.01, 1000), (1.0, 0.27, 50), (3.0, 1.0, 20), (0.5, 0.004, 10000)] {
            let sigma = try RDPAccountant.noiseMultiplier(
                forEpsilon: target, delta: 1e-5, samplingRate: q, steps: steps)
            let reached = try RDPAccountant.epsilon(samplingRate: q, noiseMultiplier: sigma, steps: steps, delta: 1e-5)
            #expect(reached <= target, "target \(target) q \(q) steps \(steps)")
            #expect(relativeError(reached, target) < 1e-4, "target \(target) q \(q) steps \(steps): \(reached)")
            let less = try RDPAccountant.epsilon(
                samplingRate: q, noiseMultiplier: sigma * (1 - 1e-5), steps: steps, delta: 1e-5)
            #expect(less > target)
        }
        #expect(try RDPAccountant.noiseMultiplier(forEpsilon: 1, delta: 1e-5, samplingRate: 0.1, steps: 0) == 0)
    }
}
