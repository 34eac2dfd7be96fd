import Foundation

/// Probability calibration: how far predicted confidences are from observed accuracy (expected
/// calibration error), and temperature scaling, the one-parameter fix fitted on validation data
/// (Guo et al. 2017, "On calibration of modern neural networks").
///
/// Temperature scaling divides every logit by T > 0 before the softmax. It never changes the arg-max
/// (nor AUC, nor any ranking), only how sure the probabilities sound: T > 1 softens an over-confident
/// model. A model keeps its T in `Model.temperature`, and checkpoints store it.
public enum Calibration {
    /// The default number of equal-width confidence bins of the expected calibration error.
    public static let defaultBins = 15

    /// The top-label expected calibration error: samples are binned by their highest probability (the
    /// confidence) into `bins` equal-width bins of (0, 1]; ECE = Σ_b (n_b / N) · |accuracy_b − confidence_b|.
    /// 0 is perfectly calibrated; nil without samples. `probabilities` is (count × classes), row-major.
    public static func expectedCalibrationError(
        probabilities: [Float], labels: [Int32], classes k: Int, bins: Int = defaultBins
    ) -> Double? {
        let n = labels.count
        precondition(probabilities.count == n * k, "probabilities do not match \(n) labels × \(k) classes")
        precondition(bins >= 1, "ECE needs at least one bin")
        guard n > 0 else { return nil }
        var count = [Int](repeating: 0, count: bins)
        var correct = [Int](repeating: 0, count: bins)
        var confidence = [Double](repeating: 0, count: bins)
        for i in 0..<n {
            var best = 0
            for j in 1..<k where probabilities[i * k + j] > probabilities[i * k + best] { best = j }
            let p = Double(probabilities[i * k + best])
            let b = min(bins - 1, max(0, Int((p * Double(bins)).rounded(.up)) - 1))
            count[b] += 1
            confidence[b] += p
            if Int(labels[i]) == best { correct[b] += 1 }
        }
        var ece = 0.0
        for b in 0..<bins where count[b] > 0 {
            let m = Double(count[b])
            ece += m / Double(n) * abs(Double(correct[b]) / m - confidence[b] / m)
        }
        return ece
    }

    /// The mean negative log-likelihood of softmax(z / T) at the labels; logits are (count × classes).
    public static func negativeLogLikelihood(
        logits: [Float], labels: [Int32], classes k: Int, temperature: Float
    ) -> Double {
        let n = labels.count
        precondition(logits.count == n * k, "logits do not match \(n) labels × \(k) classes")
        guard n > 0 else { return 0 }
        let beta = 1 / Double(temperature)
        var sum = 0.0
        for i in 0..<n {
            var zmax = -Double.infinity
            for j in 0..<k { zmax = max(zmax, beta * Double(logits[i * k + j])) }
            var s = 0.0
            for j in 0..<k { s += exp(beta * Double(logits[i * k + j]) - zmax) }
            sum += zmax + log(s) - beta * Double(logits[i * k + Int(labels[i])])
        }
        return sum / Double(n)
    }

    /// The temperatures `fitTemperature` searches: T in [1/20, 20].
    public static let temperatureRange: ClosedRange<Float> = 0.05...20

    /// The temperature T that minimises the mean negative log-likelihood of softmax(z / T) on these logits
    /// and labels (count × classes): fit it on validation data, never on the data a figure is reported on.
    /// The NLL is convex in β = 1/T, so a golden-section search over β finds the minimum; the answer lies in
    /// `temperatureRange`. 1 without samples.
    public static func fitTemperature(logits: [Float], labels: [Int32], classes k: Int) -> Float {
        guard !labels.isEmpty else { return 1 }
        func loss(_ beta: Double) -> Double {
            negativeLogLikelihood(logits: logits, labels: labels, classes: k, temperature: Float(1 / beta))
        }
        let ratio = (5.0.squareRoot() - 1) / 2
        var lo = 1 / Double(temperatureRange.upperBound), hi = 1 / Double(temperatureRange.lowerBound)
        var a = hi - ratio * (hi - lo), b = lo + ratio * (hi - lo)
        var fa = loss(a), fb = loss(b)
        for _ in 0..<60 {
            if fa < fb {
                hi = b
                b = a
                fb = fa
                a = hi - ratio * (hi - lo)
                fa = loss(a)
            } else {
                lo = a
                a = b
                fa = fb
                b = lo + ratio * (hi - lo)
                fb = loss(b)
            }
        }
        let beta = (lo + hi) / 2
        return min(max(Float(1 / beta), temperatureRange.lowerBound), temperatureRange.upperBound)
    }

    /// softmax(z / T) of each row of logits, (count × classes) -> (count × classes).
    public static func probabilities(logits: [Float], classes k: Int, temperature: Float) -> [Float] {
        precondition(k > 0 && logits.count % k == 0, "logits are not rows of \(k) classes")
        var p = [Float](repeating: 0, count: logits.count)
        logits.withUnsafeBufferPointer { z in
            p.withUnsafeMutableBufferPointer { q in
                SoftmaxCrossEntropy.softmax(
                    z.baseAddress!, batch: logits.count / k, classes: k, into: q.baseAddress!, temperature: temperature)
            }
        }
        return p
    }
}
