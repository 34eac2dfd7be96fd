import GrowdaTensor
import Testing

@testable import GrowdaData

/// Cross-validation folds, test-time views and augmentation strength.
@Suite struct CrossValidationFoldTests {
    @Test func foldsKeepPatientsWholeAndClassesBalanced() throws {
        // 40 patients with 1–3 images each, two classes.
        var labels: [Int32] = [], groups: [String] = []
        for p in 0..<40 {
            for _ in 0..<(1 + p % 3) {
                labels.append(Int32(p % 2))
                groups.append("patient-\(p)")
            }
        }
        let folds = try TrainValidationSplit.folds(labels: labels, groups: groups, count: 4, seed: 5)
        #expect(folds.count == 4)
        #expect(folds.flatMap { $0 }.sorted() == Array(0..<labels.count))
        let patientFolds = Dictionary(grouping: folds.indices.flatMap { f in folds[f].map { (groups[$0], f) } }) { $0.0 }
        #expect(patientFolds.values.allSatisfy { Set($0.map(\.1)).count == 1 }, "a patient is in two folds")
        for f in folds {
            let positives = f.filter { labels[$0] == 1 }.count
            #expect(positives >= 4 && f.count - positives >= 4, "fold \(f.count) with \(positives) positives")
        }
        #expect(try TrainValidationSplit.folds(labels: labels, groups: groups, count: 4, seed: 5) == folds)
        #expect(throws: DatasetError.self) {
            try TrainValidationSplit.folds(labels: [0, 1, 0], groups: ["a", "a", "b"], count: 3, seed: 1)
        }
        #expect(throws: DatasetError.self) { try TrainValidationSplit.folds(labels: [0, 1], count: 1, seed: 1) }
    }

    @Test func testTimeViewsStartWithTheSamplesAsTheyAre() {
        let signal = Dataset(
            classNames: ["n", "v"], sampleShape: [1, 6], floats: [0, 1, 2, 3, 4, 5], labels: [1])
        let views = TestTimeView.views(of: signal)
        #expect(views.count == 5)
        func values(_ v: TestTimeView) -> [Float] {
            var x = Tensor(shape: [1, 1, 6]), y: [Int32] = []
            var rng = SeededGenerator(seed: 0)
            v.fillBatch(indices: [0][...], into: &x, labels: &y, rng: &rng)
            return Array(x.scalars.prefix(6))
        }
        #expect(values(views[0]) == [0, 1, 2, 3, 4, 5])
        #expect(values(views[1]) == [2, 3, 4, 5, 5, 5])  // moved two samples earlier, the last repeated
        #expect(values(views[2]) == [0, 0, 0, 1, 2, 3])

        let image = Dataset(
            classNames: ["a"], sampleShape: [1, 8, 8], bytes: (0..<64).map { UInt8($0 * 4) }, labels: [0])
        let imageViews = TestTimeView.views(of: image)
        var x = Tensor(shape: [1, 1, 8, 8]), y: [Int32] = []
        var rng = SeededGenerator(seed: 0)
        imageViews[0].fillBatch(indices: [0][...], into: &x, labels: &y, rng: &rng)
        #expect(Array(x.scalars.prefix(64)) == (0..<64).map { Float($0 * 4) / 255 })
        imageViews[4].fillBatch(indices: [0][...], into: &x, labels: &y, rng: &rng)
        #expect(Array(x.scalars.prefix(64)) != (0..<64).map { Float($0 * 4) / 255 })
    }

    @Test func augmentationStrengthScalesEveryRange() {
        let none = Augmenter.standard.scaled(by: 0)
        #expect(none.maxRotationDegrees == 0 && none.maxShift == 0 && none.maxBrightness == 0)
        #expect(none.zoomRange == 1...1 && none.contrastRange == 1...1)
        let strong = Augmenter.standard.scaled(by: 2)
        #expect(strong.maxRotationDegrees == 20 && abs(strong.maxShift - 0.16) < 1e-6)
        #expect(abs(strong.zoomRange.lowerBound - 0.8) < 1e-6 && abs(strong.zoomRange.upperBound - 1.2) < 1e-6)
    }
}
