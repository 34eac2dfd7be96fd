import ArgumentParser
import Foundation
import GrowdaData
import GrowdaNN
import GrowdaSafetensors
import GrowdaTestKit
import Testing

@testable import GrowdaCLI

/// train → eval → predict on a small synthetic set, through the commands as a user runs them.
@Suite struct TrainEvalPredictTests {
    @Test func endToEnd() async throws {
        let dir = try TemporaryDirectory()
        let train = dir.path("train"), val = dir.path("val"), ckpt = dir.path("m.safetensors")
        _ = try SyntheticXray.write(perClass: 12, size: 28, seed: 1, to: train)
        _ = try SyntheticXray.write(perClass: 4, size: 28, seed: 2, to: val)
        // A corrupt PNG in the training folder is skipped and reported, not fatal.
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: train + "/normal/broken.png"))

        let trainCommand = try #require(
            try Growda.parseAsRoot([
                "train", "--data", train, "--val", val, "--model", "small28", "--epochs", "2", "--batch", "8",
                "--threads", "2", "--augment", "--class-weights", "auto", "--out", ckpt, "--json",
            ]) as? TrainCommand)
        try await trainCommand.run()

        let model = try Model(checkpoint: ckpt)
        #expect(model.spec.classes == SyntheticXray.classNames)
        #expect(model.spec.name == "small28")

        let eval = try #require(
            try Growda.parseAsRoot(["eval", "--model", ckpt, "--data", val, "--json"]) as? EvalCommand)
        let (report, classes) = try eval.evaluate()
        #expect(classes == SyntheticXray.classNames)
        #expect(report.count == 12)
        #expect(report.confusion.flatMap { $0 }.reduce(0, +) == 12)
        #expect(report.per_class.map(\.support) == [4, 4, 4])
        // The JSON keys the issue names.
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as! [String: Any]
        for key in ["accuracy", "balanced_accuracy", "auc", "per_class", "confusion"] {
            #expect(json[key] != nil, "\(key)")
        }

        let image = val + "/viral/" + (try FileManager.default.contentsOfDirectory(atPath: val + "/viral").sorted()[0])
        let predict = try #require(
            try Growda.parseAsRoot([
                "predict", "--model", ckpt, image, dir.path("missing.png"), "--json",
            ]) as? PredictCommand)
        let output = try predict.predict()
        #expect(output.predictions.count == 2)
        let probs = try #require(output.predictions[0].probabilities)
        #expect(abs(probs.values.reduce(0, +) - 1) < 1e-4)
        #expect(output.predictions[1].error?.contains("missing.png") == true)
        // Only the image diagnosed is counted; the one that failed is named as failed.
        #expect(output.summary.hasPrefix("1 image(s) diagnosed in "), "\(output.summary)")
        #expect(output.summary.hasSuffix(" ms; 1 failed (errors above)"), "\(output.summary)")
    }

    /// The recipe's options, calibration and the threshold rule reach the checkpoint; eval reports ECE before
    /// and after, with and without test-time views; model calibrate refits a checkpoint; --cv reports folds.
    @Test func calibrationThresholdRuleAndCrossValidation() async throws {
        let dir = try TemporaryDirectory()
        let train = dir.path("train"), val = dir.path("val"), ckpt = dir.path("m.safetensors")
        _ = try SyntheticXray.write(perClass: 16, size: 28, seed: 3, to: train)
        _ = try SyntheticXray.write(perClass: 8, size: 28, seed: 4, to: val)
        // Two classes, so the threshold rule applies.
        try FileManager.default.removeItem(atPath: train + "/viral")
        try FileManager.default.removeItem(atPath: val + "/viral")
        let command = try #require(
            try Growda.parseAsRoot([
                "train", "--data", train, "--val", val, "--model", "small28", "--epochs", "3", "--batch", "8",
                "--warmup", "1", "--label-smoothing", "0.1", "--augment", "--augment-strength", "0.5",
                "--threshold-rule", "sensitivity:0.9", "--schedule", "cosine", "--out", ckpt, "--json",
            ]) as? TrainCommand)
        let summary = try command.fit(
            try SampleLoading.load(train, inputShape: [1, 28, 28], classNames: nil, quiet: true),
            validation: try SampleLoading.load(val, inputShape: [1, 28, 28], classNames: nil, quiet: true), out: ckpt,
            quiet: true)
        let report = try #require(summary.val)
        #expect(report.threshold_rule == "sensitivity:0.9")
        #expect(report.per_class[1].sensitivity >= 0.9)
        let temperature = try #require(report.temperature)
        #expect(Calibration.temperatureRange.contains(temperature))
        #expect(report.ece != nil)
        let model = try Model(checkpoint: ckpt)
        #expect(model.temperature == temperature)

        let eval = try #require(
            try Growda.parseAsRoot(["eval", "--model", ckpt, "--data", val, "--json"]) as? EvalCommand)
        let (scored, _) = try eval.evaluate()
        #expect(scored.threshold_rule == "sensitivity:0.9")
        #expect(scored.temperature == temperature)
        #expect(scored.ece == report.ece)
        #expect((scored.ece_uncalibrated != nil) == (temperature != 1))
        let withViews = try #require(
            try Growda.parseAsRoot(["eval", "--model", ckpt, "--data", val, "--tta", "--json"]) as? EvalCommand)
        let (averaged, _) = try withViews.evaluate()
        #expect(averaged.tta == true && averaged.count == scored.count)

        let calibrated = dir.path("calibrated.safetensors")
        let calibrate = try #require(
            try Growda.parseAsRoot([
                "model", "calibrate", "--model", ckpt, "--data", train, "--out", calibrated, "--threshold-rule", "eer",
            ]) as? ModelCommand.Calibrate)
        try await calibrate.run()
        let refit = try SafetensorsFile(contentsOf: calibrated)
        #expect(refit.metadata["threshold_rule"] == "eer")
        #expect(refit.metadata["calibrated_on"] == train)
        #expect(try Model(checkpoint: calibrated).temperature != 1)

        let cv = try #require(
            try Growda.parseAsRoot([
                "train", "--data", train, "--model", "small28", "--epochs", "1", "--batch", "8", "--cv", "3", "--json",
            ]) as? TrainCommand)
        let folds = try cv.crossValidate(
            try SampleLoading.load(train, inputShape: [1, 28, 28], classNames: nil, quiet: true), folds: 3, quiet: true)
        #expect(folds.folds.count == 3)
        #expect(folds.folds.map(\.validation_samples).reduce(0, +) == 32)
        #expect(folds.threshold_rule == "eer")
        #expect(folds.text.contains("mean ± sd: AUC"))
    }

    /// Without --val nothing chooses an epoch, so the line says the last one was written, not the best.
    @Test func trainingWithoutValidationDoesNotClaimABestEpoch() {
        var summary = TrainCommand.Summary(model: "small28", checkpoint: "m.safetensors", best_epoch: 3, epochs: [])
        #expect(
            summary.savedLine
                == "epoch 3, the last, written to m.safetensors (give --val to keep the best by validation AUC)")
        #expect(!summary.savedLine.contains("best epoch"))
        let metrics = ClassificationMetrics(probabilities: [0.9, 0.1, 0.2, 0.8], labels: [0, 1], classes: ["a", "b"])
        summary.val = EvalReport(metrics)
        #expect(summary.savedLine == "best epoch 3 by validation AUC written to m.safetensors")
    }

    @Test func badFlagsAreRefusedWithAReason() {
        func message(_ args: [String]) -> String? {
            do { _ = try Growda.parseAsRoot(args); return nil } catch { return Growda.message(for: error) }
        }
        let base = ["train", "--data", "d", "--model", "small28", "--out", "m.safetensors"]
        #expect(message(base) == nil)
        #expect(
            message(["train", "--data", "d", "--model", "resnet", "--out", "m.safetensors"])?.contains("small28")
                == true)
        #expect(message(base + ["--epochs", "0"]) == "--epochs must be at least 1")
        #expect(message(base + ["--threads", "0"]) == "--threads must be at least 1, got 0")
        #expect(
            message(["train", "--data", "d", "--model", "small28", "--out", "m.ckpt"])
                == "--out must end in .safetensors")
        #expect(message(["eval", "--model", "m", "--data", "d", "--threshold", "2"])?.contains("--threshold") == true)
        #expect(message(["predict", "--model", "m"])?.contains("PNG") == true)
        #expect(message(base + ["--threshold-rule", "best"])?.contains("eer, youden or sensitivity:T") == true)
        #expect(message(base + ["--label-smoothing", "0.5"]) == "--label-smoothing must be in [0, 0.5)")
        #expect(message(base + ["--warmup", "11"]) == "--warmup must be in 0…--epochs")
        #expect(message(base + ["--cv", "5"]) == "--cv writes no checkpoint: drop --out")
        #expect(message(["train", "--data", "d", "--model", "small28"])?.contains("--cv K") == true)
        #expect(message(["train", "--data", "d", "--model", "small28", "--cv", "1"]) == "--cv must be in 2…20")
    }

    @Test func missingDataFolderNamesIt() async throws {
        let dir = try TemporaryDirectory()
        let command = try #require(
            try Growda.parseAsRoot([
                "train", "--data", dir.path("nowhere"), "--model", "small28", "--out", dir.path("m.safetensors"),
                "--json",
            ]) as? TrainCommand)
        await #expect { try await command.run() } throws: { "\($0)".contains("nowhere") }
    }
}
