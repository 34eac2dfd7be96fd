import Testing

@testable import GrowdaNN

/// The AUC of each pair of classes on its own samples (bacterial vs viral pneumonia is such a pair).
@Suite struct PairwiseAUCTests {
    @Test func eachPairIsScoredOnItsOwnSamples() throws {
        // Classes a, b, c. The a/b pair is told apart perfectly; b/c is reversed (every c looks more like b).
        let probabilities: [Float] = [
            0.8, 0.1, 0.1,  // a
            0.7, 0.2, 0.1,  // a
            0.1, 0.6, 0.3,  // b
            0.2, 0.7, 0.1,  // b
            0.1, 0.8, 0.1,  // c (b/(b+c) high: looks like b)
            0.1, 0.85, 0.05,  // c
        ]
        let m = ClassificationMetrics(probabilities: probabilities, labels: [0, 0, 1, 1, 2, 2], classes: ["a", "b", "c"])
        #expect(m.pairwise.map(\.classes) == [["a", "b"], ["a", "c"], ["b", "c"]])
        #expect(m.pairwise[0].auc == 1)
        #expect(m.pairwise[2].auc == 0)
        // Two classes: the headline AUC is that pair already.
        #expect(ClassificationMetrics(probabilities: [0.9, 0.1, 0.2, 0.8], labels: [0, 1], classes: ["x", "y"]).pairwise.isEmpty)
        // A pair with a class absent has no AUC.
        let absent = ClassificationMetrics(probabilities: [0.5, 0.3, 0.2], labels: [0], classes: ["a", "b", "c"])
        #expect(absent.pairwise.allSatisfy { $0.auc == nil })
    }
}
