import Foundation

/// Softmax cross-entropy over logits, with optional per-class weights.
///
/// For a batch of N samples with labels yᵢ and class weights w (all 1 by default), the loss is
/// L = Σᵢ w_{yᵢ} · (−log softmax(zᵢ)_{yᵢ}) / Σᵢ w_{yᵢ}, PyTorch's weighted mean, so the batch is
/// normalised by its total weight even when split across workers.
///
/// With label smoothing ε the target of a sample of class y is (1 − ε)·onehot(y) + ε/K instead of
/// onehot(y), and its loss −Σⱼ targetⱼ·log pⱼ (Szegedy et al. 2016): the model is not pushed towards
/// probabilities of exactly 1, which generalises and calibrates better.
public struct SoftmaxCrossEntropy: Sendable {
    /// One weight per class, or nil for all ones.
    public var classWeights: [Float]?
    /// Label smoothing ε in [0, 1): the share of each target spread evenly over all classes.
    public var labelSmoothing: Float

    /// A loss with the given class weights and label smoothing.
    public init(classWeights: [Float]? = nil, labelSmoothing: Float = 0) {
        precondition(labelSmoothing >= 0 && labelSmoothing < 1, "label smoothing must be in [0, 1)")
        self.classWeights = classWeights
        self.labelSmoothing = labelSmoothing
    }

    /// The weight of a sample of class `label`.
    @inlinable public func weight(_ label: Int32) -> Float { classWeights?[Int(label)] ?? 1 }

    /// Σᵢ w_{yᵢ} over a batch's labels: the normaliser for the whole batch.
    public func totalWeight(_ labels: some Sequence<Int32>) -> Float {
        labels.reduce(0) { $0 + weight($1) }
    }

    /// What one worker's share of a batch contributed.
    public struct Result: Sendable {
        /// Σ w_{yᵢ} · (−Σⱼ targetᵢⱼ · log pᵢⱼ), not yet divided by the batch's total weight.
        public var weightedLoss: Double
        /// Samples whose arg-max logit is their label.
        public var correct: Int
    }

    /// Computes the loss terms for `batch` samples and writes ∂L/∂logits into `dLogits`
    /// (already divided by `totalWeight`, the whole batch's normaliser).
    /// logits: (batch, K), labels: (batch) -> dLogits: (batch, K).
    public func lossAndGradient(
        logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int, classes k: Int,
        totalWeight: Float, dLogits: UnsafeMutablePointer<Float>
    ) -> Result {
        var result = Result(weightedLoss: 0, correct: 0)
        let spread = labelSmoothing / Float(k), onTarget = 1 - labelSmoothing
        for n in 0..<batch {
            let z = logits + n * k, d = dLogits + n * k
            let label = Int(labels[n])
            var zmax = z[0], argmax = 0
            for j in 1..<k where z[j] > zmax { zmax = z[j]; argmax = j }
            var sum: Float = 0
            for j in 0..<k { d[j] = exp(z[j] - zmax); sum += d[j] }
            let w = weight(labels[n])
            let logSum = Double(log(sum))
            var crossEntropy = -(Double(z[label] - zmax) - logSum) * Double(onTarget)
            if spread > 0 {
                for j in 0..<k { crossEntropy -= Double(spread) * (Double(z[j] - zmax) - logSum) }
            }
            result.weightedLoss += Double(w) * crossEntropy
            if argmax == label { result.correct += 1 }
            let scale = w / totalWeight
            for j in 0..<k { d[j] = scale * (d[j] / sum - spread - (j == label ? onTarget : 0)) }
        }
        return result
    }

    /// Softmax probabilities of each row of logits divided by `temperature` (see `Calibration`),
    /// (batch, K) -> (batch, K).
    public static func softmax(
        _ logits: UnsafePointer<Float>, batch: Int, classes k: Int, into p: UnsafeMutablePointer<Float>,
        temperature: Float = 1
    ) {
        let beta = 1 / temperature
        for n in 0..<batch {
            let z = logits + n * k, q = p + n * k
            var zmax = z[0]
            for j in 1..<k { zmax = max(zmax, z[j]) }
            var sum: Float = 0
            for j in 0..<k { q[j] = exp((z[j] - zmax) * beta); sum += q[j] }
            for j in 0..<k { q[j] /= sum }
        }
    }

    /// Class weights inversely proportional to class frequency, normalised to average 1:
    /// w_c = N / (K · n_c) (classes with no samples get weight 0).
    public static func balancedWeights(classCounts: [Int]) -> [Float] {
        let total = classCounts.reduce(0, +)
        let k = classCounts.count
        return classCounts.map { $0 == 0 ? 0 : Float(total) / Float(k * $0) }
    }
}
