import GrowdaTensor

/// What splits move around: single samples, or whole groups (e.g. a patient's images) labelled by their
/// most common class, so a group never lands on two sides.
struct SplitUnits {
    /// The sample indices of each unit, ascending.
    var members: [[Int]]
    /// Each unit's class (the most common label among its samples; ties go to the smaller label).
    var labels: [Int]
    /// The number of classes (labels are 0..<classCount).
    var classCount: Int

    /// Units over `labels`, one per sample, or one per distinct group when `groups` is given (in order of
    /// first appearance). Unlabelled samples (negative labels) are not allowed.
    init(labels sampleLabels: [Int32], groups: [String]?, classCount: Int? = nil) throws(DatasetError) {
        guard sampleLabels.allSatisfy({ $0 >= 0 }) else {
            throw .impossibleSplit(reason: "some samples have no label; splits need labelled data")
        }
        self.classCount = classCount ?? (Int(sampleLabels.max() ?? -1) + 1)
        if let groups {
            precondition(groups.count == sampleLabels.count, "one group per sample")
            var unitOf = [String: Int]()
            var members = [[Int]]()
            for (i, group) in groups.enumerated() {
                if let u = unitOf[group] {
                    members[u].append(i)
                } else {
                    unitOf[group] = members.count
                    members.append([i])
                }
            }
            self.members = members
            let count = self.classCount
            self.labels = members.map { indices in
                var votes = [Int](repeating: 0, count: count)
                for i in indices { votes[Int(sampleLabels[i])] += 1 }
                return votes.indices.max { votes[$0] < votes[$1] || (votes[$0] == votes[$1] && $0 > $1) }!
            }
        } else {
            self.members = sampleLabels.indices.map { [$0] }
            self.labels = sampleLabels.map { Int($0) }
        }
    }

    /// The number of samples.
    var sampleCount: Int { members.reduce(0) { $0 + $1.count } }

    /// For each class, its units in a random order drawn from `rng`.
    func shuffledByClass(_ rng: inout SeededGenerator) -> [[Int]] {
        var byClass = [[Int]](repeating: [], count: classCount)
        for (u, label) in labels.enumerated() { byClass[label].append(u) }
        for c in byClass.indices { byClass[c].shuffle(using: &rng) }
        return byClass
    }

    /// The sample indices of `units`, ascending.
    func samples(of units: [Int]) -> [Int] {
        units.flatMap { members[$0] }.sorted()
    }
}
