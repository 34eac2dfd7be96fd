/// How a two-class model's decision threshold on p(class 1) is chosen from validation scores.
///
/// The point that maximises balanced accuracy on validation data (Youden's J) fits that sample's noise
/// and class balance; a rule stated by a principle moves less when either shifts:
/// - `equalError`: sensitivity = specificity (the equal error rate point), the default;
/// - `sensitivity(target)`: the highest threshold that still finds `target` of the positives (a
///   screening tool that must not miss more than 1 − target of the sick);
/// - `youden`: the validation-optimal point, max(sensitivity + specificity).
public enum ThresholdRule: Sendable, Equatable, CustomStringConvertible {
    case equalError
    case sensitivity(Double)
    case youden

    /// Parses "eer", "youden" or "sensitivity:0.95" (target in (0, 1]); nil otherwise.
    public init?(parsing text: String) {
        switch text {
        case "eer": self = .equalError
        case "youden": self = .youden
        default:
            let parts = text.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0] == "sensitivity", let t = Double(parts[1]), t > 0, t <= 1 else {
                return nil
            }
            self = .sensitivity(t)
        }
    }

    /// "eer", "youden" or "sensitivity:0.95", as parsed.
    public var description: String {
        switch self {
        case .equalError: return "eer"
        case .youden: return "youden"
        case .sensitivity(let t): return "sensitivity:\(t)"
        }
    }

    /// The threshold this rule chooses on two-class `probabilities` (count × 2, row-major) with `labels`:
    /// class 1 is predicted when p₁ ≥ the threshold. 0.5 when one class is absent.
    public func threshold(probabilities: [Float], labels: [Int32]) -> Float {
        let points = ThresholdRule.operatingPoints(probabilities: probabilities, labels: labels)
        guard let first = points.first else { return 0.5 }
        switch self {
        case .youden:
            return points.max { $0.sensitivity + $0.specificity < $1.sensitivity + $1.specificity }!.threshold
        case .equalError:
            // The point where the two rates cross; of equally close ones the better balanced.
            return points.min {
                let a = abs($0.sensitivity - $0.specificity), b = abs($1.sensitivity - $1.specificity)
                return a != b ? a < b : $0.sensitivity + $0.specificity > $1.sensitivity + $1.specificity
            }!.threshold
        case .sensitivity(let target):
            // Points run from the highest threshold down: the first to reach the target is the highest.
            return points.first { $0.sensitivity >= target - 1e-12 }?.threshold ?? first.threshold
        }
    }

    /// One candidate threshold and the rates it gives.
    struct OperatingPoint {
        var threshold: Float, sensitivity: Double, specificity: Double
    }

    /// Every distinct threshold worth considering, from "predict nothing positive" down to the lowest score.
    static func operatingPoints(probabilities: [Float], labels: [Int32]) -> [OperatingPoint] {
        let n = labels.count
        precondition(probabilities.count == 2 * n, "probabilities do not match \(n) labels × 2 classes")
        let p1 = (0..<n).map { probabilities[$0 * 2 + 1] }
        let pos = labels.filter { $0 == 1 }.count, neg = n - pos
        guard pos > 0, neg > 0 else { return [] }
        let order = p1.indices.sorted { p1[$0] > p1[$1] }
        var points = [OperatingPoint(threshold: p1[order[0]].nextUp, sensitivity: 0, specificity: 1)]
        var tp = 0, fp = 0, t = 0
        while t < n {
            let value = p1[order[t]]
            while t < n && p1[order[t]] == value {
                if labels[order[t]] == 1 { tp += 1 } else { fp += 1 }
                t += 1
            }
            points.append(
                OperatingPoint(
                    threshold: value, sensitivity: Double(tp) / Double(pos),
                    specificity: Double(neg - fp) / Double(neg)))
        }
        return points
    }
}
