import Foundation
import Testing

@testable import GrowdaNN

@Suite("Loss, optimizers and metrics on hand-computed values")
struct LossAndOptimizerTests {
    /// Finite differences of the weighted loss against its analytic gradient, in Double.
    @Test func lossGradientMatchesFiniteDifferences() {
        let loss = SoftmaxCrossEntropy(classWeights: [1, 2, 0.5])
        var logits: [Float] = [0.2, -1.0, 0.7, 1.5, 0.1, -0.3]
        let labels: [Int32] = [2, 1]
        let total = loss.totalWeight(labels)
        func value() -> Double {
            var d = [Float](repeating: 0, count: 6)
            return loss.lossAndGradient(
                logits: logits, labels: labels, batch: 2, classes: 3, totalWeight: total, dLogits: &d
            )
            .weightedLoss / Double(total)
        }
        var grad = [Float](repeating: 0, count: 6)
        _ = loss.lossAndGradient(
            logits: logits, labels: labels, batch: 2, classes: 3, totalWeight: total, dLogits: &grad)
        var maxDiff = 0.0
        for i in 0..<6 {
            let saved = logits[i]
            logits[i] = saved + 1e-2; let lp = value()
            logits[i] = saved - 1e-2; let lm = value()
            logits[i] = saved
            maxDiff = max(maxDiff, abs((lp - lm) / 2e-2 - Double(grad[i])))
        }
        print("softmax cross-entropy: max |diff| = \(maxDiff)")
        #expect(maxDiff < 1e-4)
    }

    /// Loss of uniform logits is log K.
    @Test func uniformLogits() {
        var d = [Float](repeating: 0, count: 4)
        let r = SoftmaxCrossEntropy().lossAndGradient(
            logits: [0, 0, 0, 0], labels: [3], batch: 1, classes: 4, totalWeight: 1, dLogits: &d)
        #expect(abs(r.weightedLoss - log(4.0)) < 1e-6)
        #expect(d == [0.25, 0.25, 0.25, -0.75])
    }

    @Test func balancedWeights() {
        #expect(SoftmaxCrossEntropy.balancedWeights(classCounts: [30, 10]) == [40.0 / 60, 40.0 / 20])
    }

    /// SGD with momentum 0.5 and weight decay 0.1, two steps by hand:
    /// p=1, g=1: v = 1 + 0.1 = 1.1, p = 1 − 0.1·1.1 = 0.89;
    /// g=1: v = 0.5·1.1 + 1 + 0.089 = 1.639, p = 0.89 − 0.1639 = 0.7261.
    @Test func sgdMomentumByHand() {
        let opt = Optimizer(.sgd(learningRate: 0.1, momentum: 0.5, weightDecay: 0.1), count: 1)
        var p: [Float] = [1]
        opt.update(&p, grads: [1], count: 1)
        #expect(abs(p[0] - 0.89) < 1e-6)
        opt.update(&p, grads: [1], count: 1)
        #expect(abs(p[0] - 0.7261) < 1e-6)
    }

    /// Adam's first step moves each parameter by ≈ lr · sign(g), whatever |g|.
    @Test func adamFirstStep() {
        let opt = Optimizer(.adam(learningRate: 0.01), count: 3)
        var p: [Float] = [0, 0, 0]
        opt.update(&p, grads: [5, -0.001, 0], count: 3)
        #expect(abs(p[0] + 0.01) < 1e-5 && abs(p[1] - 0.01) < 1e-4 && p[2] == 0)
    }

    /// AUC from ranks with a tie: scores 0.1(−) 0.4(+) 0.4(−) 0.8(+) → pairs (+ above −): 0.4>0.1,
    /// 0.4=0.4 (½), 0.8>0.1, 0.8>0.4 → 3.5 / 4.
    @Test func aucWithTies() {
        #expect(
            ClassificationMetrics.rocAUC(scores: [0.1, 0.4, 0.4, 0.8], positive: [false, true, false, true]) == 0.875)
        #expect(ClassificationMetrics.rocAUC(scores: [0.1, 0.2], positive: [true, true]) == nil)
    }

    @Test func metricsByHand() {
        // Three classes, four samples: predictions 0, 1, 1, 2 for labels 0, 1, 2, 2.
        let probs: [Float] = [0.8, 0.1, 0.1, 0.1, 0.7, 0.2, 0.2, 0.5, 0.3, 0.1, 0.2, 0.7]
        let m = ClassificationMetrics(probabilities: probs, labels: [0, 1, 2, 2], classes: ["a", "b", "c"])
        #expect(m.accuracy == 0.75)
        #expect(m.confusion == [[1, 0, 0], [0, 1, 0], [0, 1, 1]])
        #expect(m.perClass[2].sensitivity == 0.5)
        #expect(abs(m.perClass[1].specificity - 2.0 / 3) < 1e-12)
        // +P = TP / (TP + FP): class b is predicted for samples 1 (a b) and 2 (a c), class c only for sample 3.
        #expect(m.perClass.map(\.ppv) == [1, 0.5, 1])
        #expect(abs(m.balancedAccuracy - (1 + 1 + 0.5) / 3) < 1e-12)
        #expect(m.auc != nil)
    }

    /// Cross-entropy of the labels' probabilities: labels 0, 1, 2, 2 have p 0.8, 0.7, 0.3, 0.7 →
    /// −(ln 0.8 + ln 0.7 + ln 0.3 + ln 0.7) / 4 ≈ 0.53512; a zero probability costs −ln ε, not infinity.
    @Test func crossEntropyByHand() throws {
        let probs: [Float] = [0.8, 0.1, 0.1, 0.1, 0.7, 0.2, 0.2, 0.5, 0.3, 0.1, 0.2, 0.7]
        let loss = try #require(
            ClassificationMetrics.crossEntropy(probabilities: probs, labels: [0, 1, 2, 2], classes: 3))
        #expect(abs(loss - 0.535_12) < 1e-5, "\(loss)")
        let certain = ClassificationMetrics.crossEntropy(probabilities: [1, 0], labels: [1], classes: 2)
        #expect(certain.map { abs($0 - Double(-log(Float.ulpOfOne))) < 1e-9 } == true)
        #expect(ClassificationMetrics.crossEntropy(probabilities: [], labels: [], classes: 2) == nil)
        #expect(ClassificationMetrics.crossEntropy(probabilities: [.nan, .nan], labels: [0], classes: 2) == nil)
    }

    @Test func thresholdMaximisesBalancedAccuracy() {
        // p1 for negatives 0.1, 0.2, 0.3; positives 0.25, 0.6: best cut keeps 0.25 positive → threshold 0.25
        // gives sens 1, spec 2/3 (0.833), better than 0.6 (sens 0.5, spec 1 → 0.75).
        let p1: [Float] = [0.1, 0.2, 0.3, 0.25, 0.6]
        let probs = p1.flatMap { [1 - $0, $0] }
        #expect(ThresholdRule.youden.threshold(probabilities: probs, labels: [0, 0, 0, 1, 1]) == 0.25)
    }
}
