import Foundation
import GrowdaData
import GrowdaTestKit
import Testing

@testable import GrowdaCLI

/// train, eval and predict on folders where some images are DICOM, through the commands as a user runs them.
@Suite struct DICOMCommandTests {
    /// GrowdaDataTests' DICOM fixture `name` (32×32, made by its make_dicom_fixtures.py).
    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("GrowdaDataTests/Fixtures/dicom/" + name).path
    }

    @Test func trainEvalAndPredictReadDICOM() async throws {
        let dir = try TemporaryDirectory()
        let train = dir.path("train"), val = dir.path("val"), ckpt = dir.path("m.safetensors")
        _ = try SyntheticXray.write(perClass: 6, size: 28, seed: 3, to: train)
        _ = try SyntheticXray.write(perClass: 2, size: 28, seed: 4, to: val)
        let dicoms = ["mono2-u16-window.dcm", "mono1-u16-window.dcm", "jpegls-lossless-u16.dcm"]
        for (k, name) in dicoms.enumerated() {
            try FileManager.default.copyItem(atPath: Self.fixture(name), toPath: "\(train)/normal/scan\(k).dcm")
        }
        try FileManager.default.copyItem(atPath: Self.fixture("rle-u16.dcm"), toPath: "\(val)/viral/scan.DCM")
        // A damaged DICOM is skipped and reported, as a damaged PNG is.
        try FileManager.default.copyItem(atPath: Self.fixture("truncated.dcm"), toPath: "\(train)/viral/cut.dcm")

        let trainCommand = try #require(
            try Growda.parseAsRoot([
                "train", "--data", train, "--val", val, "--model", "small28", "--epochs", "1", "--batch", "8",
                "--threads", "2", "--out", ckpt, "--json",
            ]) as? TrainCommand)
        try await trainCommand.run()

        let eval = try #require(
            try Growda.parseAsRoot(["eval", "--model", ckpt, "--data", val, "--json"]) as? EvalCommand)
        let (report, _) = try eval.evaluate()
        #expect(report.count == 7, "6 synthetic PNGs and 1 DICOM")

        let predict = try #require(
            try Growda.parseAsRoot([
                "predict", "--model", ckpt, Self.fixture("j2k-lossless-u16.dcm"), Self.fixture("no-pixel-data.dcm"),
                "--json",
            ]) as? PredictCommand)
        let output = try predict.predict()
        #expect(output.predictions.count == 2)
        let probabilities = try #require(output.predictions[0].probabilities)
        #expect(abs(probabilities.values.reduce(0, +) - 1) < 1e-4)
        let error = try #require(output.predictions[1].error)
        #expect(error.contains("no-pixel-data.dcm") && error.contains("without an image"))
    }
}
