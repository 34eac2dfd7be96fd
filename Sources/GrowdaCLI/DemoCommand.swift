import ArgumentParser
import Foundation
import GrowdaData
import GrowdaNN
import GrowdaTensor

/// `growda demo`: the main job end to end on synthetic data, for a first run on a new machine.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Make a synthetic chest X-ray set, train and validate a model on it, and diagnose images with it.",
        discussion: "Nothing is needed but this program: the images are drawn from a seed. Use --out to keep them.")

    @Option(help: "Folder to keep the data and model in (default: a temporary folder, removed afterwards).")
    var out: String?

    @Option(parsing: .unconditional, help: "Training images per class (validation gets a quarter as many).")
    var perClass: Int = 1000

    @Option(parsing: .unconditional, help: "Image size in pixels (the model is small28 at 28, xray128 at 128).")
    var size: Int = 28

    @Option(parsing: .unconditional, help: "Training epochs.")
    var epochs: Int = 12

    @Option(parsing: .unconditional, help: "Seed.")
    var seed: UInt64 = 7

    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        guard size == 28 || size == 128 else { throw ValidationError("--size must be 28 (small28) or 128 (xray128)") }
        guard perClass >= 8 else { throw ValidationError("--per-class must be at least 8") }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
    }

    func run() async throws {
        let root: URL
        if let out {
            root = URL(fileURLWithPath: out)
        } else {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("growda-demo-\(UUID().uuidString)")
        }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { if out == nil { try? FileManager.default.removeItem(at: root) } }
        let trainDir = root.appendingPathComponent("train").path, valDir = root.appendingPathComponent("val").path
        let modelName = size == 28 ? "small28" : "xray128"

        Terminal.say(
            "1. synthesizing \(perClass) training and \(perClass / 4) validation images per class (\(size)×\(size))")
        _ = try SyntheticXray.write(perClass: perClass, size: size, seed: seed, to: trainDir)
        _ = try SyntheticXray.write(perClass: perClass / 4, size: size, seed: seed &+ 1_000_003, to: valDir)

        Terminal.say("2. training \(modelName) for \(epochs) epochs")
        let checkpoint = root.appendingPathComponent("\(modelName).safetensors").path
        let train = try TrainCommand.parse([
            "--data", trainDir, "--val", valDir, "--model", modelName, "--epochs", String(epochs),
            "--augment", "--seed", String(seed), "--threads", String(threadOptions.count), "--out", checkpoint,
        ])
        try await train.run()

        Terminal.say("3. diagnosing one validation image of each class with \(checkpoint)")
        let samples = try SyntheticXray.classNames.map { name in
            let folder = valDir + "/" + name
            return folder + "/" + (try FileManager.default.contentsOfDirectory(atPath: folder).sorted().first ?? "")
        }
        let predict = try PredictCommand.parse(
            ["--model", checkpoint, "--threads", String(threadOptions.count)] + samples)
        try await predict.run()
        if out != nil { print("data and model kept in \(root.path)") }
    }
}
