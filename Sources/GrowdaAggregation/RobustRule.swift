/// How a FedBuff buffer turns its K updates into one step direction: the weighted mean of plain
/// FedBuff, or a coordinate-wise rule that a few hostile updates cannot drag far.
///
/// The robust rules need the K deltas themselves, so a robust buffer keeps them (K copies of the
/// model) where plain FedBuff keeps only S = Σ a·Δ (one copy). Both robust rules keep the staleness
/// weights a = n · f(s): they decide which values count by rank, and then weigh what is left by a.
public enum RobustRule: Codable, Sendable, Equatable, Hashable {
    /// The weighted mean Σ a·Δ / Σ a (plain FedBuff; the buffer keeps only the sum).
    case none
    /// Coordinate-wise trimmed mean: in each coordinate the t = ⌊β·K⌋ smallest and t largest of the K
    /// values are dropped (by count, whatever their weights), and the weighted mean of the K − 2t kept
    /// values, Σ a·x / Σ a over them, is the step's value there. β is in (0, 0.5).
    case trimmedMean(beta: Double)
    /// Coordinate-wise weighted median: in each coordinate the values sorted ascending with their weights,
    /// the first value at which the cumulative weight reaches half of Z = Σ a; when it reaches exactly half,
    /// the mean of that value and the next (so equal weights give the usual median of an even count).
    case median

    /// Whether the buffer must keep each delta (every rule but ``none``).
    public var keepsDeltas: Bool { self != .none }

    /// t = ⌊β·K⌋, the values trimmed from each end of a coordinate (0 for the other rules). The product is
    /// taken a hair above, so β = 0.29 of K = 100 trims 29 even though 0.29 · 100 is 28.999999999999996.
    public func trimCount(bufferSize k: Int) -> Int {
        guard case .trimmedMean(let beta) = self else { return 0 }
        return Int((beta * Double(k) + 1e-9).rounded(.down))
    }

    /// Whether the rule can work on a buffer of `k` updates: trimmed mean needs ⌊β·K⌋ ≥ 1 (something is
    /// trimmed) and K − 2⌊β·K⌋ ≥ 1 (something is kept); the median needs K ≥ 3 (with K = 2 it is the
    /// mean of the two, and one hostile update moves it as far as the mean does).
    public func works(bufferSize k: Int) -> Bool {
        switch self {
        case .none: k >= 1
        case .trimmedMean:
            trimCount(bufferSize: k) >= 1 && k - 2 * trimCount(bufferSize: k) >= 1
        case .median: k >= 3
        }
    }

    /// The smallest K the rule works with (nil for a β outside (0, 0.5), which no K fits).
    public var smallestBufferSize: Int? {
        switch self {
        case .none: return 1
        case .median: return 3
        case .trimmedMean(let beta):
            guard beta > 0 && beta < 0.5 && beta.isFinite else { return nil }
            // ⌊βK⌋ ≥ 1 from K = ⌈1/β⌉ on, and K − 2⌊βK⌋ ≥ K(1 − 2β) > 0 for every K, so the search is short.
            var k = 1
            while !works(bufferSize: k) { k += 1 }
            return k
        }
    }

    /// What the rule needs of K, as errors say it.
    public var requirement: String {
        switch self {
        case .none: "K ≥ 1"
        case .trimmedMean: "⌊β·K⌋ ≥ 1 value trimmed from each end and K − 2⌊β·K⌋ ≥ 1 kept"
        case .median: "K ≥ 3 (with fewer the median is the mean)"
        }
    }

    /// How many updates of one buffer the rule outvotes in every coordinate: t = ⌊β·K⌋ for trimmed mean,
    /// ⌈K/2⌉ − 1 for the median (with equal weights), 0 for the mean.
    public func toleratedOutliers(bufferSize k: Int) -> Int {
        switch self {
        case .none: 0
        case .trimmedMean: trimCount(bufferSize: k)
        case .median: (k + 1) / 2 - 1
        }
    }
}

/// The coordinate-wise rules on a small set of values, one coordinate at a time. Each takes the K values
/// and their weights in scratch arrays that it reorders (no allocation per coordinate).
enum CoordinateRule {
    /// Sorts `values` ascending, carrying `weights` along (insertion sort: K is small, and a tie keeps the
    /// folding order, so the result does not depend on the sort's stability).
    static func sort(_ values: inout [Float], _ weights: inout [Double], count k: Int) {
        guard k > 1 else { return }
        for i in 1..<k {
            let v = values[i], w = weights[i]
            var j = i - 1
            while j >= 0 && values[j] > v {
                values[j + 1] = values[j]
                weights[j + 1] = weights[j]
                j -= 1
            }
            values[j + 1] = v
            weights[j + 1] = w
        }
    }

    /// The weighted mean of the values left after dropping the `trim` smallest and `trim` largest.
    /// `values` and `weights` are reordered.
    static func trimmedMean(_ values: inout [Float], _ weights: inout [Double], count k: Int, trim: Int) -> Float {
        precondition(k - 2 * trim >= 1, "trimming \(trim) from each end of \(k) values leaves none")
        sort(&values, &weights, count: k)
        var sum = 0.0, total = 0.0
        for i in trim..<(k - trim) {
            sum += weights[i] * Double(values[i])
            total += weights[i]
        }
        return Float(sum / total)
    }

    /// The weighted median (see ``RobustRule/median``). `values` and `weights` are reordered.
    static func median(_ values: inout [Float], _ weights: inout [Double], count k: Int) -> Float {
        precondition(k >= 1, "the median of no values")
        sort(&values, &weights, count: k)
        var total = 0.0
        for i in 0..<k { total += weights[i] }
        let half = total / 2
        var cumulative = 0.0
        for i in 0..<k {
            cumulative += weights[i]
            if cumulative == half && i + 1 < k { return Float((Double(values[i]) + Double(values[i + 1])) / 2) }
            if cumulative >= half { return values[i] }
        }
        return values[k - 1]
    }
}
