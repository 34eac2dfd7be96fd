import ArgumentParser
import Foundation
import GrowdaData
import GrowdaNN
import GrowdaSafetensors

extension ModelCommand {
    /// `growda model calibrate`: fits a checkpoint's softmax temperature (and two-class threshold) on
    /// labelled validation data, e.g. a federated global model on a hospital's held-out patients.
    struct Calibrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "calibrate",
            abstract: "Fit a checkpoint's softmax temperature (and two-class decision threshold) on validation data.",
            discussion: """
                Temperature scaling divides the logits by T before the softmax, T chosen to minimise the \
                negative log-likelihood on --data: predictions keep their order (accuracy and AUC do not change) \
                but stop claiming 1.000 when the model is right less often than that. The checkpoint written to \
                --out is --model's with growda.temperature set and, for two classes, the threshold the rule \
                picks on the calibrated probabilities. Fit on validation data, then score on other patients \
                with growda eval.
                """)

        @Option(help: "The checkpoint (.safetensors) to calibrate.")
        var model: String

        @Option(help: "Labelled validation data: a folder root/<class>/ of PNG or DICOM images, or a .csv of signals.")
        var data: String

        @Option(help: ArgumentHelp("Where to write the calibrated checkpoint (.safetensors).", valueName: "file"))
        var out: String

        @Option(help: ArgumentHelp("Two classes: eer, youden or sensitivity:T (see growda train).", valueName: "rule"))
        var thresholdRule: String = "eer"

        @OptionGroup var threadOptions: ThreadOptions

        @Flag(help: "Print the figures as JSON (temperature, threshold, ECE before and after).")
        var json = false

        func validate() throws {
            guard out.hasSuffix(".safetensors") else { throw ValidationError("--out must end in .safetensors") }
            guard ThresholdRule(parsing: thresholdRule) != nil else {
                throw ValidationError(
                    "--threshold-rule must be eer, youden or sensitivity:T with T in (0, 1], got '\(thresholdRule)'")
            }
        }

        /// What calibration found (JSON keys are stable).
        struct Result: Codable {
            var model: String
            var out: String
            var samples: Int
            var temperature: Float
            var threshold: Float?
            var threshold_rule: String?
            /// ECE on --data at temperature 1 and at the fitted temperature.
            var ece_before: Double?
            var ece_after: Double?
        }

        func run() async throws {
            let file = try SampleLoading.checkpointFile(model)
            let net = try Model(checkpoint: file, origin: model)
            let set = try SampleLoading.load(
                data, inputShape: net.spec.inputShape, classNames: net.spec.classes, quiet: json)
            let logits = Predictor(model: net, threads: threadOptions.count).logits(set)
            let fitted = Scoring.calibrate(
                logits: logits, labels: set.labels, classes: net.spec.classes,
                rule: try ThresholdRule(parsing: thresholdRule).orThrow())
            var facts = Model.facts(of: file)
            facts["calibrated_on"] = data
            if let t = fitted.threshold {
                facts["threshold"] = String(t)
                facts["threshold_rule"] = thresholdRule
            }
            net.temperature = fitted.temperature
            try net.save(to: out, facts: facts)
            let result = Result(
                model: model, out: out, samples: set.count, temperature: fitted.temperature,
                threshold: fitted.threshold, threshold_rule: fitted.threshold == nil ? nil : thresholdRule,
                ece_before: fitted.report.ece_uncalibrated ?? fitted.report.ece, ece_after: fitted.report.ece)
            if json {
                try Terminal.printJSON(result)
            } else {
                print(
                    "temperature \(fmt(Double(result.temperature), 3)) fitted on \(set.count) samples: ECE "
                        + "\(fmt(result.ece_before)) → \(fmt(result.ece_after))"
                        + (result.threshold.map { "; threshold \(fmt(Double($0), 3)) by \(thresholdRule)" } ?? ""))
                print("written to \(out)")
            }
        }
    }
}
