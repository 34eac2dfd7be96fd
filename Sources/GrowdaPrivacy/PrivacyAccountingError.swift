/// A privacy-accounting input that no accountant can work with. Each case names the value and the range it
/// must lie in.
public enum PrivacyAccountingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A sampling rate outside (0, 1]: the probability that each record takes part in one step.
    case samplingRateOutOfRange(Double)
    /// A noise multiplier that is negative or not a finite number.
    case invalidNoiseMultiplier(Double)
    /// A δ outside (0, 1).
    case deltaOutOfRange(Double)
    /// A negative number of steps.
    case negativeSteps(Int)
    /// A Rényi order that is not a number in (1, `RDPAccountant.maxOrder`].
    case invalidOrder(Double)
    /// An empty list of Rényi orders.
    case noOrders
    /// An RDP vector whose length differs from the number of orders it is meant for.
    case orderCountMismatch(orders: Int, values: Int)
    /// A target ε that is not a finite number greater than 0.
    case invalidEpsilon(Double)
    /// A bisection tolerance that is not a number in (0, 1).
    case invalidTolerance(Double)
    /// No noise multiplier up to `largestTried` reaches the target ε.
    case noiseMultiplierNotFound(epsilon: Double, largestTried: Double)

    /// What is wrong, with the value that was given.
    public var description: String {
        switch self {
        case .samplingRateOutOfRange(let q):
            "sampling rate \(q) is outside (0, 1]: it is the probability that a record takes part in a step"
        case .invalidNoiseMultiplier(let sigma):
            "noise multiplier \(sigma) is not a finite number >= 0 (noise standard deviation / clip norm)"
        case .deltaOutOfRange(let delta):
            "delta \(delta) is outside (0, 1); a usual choice is below 1 / (number of records)"
        case .negativeSteps(let steps):
            "number of steps \(steps) is negative"
        case .invalidOrder(let order):
            "Renyi order \(order) is not a number in (1, \(Int(RDPAccountant.maxOrder))]"
        case .noOrders:
            "the list of Renyi orders is empty"
        case .orderCountMismatch(let orders, let values):
            "\(values) RDP values given for \(orders) Renyi orders"
        case .invalidEpsilon(let epsilon):
            "target epsilon \(epsilon) is not a finite number greater than 0"
        case .invalidTolerance(let tolerance):
            "tolerance \(tolerance) is not a number in (0, 1)"
        case .noiseMultiplierNotFound(let epsilon, let largest):
            "no noise multiplier up to \(largest) gives epsilon <= \(epsilon); raise the target epsilon or take "
                + "fewer steps or a smaller sampling rate"
        }
    }
}
