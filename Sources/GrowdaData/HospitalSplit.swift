import Foundation
import GrowdaTensor

/// How samples are dealt to hospitals.
public enum SplitMode: Sendable, Equatable, CustomStringConvertible {
    /// Independent and identically distributed: every hospital gets about as many samples of each class.
    case iid
    /// Label skew: for each class, the hospitals' shares are drawn from a symmetric Dirichlet(alpha);
    /// small alpha (0.1) gives very unequal hospitals, large alpha (100) nearly IID ones.
    case dirichlet(alpha: Double)

    /// "iid" or "dirichlet(alpha=…)".
    public var description: String {
        switch self {
        case .iid: return "iid"
        case .dirichlet(let alpha): return "dirichlet(alpha=\(alpha))"
        }
    }
}

/// Splits a labelled set among simulated hospitals (federated clients).
public enum HospitalSplit {
    /// Per-hospital sample indices (each list ascending; every sample in exactly one list).
    ///
    /// - Parameters:
    ///   - labels: each sample's class (0-based, no unlabelled samples).
    ///   - groups: optional group id per sample (e.g. patient id); a group then goes to one hospital whole.
    ///   - classCount: the number of classes, when some class may have no sample.
    ///   - minimumPerHospital: every hospital gets at least this many samples, taken from the largest
    ///     hospitals after the draw; defaults to `min(10, samples / (2 × hospitals))`, at least 1.
    ///   - seed: the whole split is fixed by it.
    public static func split(
        labels: [Int32], groups: [String]? = nil, classCount: Int? = nil, hospitals: Int, mode: SplitMode,
        seed: UInt64, minimumPerHospital: Int? = nil
    ) throws(DatasetError) -> [[Int]] {
        guard hospitals >= 1 else { throw .impossibleSplit(reason: "the number of hospitals must be at least 1") }
        if case .dirichlet(let alpha) = mode, !(alpha > 0 && alpha.isFinite) {
            throw .impossibleSplit(reason: "alpha must be a positive number, got \(alpha)")
        }
        let units = try SplitUnits(labels: labels, groups: groups, classCount: classCount)
        let total = units.sampleCount
        let minimum = minimumPerHospital ?? max(1, min(10, total / (2 * hospitals)))
        guard units.members.count >= hospitals, total >= hospitals * minimum else {
            throw .impossibleSplit(
                reason: "\(total) samples in \(units.members.count) units cannot give \(hospitals) hospitals "
                    + "\(minimum) samples each; use fewer hospitals or a smaller minimum")
        }

        var rng = SeededGenerator(seed: seed)
        let byClass = units.shuffledByClass(&rng)
        var assigned = [[Int]](repeating: [], count: hospitals)  // units per hospital
        var sizes = [Int](repeating: 0, count: hospitals)
        switch mode {
        case .iid:
            // Each unit goes to the hospital with the fewest samples of its class, then fewest in all.
            for classUnits in byClass {
                var classSizes = [Int](repeating: 0, count: hospitals)
                for u in classUnits {
                    let h = (0..<hospitals).min { (classSizes[$0], sizes[$0], $0) < (classSizes[$1], sizes[$1], $1) }!
                    assigned[h].append(u)
                    classSizes[h] += units.members[u].count
                    sizes[h] += units.members[u].count
                }
            }
        case .dirichlet(let alpha):
            // Cut each class's shuffled units at the cumulative Dirichlet shares.
            for classUnits in byClass {
                let shares = dirichlet(alpha: alpha, count: hospitals, rng: &rng)
                let classTotal = Double(classUnits.reduce(0) { $0 + units.members[$1].count })
                var bounds = [Double]()
                var running = 0.0
                for share in shares {
                    running += share * classTotal
                    bounds.append(running)
                }
                var position = 0.0
                for u in classUnits {
                    let size = Double(units.members[u].count)
                    let middle = position + size / 2
                    let h = bounds.firstIndex { middle < $0 } ?? hospitals - 1
                    assigned[h].append(u)
                    sizes[h] += units.members[u].count
                    position += size
                }
            }
        }
        try topUp(&assigned, sizes: &sizes, minimum: minimum, units: units)
        return assigned.map { units.samples(of: $0) }
    }

