import Foundation

/// A Rényi differential privacy (RDP) accountant for the Poisson-subsampled Gaussian mechanism, the mechanism of
/// DP-SGD (Mironov 2017, "Rényi Differential Privacy"; Mironov, Talwar and Zhang 2019, "Rényi Differential
/// Privacy of the Sampled Gaussian Mechanism").
///
/// It keeps one RDP value per Rényi order α: a mechanism is (α, ρ)-RDP when the Rényi divergence of order α
/// between its outputs on any two adjacent datasets (one record added or removed) is at most ρ. RDP composes by
/// addition, so `steps` runs of one mechanism multiply its RDP by `steps`, and at the end the smallest ε over
/// all orders is reported for the δ asked for. The numbers agree with Google's dp-accounting `RdpAccountant`
/// (its default orders, the same series and the same conversion to (ε, δ)); the tests check that.
///
/// Noise multipliers are the noise standard deviation divided by the L2 sensitivity (the clip norm).
public struct RDPAccountant: Sendable, Equatable {
    /// The orders dp-accounting's `RdpAccountant` uses by default: 1.1 to 10.9 in steps of 0.1, the integers
    /// 11 to 63, and 128, 256, 512 and 1024. Small orders suit large ε; large orders small ε.
    public static let defaultOrders: [Double] = {
        let tenths: [Double] = (1...99).map { 1 + Double($0) / 10 }
        let integers: [Double] = (11...63).map { Double($0) }
        return tenths + integers + [128, 256, 512, 1024]
    }()

    /// The Rényi orders this accountant tracks, each in (1, `maxOrder`].
    public let orders: [Double]

    /// The RDP spent so far at each of `orders` (+∞ where a mechanism without privacy was composed).
    public private(set) var rdp: [Double]

    /// An accountant that has spent nothing, at `orders`.
    /// - Throws: `PrivacyAccountingError` if `orders` is empty or holds an order that is not in (1, maxOrder].
    public init(orders: [Double] = RDPAccountant.defaultOrders) throws {
        try Self.check(orders: orders)
        self.orders = orders
        self.rdp = Array(repeating: 0, count: orders.count)
    }

    /// Adds `steps` steps of the Poisson-subsampled Gaussian mechanism: each record is used with probability
    /// `samplingRate` and Gaussian noise of `noiseMultiplier` times the clip norm is added (q = 1: the plain
    /// Gaussian mechanism).
    /// - Throws: `PrivacyAccountingError` if q is outside (0, 1], σ is negative or not finite, or steps < 0.
    public mutating func composeSubsampledGaussian(samplingRate: Double, noiseMultiplier: Double, steps: Int) throws {
        let added = try Self.subsampledGaussianRDP(
            samplingRate: samplingRate, noiseMultiplier: noiseMultiplier, steps: steps, orders: orders)
        try compose(rdp: added)
    }

    /// Adds `steps` runs of the Gaussian mechanism with `noiseMultiplier`: RDP α / (2σ²) per run at order α.
    /// - Throws: `PrivacyAccountingError` if σ is negative or not finite, or steps < 0.
    public mutating func composeGaussian(noiseMultiplier: Double, steps: Int) throws {
        try composeSubsampledGaussian(samplingRate: 1, noiseMultiplier: noiseMultiplier, steps: steps)
    }

    /// Adds the RDP of some other mechanism, given at each of `orders`.
    /// - Throws: `PrivacyAccountingError.orderCountMismatch` if `rdp` does not have one value per order.
    public mutating func compose(rdp added: [Double]) throws {
        guard added.count == orders.count else {
            throw PrivacyAccountingError.orderCountMismatch(orders: orders.count, values: added.count)
        }
        for index in rdp.indices { rdp[index] += added[index] }
    }

    /// The smallest ε for which everything composed so far is (ε, `delta`)-DP, and the order that gives it.
    /// - Throws: `PrivacyAccountingError.deltaOutOfRange` if δ is outside (0, 1).
    public func epsilon(delta: Double) throws -> EpsilonBound {
        try Self.epsilon(rdp: rdp, orders: orders, delta: delta)
    }
}

/// An (ε, δ) guarantee converted from RDP: `epsilon` for the δ asked, and the Rényi order that gave it.
public struct EpsilonBound: Sendable, Equatable {
    /// The privacy loss ε; +∞ when no order gives a finite bound.
    public let epsilon: Double
    /// The Rényi order whose RDP value gave `epsilon`; nil when `epsilon` is +∞.
    public let order: Double?

