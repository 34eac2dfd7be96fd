import GrowdaTensor

/// Holding out a validation set: stratified by class, optionally keeping groups (patients) on one side.
public enum TrainValidationSplit {
    /// Sample indices for training and validation (each ascending, together every sample once).
    ///
    /// Per class, about `validationFraction` of the samples go to validation (rounded to nearest; at least one
    /// when the class has two or more samples and the fraction is positive). With `groups`, whole groups move:
    /// each group counts under its most common class and goes to validation while that brings the class's
    /// validation count closer to its target, so no group is on both sides.
    public static func split(
        labels: [Int32], groups: [String]? = nil, validationFraction: Double, seed: UInt64
    ) throws(DatasetError) -> (train: [Int], validation: [Int]) {
        guard validationFraction >= 0 && validationFraction < 1 else {
            throw .impossibleSplit(reason: "the validation fraction must be in [0, 1), got \(validationFraction)")
        }
        let units = try SplitUnits(labels: labels, groups: groups)
        var rng = SeededGenerator(seed: seed)
        var train = [Int](), validation = [Int]()
        for classUnits in units.shuffledByClass(&rng) {
            let classTotal = classUnits.reduce(0) { $0 + units.members[$1].count }
            var target = Int((Double(classTotal) * validationFraction).rounded())
            if validationFraction > 0 && classTotal >= 2 { target = max(target, 1) }
            var taken = 0
            for u in classUnits {
                let size = units.members[u].count
                if abs(taken + size - target) < abs(taken - target) {
                    validation.append(u)
                    taken += size
                } else {
                    train.append(u)
                }
            }
        }
        return (units.samples(of: train), units.samples(of: validation))
    }

    /// `count` folds for cross-validation (each ascending, together every sample once), stratified by class and,
    /// with `groups`, keeping each group (patient, record) in one fold. Each class's units, in a random order
    /// drawn from `seed`, go one by one to the fold holding the fewest samples of that class so far (then the
    /// fewest in all), so folds get about equal shares of every class.
    public static func folds(
        labels: [Int32], groups: [String]? = nil, count: Int, seed: UInt64
    ) throws(DatasetError) -> [[Int]] {
        guard count >= 2 else { throw .impossibleSplit(reason: "cross-validation needs at least 2 folds, got \(count)") }
        let units = try SplitUnits(labels: labels, groups: groups)
        guard units.members.count >= count else {
            throw .impossibleSplit(
                reason: "\(units.members.count) \(groups == nil ? "samples" : "patients or records") cannot fill "
                    + "\(count) folds; use fewer folds")
        }
        var rng = SeededGenerator(seed: seed)
        var folds = [[Int]](repeating: [], count: count)
        var sizes = [Int](repeating: 0, count: count)
        for classUnits in units.shuffledByClass(&rng) {
            var classSizes = [Int](repeating: 0, count: count)
            for u in classUnits {
                let f = (0..<count).min { (classSizes[$0], sizes[$0], $0) < (classSizes[$1], sizes[$1], $1) }!
                folds[f].append(u)
                classSizes[f] += units.members[u].count
                sizes[f] += units.members[u].count
            }
        }
        return folds.map { units.samples(of: $0) }
    }

    /// Training and validation indices into `dataset`; with `keepGroupsTogether`, by its groups.
    public static func split(
        _ dataset: Dataset, validationFraction: Double, seed: UInt64, keepGroupsTogether: Bool = false
    ) throws(DatasetError) -> (train: [Int], validation: [Int]) {
        try split(
            labels: dataset.labels, groups: keepGroupsTogether ? dataset.groups : nil,
            validationFraction: validationFraction, seed: seed)
    }

    /// Training and validation indices into `catalog.entries`; with `keepGroupsTogether`, entries sharing a
    /// group (e.g. a manifest's patient id) stay on one side.
    public static func split(
        _ catalog: ImageCatalog, validationFraction: Double, seed: UInt64, keepGroupsTogether: Bool = false
    ) throws(DatasetError) -> (train: [Int], validation: [Int]) {
        let groups = keepGroupsTogether ? catalog.entries.enumerated().map { $1.group ?? "#\($0)" } : nil
        return try split(labels: catalog.labels, groups: groups, validationFraction: validationFraction, seed: seed)
    }
}
