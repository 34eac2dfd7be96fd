import Foundation

/// How well predicted probabilities match labels: accuracy, balanced accuracy, per-class sensitivity,
/// specificity and positive predictive value, ROC AUC (binary, or one-vs-rest macro average over classes) and the confusion matrix.
public struct ClassificationMetrics: Sendable, Codable, Equatable {
    /// Figures for one class, treating it as positive and the rest as negative.
    public struct PerClass: Sendable, Codable, Equatable {
        /// The class name.
        public var name: String
        /// Samples of this class.
        public var support: Int
        /// True-positive rate (recall): TP / (TP + FN).
        public var sensitivity: Double
        /// True-negative rate: TN / (TN + FP).
        public var specificity: Double
        /// Positive predictive value (precision, +P): TP / (TP + FP); 0 when the class is never predicted.
        public var ppv: Double
        /// One-vs-rest ROC AUC of this class's probability (nil when the class or its complement is absent).
        public var auc: Double?
    }

    /// Samples scored.
    public var count: Int
    /// Fraction predicted right (arg-max of the probabilities).
    public var accuracy: Double
    /// Mean sensitivity over classes present.
    public var balancedAccuracy: Double
    /// ROC AUC: of the positive (second) class for two classes; else the macro mean of one-vs-rest AUCs.
    public var auc: Double?
    /// Per-class figures, in class order.
    public var perClass: [PerClass]
    /// confusion[true][predicted].
    public var confusion: [[Int]]
    /// For three or more classes: the AUC of each pair of classes on its own (see `PairAUC`).
    public var pairwise: [PairAUC]

    /// How well two classes are told apart, on the samples of those two only: the AUC of
    /// p(second) / (p(first) + p(second)) with the second as positive (as Hand and Till's multi-class AUC
    /// averages them), e.g. bacterial vs viral pneumonia.
    public struct PairAUC: Sendable, Codable, Equatable {
        /// The two class names, the second the positive one.
        public var classes: [String]
        /// Nil when either class has no sample.
        public var auc: Double?
    }

    /// Scores `probabilities` (count × classes, row-major) against `labels`.
    /// When `threshold` is given (two classes only), class 1 is predicted when p₁ ≥ threshold.
    public init(probabilities: [Float], labels: [Int32], classes: [String], threshold: Float? = nil) {
        let k = classes.count, n = labels.count
        precondition(probabilities.count == n * k, "probabilities do not match \(n) labels × \(k) classes")
        var confusion = Array(repeating: Array(repeating: 0, count: k), count: k)
        for i in 0..<n {
            let row = probabilities[(i * k)..<((i + 1) * k)]
            var pred = row.indices.max { row[$0] < row[$1] }! - i * k
            if let threshold, k == 2 { pred = row[i * k + 1] >= threshold ? 1 : 0 }
            confusion[Int(labels[i])][pred] += 1
        }
        var perClass: [PerClass] = []
        for c in 0..<k {
            let tp = confusion[c][c]
            let fn = confusion[c].reduce(0, +) - tp
            let fp = (0..<k).reduce(0) { $0 + ($1 == c ? 0 : confusion[$1][c]) }
            let tn = n - tp - fn - fp
            let scores = (0..<n).map { probabilities[$0 * k + c] }
            let positive = labels.map { Int($0) == c }
            perClass.append(
                PerClass(
                    name: classes[c], support: tp + fn,
                    sensitivity: tp + fn > 0 ? Double(tp) / Double(tp + fn) : 0,
                    specificity: tn + fp > 0 ? Double(tn) / Double(tn + fp) : 0,
                    ppv: tp + fp > 0 ? Double(tp) / Double(tp + fp) : 0,
                    auc: ClassificationMetrics.rocAUC(scores: scores, positive: positive)))
        }
        count = n
        accuracy = n > 0 ? Double((0..<k).reduce(0) { $0 + confusion[$1][$1] }) / Double(n) : 0
        let present = perClass.filter { $0.support > 0 }
        balancedAccuracy = present.isEmpty ? 0 : present.reduce(0) { $0 + $1.sensitivity } / Double(present.count)
        if k == 2 {
            auc = perClass[1].auc
        } else {
            let aucs = perClass.compactMap(\.auc)
            auc = aucs.isEmpty ? nil : aucs.reduce(0, +) / Double(aucs.count)
        }
        self.perClass = perClass
        self.confusion = confusion
        var pairs: [PairAUC] = []
        if k >= 3 {
            for a in 0..<k {
                for b in (a + 1)..<k {
                    let members = (0..<n).filter { labels[$0] == Int32(a) || labels[$0] == Int32(b) }
                    let scores = members.map { i -> Float in
                        let pa = probabilities[i * k + a], pb = probabilities[i * k + b]
                        return pa + pb > 0 ? pb / (pa + pb) : 0.5
                    }
                    pairs.append(
                        PairAUC(
                            classes: [classes[a], classes[b]],
                            auc: ClassificationMetrics.rocAUC(
                                scores: scores, positive: members.map { labels[$0] == Int32(b) })))
                }
            }
        }
        pairwise = pairs
    }

    /// The area under the ROC curve: the probability that a random positive scores above a random
    /// negative, ties counting half (the Mann–Whitney statistic, from ranks). Nil without both kinds.
    public static func rocAUC(scores: [Float], positive: [Bool]) -> Double? {
        let pos = positive.filter { $0 }.count, neg = positive.count - pos
        guard pos > 0, neg > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSumPositive = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let averageRank = Double(i + j) / 2 + 1  // ranks are 1-based
            for t in i...j where positive[order[t]] { rankSumPositive += averageRank }
            i = j + 1
        }
        return (rankSumPositive - Double(pos) * Double(pos + 1) / 2) / (Double(pos) * Double(neg))
    }

    /// The mean cross-entropy of `probabilities` (count × classes, row-major) against `labels`:
    /// (1/N) Σᵢ −log max(pᵢ,yᵢ, ε) with ε = `Float.ulpOfOne` (about 1.2e-7, so a confident mistake costs
    /// about 15.9, not infinity). Nil without samples, or when a probability is not a number.
    public static func crossEntropy(probabilities: [Float], labels: [Int32], classes k: Int) -> Double? {
        let n = labels.count
        precondition(probabilities.count == n * k, "probabilities do not match \(n) labels × \(k) classes")
        guard n > 0 else { return nil }
        var sum = 0.0
        for i in 0..<n {
            let p = probabilities[i * k + Int(labels[i])]
            guard !p.isNaN else { return nil }
            sum -= Double(log(max(p, Float.ulpOfOne)))
        }
        return sum / Double(n)
    }
}
