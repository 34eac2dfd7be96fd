import Foundation

// The Rényi divergence of the Poisson-subsampled Gaussian mechanism (Mironov, Talwar and Zhang 2019,
// "Rényi Differential Privacy of the Sampled Gaussian Mechanism", arXiv:1908.10530).
//
// One step adds N(0, σ²) noise to a sum of clipped (norm ≤ 1) per-record values, each record included with
// probability q. For add-or-remove-one adjacency the worst pair of output distributions is
//     μ0 = N(0, σ²)   and   μ = (1 − q) μ0 + q μ1,   μ1 = N(1, σ²),
// and the RDP at order α is  D_α(μ ‖ μ0) = log(A_α) / (α − 1)  with  A_α = E_{z∼μ0}[(μ(z) / μ0(z))^α].
// Everything below works with logarithms, so A_α may be far beyond Double's range (large α, small σ) and
// tiny q loses nothing.

extension RDPAccountant {
    /// The RDP at `order` of one step of the Poisson-subsampled Gaussian mechanism; inputs already checked.
    ///
    /// q = 1 is the plain Gaussian, α / (2σ²); σ = 0 is no privacy at all (+∞). A fractional order whose series
    /// does not settle within `maxFractionalTerms` terms is reported as +∞ (a valid, if useless, bound), so
    /// that order drops out of the ε minimum instead of being under-estimated.
    static func sampledGaussianRDP(q: Double, sigma: Double, order alpha: Double) -> Double {
        if sigma == 0 { return .infinity }
        if q == 1 { return alpha / (2 * sigma * sigma) }
        let logA =
            alpha == alpha.rounded()
            ? logAIntegerOrder(q: q, sigma: sigma, alpha: Int(alpha))
            : logAFractionalOrder(q: q, sigma: sigma, alpha: alpha)
        return logA / (alpha - 1)
    }

    /// log A_α for an integer α ≥ 2, from the binomial expansion of (1 − q + q μ1/μ0)^α:
    ///     A_α = Σ_{i=0}^{α} C(α, i) q^i (1 − q)^(α−i) exp((i² − i) / (2σ²)),
    /// because E_{μ0}[(μ1/μ0)^i] = exp((i² − i) / (2σ²)). Summed as log-sum-exp over the α + 1 terms.
    private static func logAIntegerOrder(q: Double, sigma: Double, alpha: Int) -> Double {
        let logQ = log(q)
        let log1MinusQ = log1p(-q)
        let twoSigmaSquared = 2 * sigma * sigma
        var logTerms = [Double]()
        logTerms.reserveCapacity(alpha + 1)
        var logBinomial = 0.0  // log C(α, i), updated as C(α, i + 1) = C(α, i) (α − i) / (i + 1)
        for i in 0...alpha {
            let n = Double(i)
            logTerms.append(logBinomial + n * logQ + Double(alpha - i) * log1MinusQ + (n * n - n) / twoSigmaSquared)
            logBinomial += log(Double(alpha - i)) - log(n + 1)
        }
        return logSumExp(logTerms)
    }

    /// The most terms summed for a fractional order before it is given up as +∞; as in dp-accounting, so the
    /// two accountants drop the same orders.
    static let maxFractionalTerms = 1000

    /// log A_α for a fractional α > 1 (Mironov, Talwar and Zhang 2019, section 3.3).
    ///
    /// The integral over z is split at z0 = σ² log(1/q − 1) + ½, where q μ1(z) = (1 − q) μ0(z). Below z0 the
    /// integrand (1 − q)^α μ0 (1 + x)^α has x = q μ1 / ((1 − q) μ0) ≤ 1, above it the roles swap, so each half
    /// is a convergent binomial series in the generalized coefficients C(α, i):
    ///     A0 = Σ_i |C(α, i)| q^i (1 − q)^(α−i) exp((i² − i) / (2σ²)) · ½ erfc((i − z0) / (√2 σ))
    ///     A1 = Σ_i |C(α, i)| q^(α−i) (1 − q)^i exp((j² − j) / (2σ²)) · ½ erfc((z0 − j) / (√2 σ)),  j = α − i.
    /// The coefficients change sign past i = α; taking their absolute values (as dp-accounting does) can only
    /// raise the sum, since every other factor is positive, so the result stays an upper bound.
    ///
    /// The sum stops once both halves' terms are falling and the larger is below e^−30 of the total.
    private static func logAFractionalOrder(q: Double, sigma: Double, alpha: Double) -> Double {
        let logQ = log(q)
        let log1MinusQ = log1p(-q)
        let twoSigmaSquared = 2 * sigma * sigma
        let erfcScale = 1 / (2.0.squareRoot() * sigma)
        let z0 = sigma * sigma * log(1 / q - 1) + 0.5
        let logHalf = -log(2.0)
        var logA0 = -Double.infinity
        var logA1 = -Double.infinity
        var previousTerm0 = -Double.infinity
        var previousTerm1 = -Double.infinity
        var logBinomial = 0.0  // log |C(α, i)|
        for i in 0..<maxFractionalTerms {
            let n = Double(i)
            let j = alpha - n
            let term0 =
                logBinomial + n * logQ + j * log1MinusQ + (n * n - n) / twoSigmaSquared
                + logHalf + logErfc((n - z0) * erfcScale)
            let term1 =
                logBinomial + j * logQ + n * log1MinusQ + (j * j - j) / twoSigmaSquared
                + logHalf + logErfc((z0 - j) * erfcScale)
            logA0 = logAdd(logA0, term0)
            logA1 = logAdd(logA1, term1)
            let total = logAdd(logA0, logA1)
            if term0 < previousTerm0, term1 < previousTerm1, max(term0, term1) < total - 30 { return total }
            previousTerm0 = term0
            previousTerm1 = term1
            logBinomial += log(abs(alpha - n)) - log(n + 1)
        }
        return .infinity
    }
}

/// log(e^a + e^b) without overflow; −∞ stands for 0.
func logAdd(_ a: Double, _ b: Double) -> Double {
    let (low, high) = a < b ? (a, b) : (b, a)
    if low == -.infinity { return high }
    return high + log1p(exp(low - high))
}

/// log Σ e^(x_i) without overflow: the largest term is factored out.
func logSumExp(_ values: [Double]) -> Double {
    guard let largest = values.max(), largest > -.infinity else { return -.infinity }
    if largest == .infinity { return .infinity }
    var sum = 0.0
    for value in values { sum += exp(value - largest) }
    return largest + log(sum)
}

/// log(erfc(x)), accurate where erfc(x) itself underflows or loses its relative precision.
///
/// Below x = 20 (erfc(20) ≈ 5e-176) the C library's erfc is used directly. Above, the asymptotic series
///     erfc(x) = e^(−x²) / (x √π) · (1 − 1/(2x²) + 3/(2x²)² − 15/(2x²)³ + …)
/// whose first five correction terms leave an error below 1e-15 there.
func logErfc(_ x: Double) -> Double {
    if x < 20 { return log(erfc(x)) }
    let u = 1 / (2 * x * x)
    var correction = 0.0
    var term = 1.0
    for k in 1...5 {
        term *= -Double(2 * k - 1) * u
        correction += term
    }
    return -x * x - log(x) - 0.5 * log(Double.pi) + log1p(correction)
}
