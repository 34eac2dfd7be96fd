#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How much an update's weight shrinks with its staleness s = t − τ (current version minus the
/// version the node trained from). Every form gives f(0) = 1, so fresh updates keep their sample
/// count as weight and the synchronous mode (s = 0 always) is plain FedAvg.
///
/// - `polynomial(exponent: a)`: f(s) = (1 + s)^(−a). With a = ½ this is FedBuff's default
///   (Nguyen et al. 2022, "Federated Learning with Buffered Asynchronous Aggregation").
/// - `constant`: f(s) = 1, staleness ignored (up to the refusal bound s_max).
/// - `hinge(slope: a, threshold: b)`: f(s) = 1 for s ≤ b, else 1 / (a · (s − b) + 1)
///   (FedAsync's hinge, Xie et al. 2019, "Asynchronous Federated Optimization").
public enum StalenessFunction: Codable, Sendable, Equatable {
    /// f(s) = (1 + s)^(−exponent).
    case polynomial(exponent: Double)
    /// f(s) = 1.
    case constant
    /// f(s) = 1 for s ≤ threshold, else 1 / (slope · (s − threshold) + 1).
    case hinge(slope: Double, threshold: Double)

    /// FedBuff's default, f(s) = 1 / √(1 + s).
    public static let `default` = StalenessFunction.polynomial(exponent: 0.5)

    /// The factor f(s) for a staleness s ≥ 0.
    public func factor(staleness s: Int) -> Double {
        precondition(s >= 0, "staleness \(s) is negative")
        let s = Double(s)
        switch self {
        case .polynomial(let a):
            return pow(1 + s, -a)
        case .constant:
            return 1
        case .hinge(let a, let b):
            return s <= b ? 1 : 1 / (a * (s - b) + 1)
        }
    }
}
