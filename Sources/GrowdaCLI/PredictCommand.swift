import ArgumentParser
import Dispatch
import Foundation
import GrowdaData
import GrowdaNN

/// `growda predict`: class probabilities for single images, as a hospital would use the model.
struct PredictCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Class probabilities for each image, with the time taken.",
        discussion: """
            At a hospital, --model is the node's state folder's model.safetensors (the latest global \
            model, which the node trains from) or, with growda-node run --diagnose-with best, its \
            diagnose.safetensors (the best version by the aggregator's evaluation metric). At the \
            aggregator, growda model export --best writes the best version's checkpoint.
            """)

    @Option(help: "The checkpoint (.safetensors), e.g. a node's latest global model.")
    var model: String

    @Argument(help: "PNG or DICOM images to diagnose.")
    var files: [String] = []

    @Flag(help: "Test-time augmentation: average the probabilities over 5 fixed views of each image.")
    var tta = false

    @OptionGroup var threadOptions: ThreadOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one PNG or DICOM file to diagnose") }
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

        /// `3 image(s) diagnosed in 12.5 ms`, then `; 2 failed (errors above)` when some could not be read:
        /// the images counted are the ones diagnosed.
        var summary: String {
            let failed = predictions.filter { $0.error != nil }.count
            let line = "\(predictions.count - failed) image(s) diagnosed in \(fmt(total_ms, 1)) ms"
            return failed == 0 ? line : line + "; \(failed) failed (errors above)"
        }
    }

    func run() async throws {
        let output = try predict()
        if json {
            try Terminal.printJSON(output)
        } else {
            for p in output.predictions {
                if let error = p.error { print("\(p.file): error: \(error)"); continue }
                let probs = output.classes.map { "\($0) \(fmt(Double(p.probabilities![$0]!), 3))" }.joined(
                    separator: "  ")
                print("\(p.file): \(p.predicted!)  (\(probs))  \(fmt(p.ms, 2)) ms")
            }
            print(output.summary)
        }
        if output.predictions.contains(where: { $0.error != nil }) { throw ExitCode(1) }
    }

    /// Loads the checkpoint and diagnoses every file; a file that cannot be read gets an error entry.
    func predict() throws -> Output {
        let (net, threshold) = try SampleLoading.imageModel(model)
        let predictor = Predictor(model: net, threads: threadOptions.count, chunk: 1)
        let start = DispatchTime.now().uptimeNanoseconds
        var predictions: [Prediction] = []
        for path in files {
            let t0 = DispatchTime.now().uptimeNanoseconds
            do {
                let p = try probabilities(of: path, net, predictor)
                let best = SampleLoading.predictedClass(p, threshold: threshold)
                let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
                predictions.append(
                    Prediction(
                        file: path, predicted: net.spec.classes[best],
                        probabilities: Dictionary(uniqueKeysWithValues: zip(net.spec.classes, p)), ms: ms))
            } catch {
                predictions.append(Prediction(file: path, error: "\(error)"))
            }
        }
        let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        return Output(model: model, classes: net.spec.classes, predictions: predictions, total_ms: total)
    }

    /// The image's probabilities at the model's temperature; with --tta the mean over its test-time views.
    private func probabilities(of path: String, _ net: Model, _ predictor: Predictor) throws -> [Float] {
        guard tta else { return predictor.probabilities(sample: try SampleLoading.imageSample(path, for: net).sample) }
        let shape = net.spec.inputShape
        let image = try ImageFile.read(contentsOf: path).resized(width: shape[2], height: shape[1])
        let one = Dataset(classNames: net.spec.classes, sampleShape: shape, bytes: image.pixels, labels: [0])
        return Scoring.probabilities(
            Scoring.logitViews(predictor, one, tta: true), classes: net.classCount, temperature: net.temperature)
    }
}
