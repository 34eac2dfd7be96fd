import ArgumentParser
import Foundation
import GrowdaData
import GrowdaNN
import GrowdaSafetensors

/// The evaluation figures (JSON keys are part of the interface).
struct EvalReport: Codable {
    struct PerClass: Codable {
        var name: String
        var support: Int
        var sensitivity: Double
        var specificity: Double
        /// Positive predictive value (+P, precision): TP / (TP + FP).
        var ppv: Double
        var auc: Double?
    }
    var count: Int
    var accuracy: Double
    var balanced_accuracy: Double
    var auc: Double?
    var per_class: [PerClass]
    var confusion: [[Int]]
    /// Three or more classes: each pair's AUC on its own samples (e.g. bacterial vs viral).
    var pairwise_auc: [ClassificationMetrics.PairAUC]?
    /// For two classes: the decision threshold on p(class 1) used (nil: arg-max).
    var threshold: Float?
    /// For two classes, while training: the threshold `threshold_rule` chose on these data.
    var chosen_threshold: Float?
    /// The rule that chose the threshold (eer, youden, sensitivity:T), when known.
    var threshold_rule: String?
    /// The softmax temperature the probabilities were computed at (1: uncalibrated).
    var temperature: Float?
    /// Expected calibration error (15 equal-width confidence bins) of the probabilities scored.
    var ece: Double?
    /// The same at temperature 1, when the model's temperature is not 1: what calibration changed.
    var ece_uncalibrated: Double?
    /// Whether probabilities are averaged over test-time views (`--tta`).
    var tta: Bool?

    init(_ m: ClassificationMetrics, threshold: Float? = nil) {
        count = m.count
        accuracy = m.accuracy
        balanced_accuracy = m.balancedAccuracy
        auc = m.auc
        per_class = m.perClass.map {
            PerClass(
                name: $0.name, support: $0.support, sensitivity: $0.sensitivity, specificity: $0.specificity,
                ppv: $0.ppv, auc: $0.auc)
        }
        confusion = m.confusion
        pairwise_auc = m.pairwise.isEmpty ? nil : m.pairwise
        self.threshold = threshold
    }

    /// A readable block: headline figures, per-class table, confusion matrix.
    func text(classes: [String]) -> String {
        var lines = [
            "samples \(count)  accuracy \(fmt(accuracy))  balanced accuracy \(fmt(balanced_accuracy))  AUC \(fmt(auc))"
                + (threshold.map { "  (threshold \(fmt(Double($0), 3))\(threshold_rule.map { ", \($0)" } ?? ""))" } ?? "")
        ]
        if let ece {
            lines.append(
                "calibration: ECE \(fmt(ece)) at temperature \(fmt(Double(temperature ?? 1), 3))"
                    + (ece_uncalibrated.map { " (ECE \(fmt($0)) at temperature 1)" } ?? "")
                    + (tta == true ? "; probabilities averaged over 5 test-time views" : ""))
        }
        let width = max(10, (classes.map(\.count).max() ?? 0) + 2)
        lines.append(
            "class".padding(toLength: width, withPad: " ", startingAt: 0)
                + "support  sensitivity  specificity      +P  AUC")
        for c in per_class {
            lines.append(
                c.name.padding(toLength: width, withPad: " ", startingAt: 0)
                    + String(format: "%7d  %11.4f  %11.4f  %6.4f  ", c.support, c.sensitivity, c.specificity, c.ppv) + fmt(c.auc))
        }
        if let pairs = pairwise_auc {
            lines.append(
                "pairwise AUC: " + pairs.map { "\($0.classes.joined(separator: " vs ")) \(fmt($0.auc))" }.joined(separator: ", "))
        }
        lines.append("confusion (rows: true, columns: predicted)")
        lines.append(
            " ".padding(toLength: width, withPad: " ", startingAt: 0)
                + classes.map { $0.padding(toLength: width, withPad: " ", startingAt: 0) }.joined())
        for (i, row) in confusion.enumerated() {
            lines.append(
                classes[i].padding(toLength: width, withPad: " ", startingAt: 0)
                    + row.map { String($0).padding(toLength: width, withPad: " ", startingAt: 0) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}

/// `growda eval`: scores a checkpoint on a labelled folder.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score a checkpoint on labelled data: accuracy, balanced accuracy, per-class sensitivity, "
            + "specificity and +P (precision), ROC AUC, calibration (ECE), confusion matrix.",
        discussion: """
            Probabilities are computed at the checkpoint's softmax temperature (fitted on validation data by \
            growda train or growda model calibrate); the ECE at temperature 1 is shown beside it.
            """)

    @Option(help: "The checkpoint (.safetensors) to evaluate.")
    var model: String

    @Option(help: "Labelled data: a folder root/<class>/ of PNG or DICOM images, or a .csv of signals.")
    var data: String

    @Option(
        parsing: .unconditional,
        help: """
            Two classes only: 'auto' uses the threshold stored in the checkpoint (chosen on validation data), \
            'argmax' ignores it, or give a number in (0, 1).
            """)
    var threshold: String = "auto"

    @Flag(help: "Test-time augmentation: average the probabilities over 5 fixed views of each sample.")
    var tta = false

    @OptionGroup var threadOptions: ThreadOptions

    @Flag(help: "Print one JSON object (keys: accuracy, balanced_accuracy, auc, ece, per_class, confusion).")
    var json = false

    func validate() throws {
        if threshold != "auto" && threshold != "argmax" {
            guard let t = Float(threshold), t > 0, t < 1 else {
                throw ValidationError("--threshold must be auto, argmax or a number in (0, 1), got '\(threshold)'")
            }
        }
    }

    func run() async throws {
        let (report, classes) = try evaluate()
        if json { try Terminal.printJSON(report) } else { print(report.text(classes: classes)) }
    }

    /// Loads the checkpoint and the data, and scores them.
    func evaluate() throws -> (EvalReport, classes: [String]) {
        let file = try SampleLoading.checkpointFile(model)
        let net = try Model(checkpoint: file, origin: model)
        let set = try SampleLoading.load(
            data, inputShape: net.spec.inputShape, classNames: net.spec.classes, quiet: json)
        let views = Scoring.logitViews(Predictor(model: net, threads: threadOptions.count), set, tta: tta)
        let facts = Model.facts(of: file)
        var t: Float? = nil
        if net.classCount == 2 {
            switch threshold {
            case "auto": t = facts["threshold"].flatMap(Float.init)
            case "argmax": t = nil
            default: t = Float(threshold)
            }
        }
        var report = Scoring.report(
            views, labels: set.labels, classes: net.spec.classes, temperature: net.temperature, threshold: t)
        if threshold == "auto", t != nil { report.threshold_rule = facts["threshold_rule"] }
        report.tta = tta ? true : nil
        return (report, net.spec.classes)
    }
}