    /// A bound of `epsilon` reached at `order`.
    public init(epsilon: Double, order: Double?) {
        self.epsilon = epsilon
        self.order = order
    }
}

extension RDPAccountant {
    /// The RDP at `order` of one step of the Poisson-subsampled Gaussian mechanism with sampling rate q and noise
    /// multiplier σ: log(A_α) / (α − 1) from Mironov, Talwar and Zhang 2019 (integer and fractional orders, in
    /// log space); α / (2σ²) when q = 1; +∞ when σ = 0.
    /// - Throws: `PrivacyAccountingError` if q is outside (0, 1], σ is negative or not finite, or the order is
    ///   not in (1, maxOrder].
    public static func subsampledGaussianRDP(
        samplingRate: Double, noiseMultiplier: Double, order: Double
    ) throws
        -> Double
    {
        try check(samplingRate: samplingRate, noiseMultiplier: noiseMultiplier)
        try check(orders: [order])
        return sampledGaussianRDP(q: samplingRate, sigma: noiseMultiplier, order: order)
    }

    /// The RDP at each of `orders` of `steps` steps of the Poisson-subsampled Gaussian mechanism (q = 1: the plain
    /// Gaussian): one step's RDP times `steps`, all zero when `steps` is 0.
    /// - Throws: `PrivacyAccountingError` if q is outside (0, 1], σ is negative or not finite, steps < 0, or an
    ///   order is not in (1, maxOrder].
    public static func subsampledGaussianRDP(
        samplingRate: Double, noiseMultiplier: Double, steps: Int = 1, orders: [Double] = defaultOrders
    ) throws -> [Double] {
        try check(samplingRate: samplingRate, noiseMultiplier: noiseMultiplier)
        try check(orders: orders)
        guard steps >= 0 else { throw PrivacyAccountingError.negativeSteps(steps) }
        // Zero steps spend nothing, even without noise (∞ · 0 would be NaN).
        if steps == 0 { return Array(repeating: 0, count: orders.count) }
        return orders.map { Double(steps) * sampledGaussianRDP(q: samplingRate, sigma: noiseMultiplier, order: $0) }
    }

    /// Converts RDP values to the smallest ε with (ε, δ)-DP over all orders, and the order that gives it.
    ///
    /// The conversion is the one dp-accounting uses, the improved bound of Balle et al. 2020 ("Hypothesis
    /// testing interpretations and Rényi differential privacy", Proposition 12) and Canonne, Kamath and Steinke
    /// 2020: an (α, ρ)-RDP mechanism is (ε, δ)-DP with
    ///     ε = ρ + log((α − 1) / α) − (log δ + log α) / (α − 1),
    /// which is below Mironov's ρ + log(1/δ) / (α − 1). It is used for α > 1.01 only (it is unstable as α → 1).
    /// At any order, ε = 0 already when δ ≥ √(1 − e^−ρ): the divergence of order α ≥ 1 bounds the KL divergence,
    /// and total variation distance is at most √(1 − e^−KL) (Bretagnolle–Huber). Negative ρ, which can only be
    /// rounding error, counts as 0.
    /// - Throws: `PrivacyAccountingError` if δ is outside (0, 1), the counts differ, or an order is not in
    ///   (1, maxOrder].
    public static func epsilon(rdp: [Double], orders: [Double], delta: Double) throws -> EpsilonBound {
        try check(delta: delta)
        try check(orders: orders)
        guard rdp.count == orders.count else {
            throw PrivacyAccountingError.orderCountMismatch(orders: orders.count, values: rdp.count)
        }
        var best = EpsilonBound(epsilon: .infinity, order: nil)
        for (alpha, value) in zip(orders, rdp) {
            let rho = max(value, 0)
            let epsilon: Double
            if rho == .infinity {
                epsilon = .infinity
            } else if delta * delta + expm1(-rho) > 0 {
                epsilon = 0
            } else if alpha > 1.01 {
                epsilon = rho + log1p(-1 / alpha) - (log(delta) + log(alpha)) / (alpha - 1)
            } else {
                epsilon = .infinity
            }
            if epsilon < best.epsilon { best = EpsilonBound(epsilon: max(epsilon, 0), order: alpha) }
        }
        return best
    }

