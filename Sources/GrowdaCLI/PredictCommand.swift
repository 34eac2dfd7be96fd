import ArgumentParser
import Dispatch
import Foundation
import GrowdaData
import GrowdaNN
import GrowdaSafetensors

/// `growda predict`: class probabilities for single images, as a hospital would use the model.
struct PredictCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Class probabilities for each image, with the time taken.")

    @Option(help: "The checkpoint (.safetensors), e.g. a node's latest global model.")
    var model: String

    @Argument(help: "PNG images to diagnose.")
    var files: [String]

    @Option(help: "Threads (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one PNG file to diagnose") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    struct Prediction: Codable {
        var file: String
        var predicted: String?
        var probabilities: [String: Float]?
        var error: String?
        var ms: Double?
    }

    struct Output: Codable {
        var model: String
        var classes: [String]
        var predictions: [Prediction]
        var total_ms: Double
    }

    func run() async throws {
        let file = try SafetensorsFile(contentsOf: model)
        let net = try Model(checkpoint: file, origin: model)
        let shape = net.spec.inputShape
        guard shape.count == 3 else {
            throw CLIError("\(model) is a signal model (\(shape)); use `growda eval --data FILE.csv` for signals")
        }
        let threshold = net.classCount == 2 ? Model.facts(of: file)["threshold"].flatMap(Float.init) : nil
        let predictor = Predictor(model: net, threads: threads, chunk: 1)
        let start = DispatchTime.now().uptimeNanoseconds
        var predictions: [Prediction] = []
        var failures = 0
        for path in files {
            let t0 = DispatchTime.now().uptimeNanoseconds
            do {
                let image = try PNG.read(contentsOf: path).resized(width: shape[2], height: shape[1])
                let p = predictor.probabilities(sample: image.pixels.map { Float($0) / 255 })
                var best = p.indices.max { p[$0] < p[$1] }!
                if let threshold { best = p[1] >= threshold ? 1 : 0 }
                let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
                predictions.append(Prediction(
                    file: path, predicted: net.spec.classes[best],
                    probabilities: Dictionary(uniqueKeysWithValues: zip(net.spec.classes, p)), ms: ms))
            } catch {
                failures += 1
                predictions.append(Prediction(file: path, error: "\(error)"))
            }
        }
        let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        if json {
            try Terminal.printJSON(Output(model: model, classes: net.spec.classes, predictions: predictions, total_ms: total))
        } else {
            for p in predictions {
                if let error = p.error { print("\(p.file): error: \(error)"); continue }
                let probs = net.spec.classes.map { "\($0) \(fmt(Double(p.probabilities![$0]!), 3))" }.joined(separator: "  ")
                print("\(p.file): \(p.predicted!)  (\(probs))  \(fmt(p.ms, 2)) ms")
            }
            print("\(files.count) image(s) in \(fmt(total, 1)) ms")
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
