import ArgumentParser
import Foundation
import GrowdaData
import GrowdaNN
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