    /// The ε after `steps` steps of the Poisson-subsampled Gaussian mechanism (q = 1: the plain Gaussian), for
    /// `delta`, converted at `orders`; +∞ when σ = 0.
    /// - Throws: `PrivacyAccountingError` on an input outside its range (see `subsampledGaussianRDP`).
    public static func epsilon(
        samplingRate: Double, noiseMultiplier: Double, steps: Int, delta: Double, orders: [Double] = defaultOrders
    ) throws -> Double {
        try check(delta: delta)
        let rdp = try subsampledGaussianRDP(
            samplingRate: samplingRate, noiseMultiplier: noiseMultiplier, steps: steps, orders: orders)
        return try epsilon(rdp: rdp, orders: orders, delta: delta).epsilon
    }

    /// The noise multiplier that `steps` steps at `samplingRate` need to stay within (`epsilon`, `delta`)-DP:
    /// found by bisection, and returned from the safe side, so the ε it gives is at most `epsilon` and a σ
    /// smaller by the relative `tolerance` would exceed it. 0 when `steps` is 0.
    ///
    /// ε falls as σ grows at every order, so the bisection keeps a bracket [low, high] with ε(low) > target ≥
    /// ε(high), found by doubling or halving from σ = 1.
    /// - Throws: `PrivacyAccountingError` on an input outside its range, or `.noiseMultiplierNotFound` if even
    ///   σ = 2^20 does not reach the target.
    public static func noiseMultiplier(
        forEpsilon target: Double, delta: Double, samplingRate: Double, steps: Int,
        orders: [Double] = defaultOrders, tolerance: Double = 1e-6
    ) throws -> Double {
        guard target.isFinite, target > 0 else { throw PrivacyAccountingError.invalidEpsilon(target) }
        guard tolerance > 0, tolerance < 1 else { throw PrivacyAccountingError.invalidTolerance(tolerance) }
        try check(delta: delta)
        try check(samplingRate: samplingRate, noiseMultiplier: 1)
        try check(orders: orders)
        guard steps >= 0 else { throw PrivacyAccountingError.negativeSteps(steps) }
        if steps == 0 { return 0 }
        func fits(_ sigma: Double) throws -> Bool {
            try epsilon(samplingRate: samplingRate, noiseMultiplier: sigma, steps: steps, delta: delta, orders: orders)
                <= target
        }
        let largest = 1_048_576.0
        var low = 1.0
        var high = 1.0
        if try fits(1) {
            // Halve until too little noise; below 2^-30 any σ fits (the target is enormous): take that.
            while try fits(low) {
                high = low
                low /= 2
                if low < 0x1p-30 { return high }
            }
        } else {
            while !(try fits(high)) {
                low = high
                high *= 2
                if high > largest {
                    throw PrivacyAccountingError.noiseMultiplierNotFound(epsilon: target, largestTried: largest)
                }
            }
        }
        while high - low > tolerance * high {
            let middle = (low + high) / 2
            if try fits(middle) { high = middle } else { low = middle }
        }
        return high
    }

    /// Throws unless q ∈ (0, 1] and σ is a finite number ≥ 0.
    static func check(samplingRate q: Double, noiseMultiplier sigma: Double) throws {
        guard q > 0, q <= 1 else { throw PrivacyAccountingError.samplingRateOutOfRange(q) }
        guard sigma.isFinite, sigma >= 0 else { throw PrivacyAccountingError.invalidNoiseMultiplier(sigma) }
    }

    /// Throws unless δ ∈ (0, 1).
    static func check(delta: Double) throws {
        guard delta > 0, delta < 1 else { throw PrivacyAccountingError.deltaOutOfRange(delta) }
    }

    /// The largest Rényi order accepted: an integer order α sums α + 1 terms, and orders past a few thousand
    /// never give the smallest ε for any δ worth using.
    public static let maxOrder = 100_000.0

    /// Throws unless `orders` is non-empty and every order is in (1, `maxOrder`].
    static func check(orders: [Double]) throws {
        guard !orders.isEmpty else { throw PrivacyAccountingError.noOrders }
        if let bad = orders.first(where: { !($0 > 1 && $0 <= maxOrder) }) {
            throw PrivacyAccountingError.invalidOrder(bad)
        }
    }
}
