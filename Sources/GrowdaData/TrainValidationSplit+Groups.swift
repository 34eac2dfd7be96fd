import GrowdaTensor

extension TrainValidationSplit {
    /// Sample indices for training and hold-out (each ascending) moving whole groups (records, patients), chosen
    /// so that every class's held-out share is as near `fraction` as the groups allow.
    ///
    /// Unlike ``split(labels:groups:validationFraction:seed:)``, which files each group under its most common
    /// class, this counts every class inside every group: MIT-BIH records are all mostly normal beats, yet their
    /// PVCs should be held out in proportion too. Each of up to 256 attempts (fixed by `seed`) visits the groups
    /// in a random order and holds one out when that brings the held-out class counts closer to their targets;
    /// the attempt nearest to the targets wins. With two or more groups, each side gets at least one.
    ///
    /// - Parameters:
    ///   - labels: each sample's class (0-based, no unlabelled samples).
    ///   - groups: each sample's group id.
    ///   - fraction: the share of each class to hold out, in (0, 1).
    public static func splitGroups(
        labels: [Int32], groups: [String], fraction: Double, seed: UInt64
    ) throws(DatasetError) -> (train: [Int], holdout: [Int]) {
        guard fraction > 0 && fraction < 1 else {
            throw .impossibleSplit(reason: "the hold-out fraction must be in (0, 1), got \(fraction)")
        }
        let units = try SplitUnits(labels: labels, groups: groups)
        let k = units.classCount
        let counts = units.members.map { members in
            var c = [Int](repeating: 0, count: k)
            for i in members { c[Int(labels[i])] += 1 }
            return c
        }
        var totals = [Int](repeating: 0, count: k)
        for c in counts { for j in 0..<k { totals[j] += c[j] } }
        let targets = totals.map { Double($0) * fraction }
        /// Squared relative distance of held-out class counts from their targets.
        func cost(_ taken: [Int]) -> Double {
            (0..<k).reduce(0) { sum, j in
                let d = (Double(taken[j]) - targets[j]) / max(targets[j], 1)
                return sum + d * d
            }
        }
        var rng = SeededGenerator(seed: seed)
        var best: (cost: Double, held: [Int])?
        let attempts = max(1, min(256, 4_000_000 / max(1, units.members.count * k)))
        for _ in 0..<attempts {
            var order = Array(units.members.indices)
            order.shuffle(using: &rng)
            var taken = [Int](repeating: 0, count: k)
            var held = [Int]()
            for u in order {
                let with = zip(taken, counts[u]).map { $0 + $1 }
                if cost(with) < cost(taken) {
                    taken = with
                    held.append(u)
                }
            }
            if units.members.count >= 2 && held.isEmpty {
                // Hold out the group that lands nearest the targets.
                let u = order.min { cost(counts[$0]) < cost(counts[$1]) }!
                held = [u]
                taken = counts[u]
            } else if units.members.count >= 2 && held.count == units.members.count {
                // Keep in training the group whose return leaves the held-out counts nearest the targets.
                func without(_ u: Int) -> [Int] { zip(taken, counts[u]).map { $0 - $1 } }
                let u = held.min { cost(without($0)) < cost(without($1)) }!
                held.removeAll { $0 == u }
                taken = without(u)
            }
            let c = cost(taken)
            if best == nil || c < best!.cost { best = (c, held) }
        }
        let heldSet = Set(best!.held)
        let train = units.members.indices.filter { !heldSet.contains($0) }
        return (units.samples(of: train), units.samples(of: best!.held))
    }
}