    /// Per-hospital indices into `dataset`; see `split(labels:…)`. With `keepGroupsTogether`, the dataset's
    /// groups (e.g. patient ids) each go to one hospital.
    public static func split(
        _ dataset: Dataset, hospitals: Int, mode: SplitMode, seed: UInt64, keepGroupsTogether: Bool = false,
        minimumPerHospital: Int? = nil
    ) throws(DatasetError) -> [[Int]] {
        try split(
            labels: dataset.labels, groups: keepGroupsTogether ? dataset.groups : nil,
            classCount: dataset.classNames.count, hospitals: hospitals, mode: mode, seed: seed,
            minimumPerHospital: minimumPerHospital)
    }

    /// Per-hospital indices into `catalog.entries`; see `split(labels:…)`. With `keepGroupsTogether`, entries
    /// sharing a group go to one hospital.
    public static func split(
        _ catalog: ImageCatalog, hospitals: Int, mode: SplitMode, seed: UInt64, keepGroupsTogether: Bool = false,
        minimumPerHospital: Int? = nil
    ) throws(DatasetError) -> [[Int]] {
        let groups = keepGroupsTogether ? catalog.entries.enumerated().map { $1.group ?? "#\($0)" } : nil
        return try split(
            labels: catalog.labels, groups: groups, classCount: catalog.classNames.count, hospitals: hospitals,
            mode: mode, seed: seed, minimumPerHospital: minimumPerHospital)
    }

    /// Moves units from the largest hospitals to any with fewer than `minimum` samples, deterministically:
    /// the donor gives its smallest unit of its most common class that keeps it at or above the minimum.
    private static func topUp(
        _ assigned: inout [[Int]], sizes: inout [Int], minimum: Int, units: SplitUnits
    )
        throws(DatasetError)
    {
        while let needy = sizes.indices.first(where: { sizes[$0] < minimum }) {
            let donors = sizes.indices.sorted { (sizes[$0], -$0) > (sizes[$1], -$1) }
            var moved = false
            for donor in donors where donor != needy {
                var classSizes = [Int](repeating: 0, count: units.classCount)
                for u in assigned[donor] { classSizes[units.labels[u]] += units.members[u].count }
                let candidates = assigned[donor].indices.filter {
                    sizes[donor] - units.members[assigned[donor][$0]].count >= minimum
                }
                guard
                    let pick = candidates.min(by: { a, b in
                        let ua = assigned[donor][a], ub = assigned[donor][b]
                        return (-classSizes[units.labels[ua]], units.members[ua].count, ua)
                            < (-classSizes[units.labels[ub]], units.members[ub].count, ub)
                    })
                else { continue }
                let u = assigned[donor].remove(at: pick)
                assigned[needy].append(u)
                sizes[donor] -= units.members[u].count
                sizes[needy] += units.members[u].count
                moved = true
                break
            }
            if !moved {
                throw .impossibleSplit(
                    reason: "cannot give every hospital \(minimum) samples with groups this large; "
                        + "use fewer hospitals or a smaller minimum")
            }
        }
    }

    /// A draw from the symmetric Dirichlet(alpha) over `count` parts (normalised Gamma(alpha) draws).
    static func dirichlet(alpha: Double, count: Int, rng: inout SeededGenerator) -> [Double] {
        var draws = (0..<count).map { _ in gamma(shape: alpha, rng: &rng) }
        var sum = draws.reduce(0, +)
        if !(sum > 0) {
            // Every draw underflowed (tiny alpha): all mass on one part, chosen at random.
            draws = [Double](repeating: 0, count: count)
            draws[Int(uniform(&rng) * Double(count)) % count] = 1
            sum = 1
        }
        return draws.map { $0 / sum }
    }

    /// A Gamma(shape, 1) draw: Marsaglia and Tsang's method, boosted by U^(1/shape) for shape below 1.
    static func gamma(shape: Double, rng: inout SeededGenerator) -> Double {
        if shape < 1 {
            return gamma(shape: shape + 1, rng: &rng) * pow(uniform(&rng), 1 / shape)
        }
        let d = shape - 1.0 / 3
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat {
                x = normal(&rng)
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = uniform(&rng)
            if u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)) {
                return d * v
            }
        }
    }

    /// A uniform Double in (0, 1) with 53 random bits.
    static func uniform(_ rng: inout SeededGenerator) -> Double {
        (Double(rng.next() >> 11) + 0.5) * (1.0 / 9_007_199_254_740_992)
    }

    /// A standard normal Double (Box–Muller, one of the pair).
    static func normal(_ rng: inout SeededGenerator) -> Double {
        (-2 * log(uniform(&rng))).squareRoot() * cos(2 * .pi * uniform(&rng))
    }
}
