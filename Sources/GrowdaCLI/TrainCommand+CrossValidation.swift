import Foundation
import GrowdaData
import GrowdaNN

extension TrainCommand {
    /// Cross-validation figures (JSON keys are stable): each fold's best epoch scored on the fold held out,
    /// then the mean and the standard deviation over folds.
    struct CrossValidation: Codable {
        struct Fold: Codable {
            var fold: Int
            var train_samples: Int
            var validation_samples: Int
            /// Patients (or records) held out, when the data carry groups.
            var validation_groups: Int?
            var best_epoch: Int
            var auc: Double?
            var accuracy: Double
            var balanced_accuracy: Double
            /// Two classes: the threshold chosen on this fold, and sensitivity and specificity at it.
            var threshold: Float?
            var sensitivity: Double?
            var specificity: Double?
            /// ECE at the temperature fitted on this fold, and at temperature 1.
            var ece: Double?
            var ece_uncalibrated: Double?
            var temperature: Float?
        }
        /// Mean and sample standard deviation of one figure over folds.
        struct Spread: Codable {
            var mean: Double
            var sd: Double
        }
        var model: String
        var folds: [Fold]
        var grouped_by: String?
        var threshold_rule: String?
        var auc: Spread?
        var accuracy: Spread
        var balanced_accuracy: Spread
        var sensitivity: Spread?
        var specificity: Spread?
        var ece: Spread?
        var ece_uncalibrated: Spread?

        /// One line per fold, then the means.
        var text: String {
            var lines = [
                "\(folds.count)-fold cross-validation of \(model)"
                    + (grouped_by.map { " (grouped by \($0): none on both sides of a fold)" } ?? "")
            ]
            for f in folds {
                lines.append(
                    "fold \(f.fold): \(f.validation_samples) held out"
                        + (f.validation_groups.map { " (\($0) groups)" } ?? "")
                        + ", best epoch \(f.best_epoch): AUC \(fmt(f.auc)) acc \(fmt(f.accuracy)) "
                        + "bal.acc \(fmt(f.balanced_accuracy))"
                        + (f.threshold.map { " at threshold \(fmt(Double($0), 3))" } ?? "")
                        + " ECE \(fmt(f.ece)) (T=1: \(fmt(f.ece_uncalibrated ?? f.ece)))")
            }
            func show(_ name: String, _ s: Spread?) -> String? { s.map { "\(name) \(fmt($0.mean)) ± \(fmt($0.sd))" } }
            lines.append(
                "mean ± sd: "
                    + [
                        show("AUC", auc), show("accuracy", accuracy), show("balanced accuracy", balanced_accuracy),
                        show("sensitivity", sensitivity), show("specificity", specificity),
                        show("ECE", ece), show("ECE at T=1", ece_uncalibrated),
                    ].compactMap { $0 }.joined(separator: ", ")
                    + (threshold_rule.map { " (thresholds by \($0))" } ?? ""))
            return lines.joined(separator: "\n")
        }
    }

    /// Trains once per fold of `data` (folds stratified by class and kept whole per group) on the other folds,
    /// keeping the best epoch by the held-out fold as `growda train --val` does, and gathers the figures.
    func crossValidate(_ data: Dataset, folds count: Int, quiet: Bool) throws -> CrossValidation {
        let folds = try TrainValidationSplit.folds(labels: data.labels, groups: data.groups, count: count, seed: seed)
        var results: [CrossValidation.Fold] = []
        for (k, held) in folds.enumerated() {
            let heldSet = Set(held)
            let rest = (0..<data.count).filter { !heldSet.contains($0) }
            if !quiet { Terminal.note("fold \(k + 1)/\(count): training on \(rest.count), holding out \(held.count)") }
            let validation = data.subset(held)
            let summary = try fit(data.subset(rest), validation: validation, out: nil, quiet: quiet)
            let r = try summary.val.orThrow()
            let binary = data.classNames.count == 2
            results.append(
                .init(
                    fold: k + 1, train_samples: rest.count, validation_samples: held.count,
                    validation_groups: validation.groups.map { Set($0).count }, best_epoch: summary.best_epoch,
                    auc: r.auc, accuracy: r.accuracy, balanced_accuracy: r.balanced_accuracy,
                    threshold: r.chosen_threshold, sensitivity: binary ? r.per_class[1].sensitivity : nil,
                    specificity: binary ? r.per_class[1].specificity : nil, ece: r.ece,
                    ece_uncalibrated: r.ece_uncalibrated, temperature: r.temperature))
            if !quiet, let last = results.last {
                Terminal.note(
                    "fold \(k + 1): AUC \(fmt(last.auc)) bal.acc \(fmt(last.balanced_accuracy)) ECE \(fmt(last.ece))")
            }
        }
        func spread(_ values: [Double?]) -> CrossValidation.Spread? {
            let v = values.compactMap { $0 }
            guard v.count == values.count, !v.isEmpty else { return nil }
            let mean = v.reduce(0, +) / Double(v.count)
            let variance = v.count > 1 ? v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count - 1) : 0
            return .init(mean: mean, sd: variance.squareRoot())
        }
        return CrossValidation(
            model: model, folds: results, grouped_by: data.groups == nil ? nil : (manifest ?? "record"),
            threshold_rule: data.classNames.count == 2 ? thresholdRule : nil, auc: spread(results.map(\.auc)),
            accuracy: try spread(results.map(\.accuracy)).orThrow(),
            balanced_accuracy: try spread(results.map(\.balanced_accuracy)).orThrow(),
            sensitivity: spread(results.map(\.sensitivity)), specificity: spread(results.map(\.specificity)),
            ece: spread(results.map(\.ece)), ece_uncalibrated: spread(results.map(\.ece_uncalibrated)))
    }
}
