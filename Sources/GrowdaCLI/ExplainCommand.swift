import ArgumentParser
import Dispatch
import Foundation
import GrowdaCharts
import GrowdaData
import GrowdaNN

/// `growda explain`: a Grad-CAM heat map over one scan, showing where the model found its evidence.
struct ExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "A Grad-CAM heat map of where in a scan the model found its evidence.",
        discussion: """
            Grad-CAM weighs each feature map of the model's last convolution (after its ReLU) by the mean \
            gradient of the class's score (its logit, before softmax) and keeps the positive part of the \
            sum: bright where features that raise the score are active, dark where nothing raised it. It \
            shows where the model looked, not whether it is right; the map is as coarse as the last \
            convolution (28×28 for xray128).
            The scan is resized to the model's input as growda predict does. The overlay PNG is written at \
            the scan's own size, the map stretched over it in an inferno ramp (dark: no evidence, pale \
            yellow: the strongest). --json prints the map at the model's input resolution.
            """)

    @Option(help: "The checkpoint (.safetensors), e.g. a node's latest global model.")
    var model: String

    @Argument(help: "The PNG scan to explain.")
    var file: String

    @Option(help: "Where to write the overlay PNG, at the scan's size (optional with --json).")
    var out: String?

    @Option(name: .customLong("class"), help: "The class to explain, by name or index (default: the predicted one).")
    var targetClass: String?

    @Option(help: "How much the heat map covers the scan, from 0 (the scan only) to 1 (the map only).")
    var opacity: Float = 0.5

    @OptionGroup var threadOptions: ThreadOptions

    @Flag(help: "Print one JSON object: probabilities, the class explained, the time taken and the map.")
    var json = false

    func validate() throws {
        guard opacity >= 0 && opacity <= 1 else {
            throw ValidationError("--opacity must be between 0 and 1, got \(opacity)")
        }
        guard out != nil || json else {
            throw ValidationError("give --out heat.png to write the overlay, or --json to print the map")
        }
        if let out, !out.lowercased().hasSuffix(".png") { throw ValidationError("--out must end in .png, got \(out)") }
    }

    struct Output: Codable {
        var model: String
        var file: String
        var classes: [String]
        var probabilities: [String: Float]
        var predicted: String
        /// The class explained.
        var target: String
        /// The explained convolution's parameters' prefix, e.g. `layers.6`, and its maps' shape (K, h, w).
        var layer: String
        var feature_maps: [Int]
        /// The forward pass and Grad-CAM, without reading the files or writing the overlay.
        var ms: Double
        var out: String?
        /// (H, W) at the model's input resolution, in [0, 1], four decimals.
        var map: [[Double]]
    }

    func run() async throws {
        let output = try explain()
        if json {
            try Terminal.printJSON(output)
            return
        }
        let probs = output.classes.map { "\($0) \(fmt(Double(output.probabilities[$0]!), 3))" }.joined(separator: "  ")
        let k = output.feature_maps
        print(
            "\(output.file): \(output.predicted)  (\(probs)); Grad-CAM of \(output.target) over \(output.layer) "
                + "(\(k[0]) maps of \(k[1])×\(k[2])) in \(fmt(output.ms, 2)) ms")
        if output.map.allSatisfy({ $0.allSatisfy { $0 == 0 } }) {
            print("the map is empty: no feature of the last convolution raised the score of \(output.target)")
        }
        if let out = output.out { print("overlay written to \(out)") }
    }

    /// Loads the checkpoint and the scan, explains it, and writes the overlay when --out is given.
    func explain() throws -> Output {
        let (net, threshold) = try SampleLoading.imageModel(model)
        let classes = net.spec.classes
        let explainer = try GradCAM(model: net, threads: threadOptions.count)
        let chosen = try targetClass.map { try Self.classIndex($0, classes: classes) }
        let (scan, sample) = try SampleLoading.imageSample(file, for: net)
        let start = DispatchTime.now().uptimeNanoseconds
        let e = try explainer.explain(sample: sample) { p in
            chosen ?? SampleLoading.predictedClass(p, threshold: threshold)
        }
        let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        if let out {
            let heat = e.resampled(height: scan.height, width: scan.width)
            try PNG.write(Colormap.inferno.overlay(heat, on: scan, opacity: opacity), to: out)
        }
        let map = (0..<e.height).map { y in
            (0..<e.width).map { x in (Double(e.upsampled[y * e.width + x]) * 10_000).rounded() / 10_000 }
        }
        return Output(
            model: model, file: file, classes: classes,
            probabilities: Dictionary(uniqueKeysWithValues: zip(classes, e.probabilities)),
            predicted: classes[SampleLoading.predictedClass(e.probabilities, threshold: threshold)],
            target: classes[e.targetClass], layer: "layers.\(explainer.convolutionIndex)",
            feature_maps: explainer.activationShape, ms: ms, out: out, map: map)
    }

    /// The index of `text` among `classes`: a class name, else an index.
    static func classIndex(_ text: String, classes: [String]) throws -> Int {
        if let i = classes.firstIndex(of: text) { return i }
        if let i = Int(text), classes.indices.contains(i) { return i }
        throw CLIError(
            "--class \(text) is not one of the model's classes: give a name (\(classes.joined(separator: ", "))) "
                + "or an index from 0 to \(classes.count - 1)")
    }
}
