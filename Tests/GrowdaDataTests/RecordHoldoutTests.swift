import Testing

@testable import GrowdaData

/// Holding out whole records, stratified by every class inside them.
@Suite struct RecordHoldoutTests {
    /// The N/V beats of the 21 MIT-BIH DS1 records in mitbih-pvc's train.csv (its SOURCE.md).
    static let ds1: [(record: String, normal: Int, pvc: Int)] = [
        ("101", 1859, 0), ("106", 1507, 520), ("108", 1739, 17), ("109", 2491, 38), ("112", 2537, 0),
        ("114", 1820, 43), ("115", 1952, 0), ("116", 2301, 109), ("118", 2165, 16), ("119", 1543, 444),
        ("122", 2475, 0), ("124", 1536, 47), ("203", 2529, 444), ("205", 2571, 71), ("207", 1542, 105),
        ("208", 1585, 992), ("209", 2621, 1), ("215", 3195, 164), ("220", 1952, 0), ("223", 2045, 473),
        ("230", 2254, 1),
    ]

    static func labelsAndGroups() -> (labels: [Int32], groups: [String]) {
        var labels = [Int32](), groups = [String]()
        for r in ds1 {
            labels += [Int32](repeating: 0, count: r.normal) + [Int32](repeating: 1, count: r.pvc)
            groups += [String](repeating: r.record, count: r.normal + r.pvc)
        }
        return (labels, groups)
    }

    @Test func recordsStayWholeAndBothClassesAreHeldOutNearTheFraction() throws {
        let (labels, groups) = Self.labelsAndGroups()
        for seed: UInt64 in [1, 2, 3] {
            let (train, holdout) = try TrainValidationSplit.splitGroups(
                labels: labels, groups: groups, fraction: 0.25, seed: seed)
            #expect(train.count + holdout.count == labels.count)
            let trainRecords = Set(train.map { groups[$0] }), heldRecords = Set(holdout.map { groups[$0] })
            #expect(trainRecords.isDisjoint(with: heldRecords), "seed \(seed)")
            #expect(trainRecords.count + heldRecords.count == 21)
            let heldPVC = Double(holdout.filter { labels[$0] == 1 }.count) / 3485
            let heldNormal = Double(holdout.filter { labels[$0] == 0 }.count) / 44219
            #expect(abs(heldPVC - 0.25) < 0.03, "seed \(seed): \(heldPVC) of the PVCs held out")
            #expect(abs(heldNormal - 0.25) < 0.03, "seed \(seed): \(heldNormal) of the normal beats held out")
        }
    }

    @Test func theSplitIsFixedBySeed() throws {
        let (labels, groups) = Self.labelsAndGroups()
        let a = try TrainValidationSplit.splitGroups(labels: labels, groups: groups, fraction: 0.25, seed: 7)
        let b = try TrainValidationSplit.splitGroups(labels: labels, groups: groups, fraction: 0.25, seed: 7)
        #expect(a.train == b.train && a.holdout == b.holdout)
    }

    @Test func twoGroupsGiveOneToEachSide() throws {
        let (train, holdout) = try TrainValidationSplit.splitGroups(
            labels: [0, 0, 1, 0, 0], groups: ["a", "a", "a", "b", "b"], fraction: 0.01, seed: 1)
        #expect(!train.isEmpty && !holdout.isEmpty)
        #expect(Set(train.map { ["a", "a", "a", "b", "b"][$0] }).count == 1)
        #expect(throws: DatasetError.self) {
            try TrainValidationSplit.splitGroups(labels: [0, 1], groups: ["a", "b"], fraction: 1, seed: 1)
        }
    }

    @Test func aSingleGroupStaysInTrainingForNodeValidation() throws {
        // What a hospital with one record gets from the validation split: all of it in training.
        let (train, validation) = try TrainValidationSplit.split(
            labels: [0, 0, 0, 1, 0, 0, 0, 0, 0, 0], groups: [String](repeating: "119", count: 10),
            validationFraction: 0.2, seed: 1)
        #expect(train.count == 10 && validation.isEmpty)
    }
}
