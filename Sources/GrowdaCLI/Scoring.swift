import GrowdaData
import GrowdaNN

/// How commands turn a model and labelled data into probabilities and the figures scored on them
/// (calibration, the decision threshold), so `train`, `eval` and cross-validation report the same way.
enum Scoring {
    /// The model's logits for every sample of `data`, once per view: the data as they are, or with `tta`
    /// each of `TestTimeView.views(of:)`.
    static func logitViews(_ predictor: Predictor, _ data: Dataset, tta: Bool) -> [[Float]] {
        tta ? TestTimeView.views(of: data).map { predictor.logits($0) } : [predictor.logits(data)]
    }

    /// The mean over views of softmax(z / T), (count × classes).
    static func probabilities(_ views: [[Float]], classes k: Int, temperature: Float) -> [Float] {
        var mean = Calibration.probabilities(logits: views[0], classes: k, temperature: temperature)
        guard views.count > 1 else { return mean }
        for view in views.dropFirst() {
            let p = Calibration.probabilities(logits: view, classes: k, temperature: temperature)
            for i in mean.indices { mean[i] += p[i] }
        }
        let scale = 1 / Float(views.count)
        for i in mean.indices { mean[i] *= scale }
        return mean
    }

    /// Scores `views` of `labels` at temperature `temperature` and, for two classes, `threshold`; the report
    /// carries the ECE at that temperature and, when it is not 1, at T = 1 too.
    static func report(
        _ views: [[Float]], labels: [Int32], classes: [String], temperature: Float, threshold: Float?
    ) -> EvalReport {
        let k = classes.count
        let probabilities = probabilities(views, classes: k, temperature: temperature)
        var report = EvalReport(
            ClassificationMetrics(probabilities: probabilities, labels: labels, classes: classes, threshold: threshold),
            threshold: threshold)
        report.temperature = temperature
        report.ece = Calibration.expectedCalibrationError(probabilities: probabilities, labels: labels, classes: k)
        if temperature != 1 {
            report.ece_uncalibrated = Calibration.expectedCalibrationError(
                probabilities: Scoring.probabilities(views, classes: k, temperature: 1), labels: labels, classes: k)
        }
        return report
    }

    /// What validation decides for a checkpoint: the temperature fitted on `logits` and, for two classes, the
    /// threshold `rule` picks on the calibrated probabilities; with the validation figures at both.
    static func calibrate(
        logits: [Float], labels: [Int32], classes: [String], rule: ThresholdRule
    ) -> (temperature: Float, threshold: Float?, report: EvalReport) {
        let k = classes.count
        let temperature = Calibration.fitTemperature(logits: logits, labels: labels, classes: k)
        let probabilities = Calibration.probabilities(logits: logits, classes: k, temperature: temperature)
        let threshold = k == 2 ? rule.threshold(probabilities: probabilities, labels: labels) : nil
        var report = report([logits], labels: labels, classes: classes, temperature: temperature, threshold: threshold)
        report.chosen_threshold = threshold
        report.threshold_rule = k == 2 ? rule.description : nil
        return (temperature, threshold, report)
    }
}
