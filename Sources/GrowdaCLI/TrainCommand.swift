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

    @Option(
        help: ArgumentHelp(
            "A CSV listing file,label,patient_id for the images under --data: --cv then keeps each patient in one fold.",
            valueName: "csv"))
    var manifest: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Cross-validate instead: K folds of --data (patient-grouped with --manifest), each trained on the rest; "
                + "reports each fold and the mean ± sd. Writes no checkpoint.", valueName: "K"))
    var cv: Int?

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

    @Option(
        parsing: .unconditional,
        help: "Weight decay (default: 0.01 decoupled for Adam, 5e-4 L2 for SGD; 0 turns it off).")
    var weightDecay: Float?

    @Option(help: "Learning-rate schedule over the run: constant or cosine.")
    var schedule: Schedule = .constant

    @Option(parsing: .unconditional, help: "Epochs of linear learning-rate warm-up at the start (may be fractional).")
    var warmup: Double = 0

    @Option(parsing: .unconditional, help: "Label smoothing ε in [0, 0.5): targets (1 − ε)·one-hot + ε/classes.")
    var labelSmoothing: Float = 0

    @Option(
        help: ArgumentHelp(
            "Two classes: how the decision threshold is chosen on --val: eer (sensitivity = specificity), "
                + "sensitivity:T (highest threshold finding T of the positives) or youden (validation-optimal).",
            valueName: "rule"))
    var thresholdRule: String = "eer"

    @Option(name: .customLong("class-weights"), help: "Class weights: 'auto' (inverse class frequency) or 'none'.")
    var classWeights: ClassWeighting = .none

    @Flag(
        help: ArgumentHelp(
            "Augment training samples: images by small rotation, shift, zoom, brightness and contrast (no flip); "
                + "ECG beats by a ±3-sample shift, gain 0.9–1.1, baseline wander and noise."))
    var augment = false

    @Option(
        parsing: .unconditional,
        help: "With --augment: scale every augmentation range (1: ±10°, ±8% shift, zoom 0.9–1.1, ±0.1 brightness).")
    var augmentStrength: Float = 1

    @Option(parsing: .unconditional, help: "Seed for initialisation, shuffling and augmentation.")
    var seed: UInt64 = 1

    @OptionGroup var threadOptions: ThreadOptions

    @Option(help: "Where to write the checkpoint (.safetensors); not with --cv.")
    var out: String?

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
        if let weightDecay, !(weightDecay >= 0 && weightDecay.isFinite) {
            throw ValidationError("--weight-decay must be 0 or a positive number")
        }
        guard warmup >= 0, warmup <= Double(epochs) else { throw ValidationError("--warmup must be in 0…--epochs") }
        guard labelSmoothing >= 0, labelSmoothing < 0.5 else {
            throw ValidationError("--label-smoothing must be in [0, 0.5)")
        }
        guard augmentStrength >= 0, augmentStrength <= 3 else {
            throw ValidationError("--augment-strength must be in 0…3")
        }
        guard ThresholdRule(parsing: thresholdRule) != nil else {
            throw ValidationError(
                "--threshold-rule must be eer, youden or sensitivity:T with T in (0, 1], got '\(thresholdRule)'")
        }
        if let cv {
            guard cv >= 2 && cv <= 20 else { throw ValidationError("--cv must be in 2…20") }
            guard val == nil else { throw ValidationError("--cv takes its validation folds from --data: drop --val") }
            guard out == nil else { throw ValidationError("--cv writes no checkpoint: drop --out") }
        } else {
            guard let out else { throw ValidationError("give --out FILE.safetensors (or --cv K to cross-validate)") }
            guard out.hasSuffix(".safetensors") else { throw ValidationError("--out must end in .safetensors") }
        }
        try dp.check()
    }

    /// The weight decay in force: the flag, or the optimizer's default.
    var effectiveWeightDecay: Float { weightDecay ?? (optimizer == .adam ? 0.01 : 5e-4) }

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
        /// Expected calibration error on validation after temperature scaling.
        var val_ece: Double?
        /// With DP-SGD: ε spent up to this epoch.
        var epsilon: Double?
    }

    func run() async throws {
        let quiet = json
        let probe = try ModelSpec.reference(model, classes: ["?"]).orThrow()
        let train = try SampleLoading.load(
            data, inputShape: probe.inputShape, classNames: nil, quiet: quiet, strict: strict, manifest: manifest)
        guard train.classNames.count >= 2 else {
            throw CLIError("\(data) has \(train.classNames.count) class folder(s); training needs at least two")
        }
        if let cv {
            let result = try crossValidate(train, folds: cv, quiet: quiet)
            if json { try Terminal.printJSON(result) } else { print(result.text) }
            return
        }
        let valSet = try val.map {
            try SampleLoading.load(
                $0, inputShape: probe.inputShape, classNames: train.classNames, quiet: quiet, strict: strict)
        }
        let summary = try fit(train, validation: valSet, out: try out.orThrow(), quiet: quiet)
        if json {
            try Terminal.printJSON(summary)
        } else {
            print(summary.savedLine)
            if let spent = summary.privacy {
                print(
                    "privacy: ε = \(spent.epsilon.map { fmt($0, 3) } ?? "∞") at δ = \(spent.delta) for the checkpoint "
                        + "(\(spent.steps) DP-SGD steps, q = \(fmt(spent.sampling_rate, 4)), σ = \(spent.dp_noise))")
            }
            if let r = summary.val {
                print(r.text(classes: train.classNames))
                if let t = r.chosen_threshold {
                    print(
                        "decision threshold on p(\(train.classNames[1])) chosen on validation by "
                            + "\(r.threshold_rule ?? thresholdRule): \(fmt(Double(t), 3)) "
                            + "(stored in the checkpoint; `growda eval` and `predict` use it)")
                }
                if let t = r.temperature {
                    print("softmax temperature fitted on validation: \(fmt(Double(t), 3)) (stored in the checkpoint)")
                }
            }
        }
    }

    /// Trains one model on `train`, scoring each epoch on `validation` and keeping the best epoch (or the last
    /// without validation), whose checkpoint goes to `out` when given.
    func fit(_ train: Dataset, validation valSet: Dataset?, out: String?, quiet: Bool) throws -> Summary {
        let net = try Model(reference: model, classes: train.classNames, seed: seed)
        if let privacy, let problem = privacy.problem(for: net) { throw CLIError(problem) }
        let q = DPSGD.samplingRate(batchSize: batch, count: train.count)
        let weights = classWeights == .auto ? SoftmaxCrossEntropy.balancedWeights(classCounts: train.classCounts) : nil
        let optimizerConfig: OptimizerConfig =
            optimizer == .adam
            ? .adam(learningRate: lr, weightDecay: effectiveWeightDecay)
            : .sgd(learningRate: lr, momentum: 0.9, weightDecay: effectiveWeightDecay)
        let trainer = Trainer(
            model: net, optimizer: optimizerConfig, batchSize: batch, threads: threadOptions.count,
            classWeights: weights, labelSmoothing: labelSmoothing, seed: seed, privacy: privacy)
        let stepsPerEpoch = trainer.stepsPerEpoch(count: train.count)
        trainer.schedule = LearningRateSchedule(
            base: lr, warmupSteps: Int((warmup * Double(stepsPerEpoch)).rounded()), totalSteps: epochs * stepsPerEpoch,
            cosine: schedule == .cosine)
        let source = AugmentedDataset(train, augmenter: augment ? Augmenter.standard.scaled(by: augmentStrength) : nil)
        let predictor = valSet.map { _ in Predictor(model: net, threads: threadOptions.count) }
        let rule = try ThresholdRule(parsing: thresholdRule).orThrow()
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
            var temperature: Float = 1
            if let valSet, let predictor {
                let calibration = Scoring.calibrate(
                    logits: predictor.logits(valSet), labels: valSet.labels, classes: valSet.classNames, rule: rule)
                report = calibration.report
                temperature = calibration.temperature
                record.val_accuracy = calibration.report.accuracy
                record.val_auc = calibration.report.auc
                record.val_balanced_accuracy = calibration.report.balanced_accuracy
                record.val_ece = calibration.report.ece
            }
            records.append(record)
            if !quiet {
                var line =
                    "epoch \(epoch)/\(epochs): loss \(fmt(stats.loss)) acc \(fmt(stats.accuracy)) "
                    + "\(Int(stats.samplesPerSecond)) img/s"
                if let r = report {
                    line += " | val acc \(fmt(r.accuracy)) bal.acc \(fmt(r.balanced_accuracy)) auc \(fmt(r.auc))"
                    line += " ece \(fmt(r.ece))"
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
                    facts["val_ece"] = fmt(r.ece, 6)
                    facts["val_ece_uncalibrated"] = r.ece_uncalibrated.map { fmt($0, 6) }
                    if let t = r.chosen_threshold {
                        facts["threshold"] = String(t)
                        facts["threshold_rule"] = r.threshold_rule
                    }
                }
                if let privacy {
                    spent = PrivacySpent(
                        dp_clip: PrivacyPolicy.decimal(privacy.clipNorm), dp_noise: PrivacyPolicy.decimal(privacy.noiseMultiplier), delta: dp.effectiveDelta,
                        sampling_rate: q, steps: trainer.privateSteps, epsilon: record.epsilon)
                    facts["privacy_epsilon"] = record.epsilon.map { fmt($0, 6) } ?? "inf"
                    facts["privacy_delta"] = String(dp.effectiveDelta)
                }
                if let out {
                    net.temperature = temperature
                    try net.save(to: out, facts: facts)
                }
            }
        }
        return Summary(
            model: model, checkpoint: out ?? "", best_epoch: best!.epoch, epochs: records, val: best!.report,
            privacy: spent)
    }
}

extension Optional {
    /// The value, or a CLI error when nil (for values validate() already checked).
    func orThrow(_ message: String = "internal error: missing value") throws -> Wrapped {
        guard let value = self else { throw CLIError(message) }
        return value
    }
}
