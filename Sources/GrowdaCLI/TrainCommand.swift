import ArgumentParser
import Foundation
import GrowdaData
import GrowdaNN
import GrowdaPrivacy
import GrowdaTensor

/// `growda train`: centralized training of a reference model on one folder, with validation.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model on a folder of labelled images (root/<class>/*.png or *.dcm) or a signal CSV.",
        discussion: """
            After each epoch the model is scored on --val (AUC, then accuracy); the best epoch's checkpoint \
            is written atomically to --out. Without --val, the last epoch is kept.
            """)

    @Option(help: "Training data: a folder root/<class>/ of PNG or DICOM images, or a .csv of signals for ecg187.")
    var data: String

    @Option(help: "Validation data in the same layout (the best epoch by validation AUC is kept).")
    var val: String?

    @Option(help: "Model: \(ModelSpec.referenceNames.joined(separator: ", ")).")
    var model: String

    @Option(parsing: .unconditional, help: "Passes over the training data.")
    var epochs: Int = 10

    @Option(parsing: .unconditional, help: "Samples per optimizer step.")
    var batch: Int = 32

    @Option(parsing: .unconditional, help: "Learning rate.")
    var lr: Float = 1e-3

    @Option(help: "Optimizer: adam or sgd (momentum 0.9).")
    var optimizer: OptimizerName = .adam

    @Option(parsing: .unconditional, help: "Weight decay (decoupled for Adam, L2 for SGD).")
    var weightDecay: Float = 0

    @Option(help: "Learning-rate schedule over the run: constant or cosine.")
    var schedule: Schedule = .constant

    @Option(name: .customLong("class-weights"), help: "Class weights: 'auto' (inverse class frequency) or 'none'.")
    var classWeights: ClassWeighting = .none

    @Flag(help: "Augment training images (small rotation, shift, zoom, brightness, contrast; no flip).")
    var augment = false

    @Option(parsing: .unconditional, help: "Seed for initialisation, shuffling and augmentation.")
    var seed: UInt64 = 1

    @OptionGroup var threadOptions: ThreadOptions

    @Option(help: "Where to write the checkpoint (.safetensors).")
    var out: String

    @Flag(help: "Fail on the first unreadable image instead of skipping it.")
    var strict = false

    @Flag(help: "Print the final summary as JSON.")
    var json = false

    @OptionGroup(title: "Differential privacy")
    var dp: DPSGDOptions

    enum OptimizerName: String, ExpressibleByArgument, CaseIterable { case adam, sgd }
    enum Schedule: String, ExpressibleByArgument, CaseIterable { case constant, cosine }
    enum ClassWeighting: String, ExpressibleByArgument, CaseIterable { case auto, none }

    func validate() throws {
        guard ModelSpec.referenceNames.contains(model) else {
            throw ValidationError(
                "unknown --model '\(model)': choose one of \(ModelSpec.referenceNames.joined(separator: ", "))")
        }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number") }
        guard weightDecay >= 0, weightDecay.isFinite else {
            throw ValidationError("--weight-decay must be 0 or a positive number")
        }
        guard out.hasSuffix(".safetensors") else { throw ValidationError("--out must end in .safetensors") }
        try dp.check()
    }

    /// DP-SGD's settings, when asked for.
    var privacy: DPSGD? { dp.settings }

    /// What DP-SGD spent (printed and in --json).
    struct PrivacySpent: Codable {
        var dp_clip: Double, dp_noise: Double, delta: Double
        /// Each sample's chance to join a step, and the steps taken up to the checkpoint kept.
        var sampling_rate: Double, steps: Int
        /// ε at δ of the checkpoint kept (RDP accountant, Poisson-subsampled Gaussian); nil: σ = 0.
        var epsilon: Double?
    }

    /// ε after `steps` DP-SGD steps at sampling rate `q`.
    func epsilon(q: Double, steps: Int) throws -> Double? {
        guard let noise = dp.noise, noise > 0 else { return nil }
        return try RDPAccountant.epsilon(
            samplingRate: q, noiseMultiplier: noise, steps: steps, delta: dp.effectiveDelta)
    }

    /// What the run achieved (printed with --json). `best_epoch` is the epoch kept: the best by validation
    /// AUC, or without --val the last.
    struct Summary: Codable {
        var model: String
        var checkpoint: String
        var best_epoch: Int
        var epochs: [EpochRecord]
        var val: EvalReport?
        /// With --dp-clip/--dp-noise: the privacy the kept checkpoint spent.
        var privacy: PrivacySpent?

        /// The line naming the epoch written: "best" only when validation chose it.
        var savedLine: String {
            val == nil
                ? "epoch \(best_epoch), the last, written to \(checkpoint) (give --val to keep the best by validation AUC)"
                : "best epoch \(best_epoch) by validation AUC written to \(checkpoint)"
        }
    }

    struct EpochRecord: Codable {
        var epoch: Int
        var train_loss: Double
        var train_accuracy: Double
        var images_per_s: Double
        var val_accuracy: Double?
        var val_auc: Double?
        var val_balanced_accuracy: Double?
        /// With DP-SGD: ε spent up to this epoch.
        var epsilon: Double?
    }

    func run() async throws {
        let quiet = json
        let probe = try ModelSpec.reference(model, classes: ["?"]).orThrow()
        let train = try SampleLoading.load(
            data, inputShape: probe.inputShape, classNames: nil, quiet: quiet, strict: strict)
        guard train.classNames.count >= 2 else {
            throw CLIError("\(data) has \(train.classNames.count) class folder(s); training needs at least two")
        }
        let valSet = try val.map {
            try SampleLoading.load(
                $0, inputShape: probe.inputShape, classNames: train.classNames, quiet: quiet, strict: strict)
        }
        let net = try Model(reference: model, classes: train.classNames, seed: seed)
        if let privacy, let problem = privacy.problem(for: net) { throw CLIError(problem) }
        let q = DPSGD.samplingRate(batchSize: batch, count: train.count)
        let weights = classWeights == .auto ? SoftmaxCrossEntropy.balancedWeights(classCounts: train.classCounts) : nil
        let optimizerConfig: OptimizerConfig =
            optimizer == .adam
            ? .adam(learningRate: lr, weightDecay: weightDecay)
            : .sgd(learningRate: lr, momentum: 0.9, weightDecay: weightDecay)
        let trainer = Trainer(
            model: net, optimizer: optimizerConfig, batchSize: batch, threads: threadOptions.count,
            classWeights: weights, seed: seed, privacy: privacy)
        let source = augment ? AugmentedDataset(train, augmenter: .standard) : AugmentedDataset(train, augmenter: nil)
        let predictor = valSet.map { _ in Predictor(model: net, threads: threadOptions.count) }
        if !quiet {
            Terminal.note(
                "training \(model) (\(net.parameterCount) parameters) on \(train.count) samples of "
                    + "\(train.classNames.joined(separator: "/")) (\(train.classCounts.map(String.init).joined(separator: "/")))"
                    + (valSet.map { ", validating on \($0.count)" } ?? ""))
            if let privacy {
                let total = try epsilon(q: q, steps: epochs * privacy.steps(batchSize: batch, count: train.count))
                Terminal.note(
                    "DP-SGD: clip \(privacy.clipNorm), noise σ \(privacy.noiseMultiplier), Poisson sampling q = "
                        + "\(fmt(q, 4)); \(epochs) epochs spend ε = \(total.map { fmt($0, 3) } ?? "∞") at δ = \(dp.effectiveDelta)")
            }
        }
        var spent: PrivacySpent?

        var records: [EpochRecord] = []
        var best: (epoch: Int, score: Double, report: EvalReport?)? = nil
        let progress = Terminal.ProgressLine(enabled: !quiet)
        for epoch in 1...epochs {
            if schedule == .cosine {
                let t = Double(epoch - 1) / Double(epochs)
                trainer.optimizer.learningRate = lr * Float(0.5 * (1 + cos(Double.pi * t)))
            }
            let stats = trainer.trainEpoch(
                source,
                progress: { p in
                    progress.update(
                        fraction: Double(p.step) / Double(p.steps),
                        "epoch \(epoch)/\(epochs) step \(p.step)/\(p.steps) loss \(fmt(p.stats.loss)) "
                            + "acc \(fmt(p.stats.accuracy, 3)) \(Int(p.stats.samplesPerSecond)) img/s")
                })
            progress.finish()
            var record = EpochRecord(
                epoch: epoch, train_loss: stats.loss, train_accuracy: stats.accuracy,
                images_per_s: stats.samplesPerSecond)
            if privacy != nil { record.epsilon = try epsilon(q: q, steps: trainer.privateSteps) }
            var report: EvalReport?
            if let valSet, let predictor {
                let probs = predictor.probabilities(valSet)
                let metrics = ClassificationMetrics(
                    probabilities: probs, labels: valSet.labels, classes: valSet.classNames)
                let threshold =
                    valSet.classNames.count == 2
                    ? ClassificationMetrics.bestThreshold(probabilities: probs, labels: valSet.labels) : nil
                report = EvalReport(metrics)
                report?.chosen_threshold = threshold
                record.val_accuracy = metrics.accuracy
                record.val_auc = metrics.auc
                record.val_balanced_accuracy = metrics.balancedAccuracy
            }
            records.append(record)
            if !quiet {
                var line =
                    "epoch \(epoch)/\(epochs): loss \(fmt(stats.loss)) acc \(fmt(stats.accuracy)) "
                    + "\(Int(stats.samplesPerSecond)) img/s"
                if let r = report {
                    line += " | val acc \(fmt(r.accuracy)) bal.acc \(fmt(r.balanced_accuracy)) auc \(fmt(r.auc))"
                }
                if privacy != nil { line += " | ε \(record.epsilon.map { fmt($0, 3) } ?? "∞")" }
                Terminal.note(line)
            }
            // Keep the best by validation AUC (accuracy breaks ties); without validation, the last.
            let score = report.map { ($0.auc ?? 0) * 10 + $0.accuracy } ?? Double(epoch)
            if best == nil || score > best!.score {
                best = (epoch, score, report)
                var facts = ["epoch": String(epoch), "train_loss": fmt(stats.loss, 6), "seed": String(seed)]
                if let r = report {
                    facts["val_accuracy"] = fmt(r.accuracy, 6)
                    facts["val_auc"] = fmt(r.auc, 6)
                    if let t = r.chosen_threshold { facts["threshold"] = String(t) }
                }
                if let privacy {
                    spent = PrivacySpent(
                        dp_clip: PrivacyPolicy.decimal(privacy.clipNorm), dp_noise: PrivacyPolicy.decimal(privacy.noiseMultiplier), delta: dp.effectiveDelta,
                        sampling_rate: q, steps: trainer.privateSteps, epsilon: record.epsilon)
                    facts["privacy_epsilon"] = record.epsilon.map { fmt($0, 6) } ?? "inf"
                    facts["privacy_delta"] = String(dp.effectiveDelta)
                }
                try net.save(to: out, facts: facts)
            }
        }
        let summary = Summary(
            model: model, checkpoint: out, best_epoch: best!.epoch, epochs: records, val: best!.report,
            privacy: spent)
        if json {
            try Terminal.printJSON(summary)
        } else {
            print(summary.savedLine)
            if let spent {
                print(
                    "privacy: ε = \(spent.epsilon.map { fmt($0, 3) } ?? "∞") at δ = \(spent.delta) for the checkpoint "
                        + "(\(spent.steps) DP-SGD steps, q = \(fmt(spent.sampling_rate, 4)), σ = \(spent.dp_noise))")
            }
            if let r = summary.val {
                print(r.text(classes: train.classNames))
                if let t = r.chosen_threshold {
                    print(
                        "decision threshold on p(\(train.classNames[1])) chosen on validation: \(fmt(Double(t), 3)) "
                            + "(stored in the checkpoint; `growda eval` and `predict` use it)")
                }
            }
        }
    }
}

extension Optional {
    /// The value, or a CLI error when nil (for values validate() already checked).
    func orThrow(_ message: String = "internal error: missing value") throws -> Wrapped {
        guard let value = self else { throw CLIError(message) }
        return value
    }
}
