import Foundation
import Testing

@testable import GrowdaPrivacy

/// Our accountant against the numbers Google's dp-accounting computed (see `AccountantFixtures`).
@Suite("RDP accountant agrees with dp-accounting")
struct AccountantFixtureTests {
    let fixtures = AccountantFixtures.shared

    /// The tolerance the brief asks for: 1 % relative on ε.
    static let tolerance = 0.01

    @Test func defaultOrdersAreDPAccountingsDefaults() {
        #expect(RDPAccountant.defaultOrders == fixtures.orders)
        #expect(RDPAccountant.defaultOrders.count == 156)
    }

    @Test func gridEpsilonsAgree() throws {
        var worst = 0.0
        var worstRow: AccountantFixtures.GridRow?
        var orderMismatches = 0
        for row in fixtures.grid {
            let accountant = try accountant(for: [.init(q: row.q, sigma: row.sigma, count: row.steps)])
            let bound = try accountant.epsilon(delta: row.delta)
            guard let expected = row.epsilon else {
                #expect(bound.epsilon == .infinity, "q \(row.q) sigma \(row.sigma) steps \(row.steps)")
                continue
            }
            let error = relativeError(bound.epsilon, expected)
            #expect(error < Self.tolerance, "q \(row.q) sigma \(row.sigma) steps \(row.steps) delta \(row.delta)")
            if error > worst { (worst, worstRow) = (error, row) }
            if bound.order != row.order { orderMismatches += 1 }
        }
        print(
            "grid: \(fixtures.grid.count) rows vs dp-accounting \(fixtures.dpAccountingVersion), "
                + "worst relative epsilon error \(worst) at \(String(describing: worstRow)); "
                + "\(orderMismatches) rows chose another order")
        #expect(worst < 1e-9)
    }

    @Test func compositionsAgree() throws {
        var worst = 0.0
        for row in fixtures.compositions {
            let bound = try accountant(for: row.components).epsilon(delta: row.delta)
            let expected = try #require(row.epsilon)
            let error = relativeError(bound.epsilon, expected)
            #expect(error < Self.tolerance, "\(row.name), delta \(row.delta)")
            #expect(bound.order == row.order, "\(row.name), delta \(row.delta)")
            worst = max(worst, error)
        }
        print("compositions: worst relative epsilon error \(worst)")
        #expect(worst < 1e-9)
    }

    /// The same compositions as a ledger: DP-SGD components as record-level entries, Gaussian (q = 1) ones as
    /// update-level entries with z = 2σ.
    @Test func compositionsAgreeThroughALedger() throws {
        for row in fixtures.compositions {
            var ledger = PrivacyLedger()
            var seq: UInt64 = 0
            for component in row.components {
                if component.q == 1 {
                    for _ in 0..<component.count {
                        seq += 1
                        try ledger.record(
                            .init(
                                seq: seq, baseVersion: 0, time: 0, recordLevel: nil,
                                updateLevel: .init(noiseMultiplier: 2 * component.sigma)))
                    }
                } else {
                    seq += 1
                    try ledger.record(
                        .init(
                            seq: seq, baseVersion: 0, time: 0,
                            recordLevel: .init(
                                samplingRate: component.q, noiseMultiplier: component.sigma, steps: component.count),
                            updateLevel: nil))
                }
            }
            let epsilon = try #require(try ledger.epsilon(delta: row.delta))
            #expect(relativeError(epsilon, try #require(row.epsilon)) < 1e-9, "\(row.name)")
        }
    }

    @Test func perOrderRDPAgrees() throws {
        var worst = 0.0
        for row in fixtures.rdp {
            let ours = try RDPAccountant.subsampledGaussianRDP(
                samplingRate: row.q, noiseMultiplier: row.sigma, steps: row.steps)
            #expect(ours.count == row.rdp.count)
            for (index, (value, expected)) in zip(ours, row.rdp).enumerated() {
                let order = RDPAccountant.defaultOrders[index]
                guard let expected else {
                    #expect(value == .infinity, "q \(row.q) sigma \(row.sigma) order \(order)")
                    continue
                }
                let error = relativeError(value, expected)
                #expect(error < 1e-8, "q \(row.q) sigma \(row.sigma) order \(order): \(value) vs \(expected)")
                worst = max(worst, error)
            }
        }
        print("per-order RDP: worst relative error \(worst)")
    }

    /// An accountant that has composed every component.
    private func accountant(for components: [AccountantFixtures.Component]) throws -> RDPAccountant {
        var accountant = try RDPAccountant()
        for component in components {
            try accountant.composeSubsampledGaussian(
                samplingRate: component.q, noiseMultiplier: component.sigma, steps: component.count)
        }
        return accountant
    }
}
