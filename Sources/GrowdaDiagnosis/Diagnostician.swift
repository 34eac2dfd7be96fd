import Dispatch
import Foundation
import GrowdaCharts
import GrowdaData
import GrowdaNN
import GrowdaSafetensors

/// What a console answers for one image: the class probabilities, the decision, the time taken and, when
/// asked, the Grad-CAM explanation (the REST API's `Diagnosis` and `Explanation` schemas).
public struct Diagnosis: Encodable, Sendable {
    /// The image's format and size as uploaded.
    public struct ImageFacts: Encodable, Sendable {
        /// `png` or `dicom`.
        public var format: String
        /// Its size in pixels.
        public var width: Int, height: Int
    }

    /// The Grad-CAM map at the last convolution layer's resolution, normalised to [0, 1].
    public struct Map: Encodable, Sendable {
        /// Its size.
        public var width: Int, height: Int
        /// Rows of values in [0, 1], rounded to 4 decimals.
        public var values: [[Double]]
    }

    /// The global version of the model that answered (nil: a checkpoint that records none).
    public var model_version: UInt64?
    /// The classes in label order.
    public var classes: [String]
    /// One probability per class.
    public var probabilities: [Float]
    /// The most probable class.
    public var predicted: String
    /// The class the model's stored decision threshold gives (two classes), else the most probable.
    public var decision: String
    /// That threshold on p(class 1), when the checkpoint stores one.
    public var threshold: Float?
    /// Milliseconds from the decoded image to the answer, in the server.
    public var milliseconds: Double
    /// What was uploaded.
    public var image: ImageFacts
    /// The class explained (explain only).
    public var target_class: String?
    /// The map (explain only).
    public var map: Map?
    /// The image as shown under the map: gray PNG, base64 (explain only).
    public var image_png: String?
    /// The map in colour at the model's input size, base64 PNG, to stretch over `image_png` (explain only).
    public var heatmap_png: String?

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model_version, forKey: .model_version)
        try c.encode(classes, forKey: .classes)
        try c.encode(probabilities, forKey: .probabilities)
        try c.encode(predicted, forKey: .predicted)
        try c.encode(decision, forKey: .decision)
        try c.encode(threshold, forKey: .threshold)
        try c.encode(milliseconds, forKey: .milliseconds)
        try c.encode(image, forKey: .image)
        try c.encodeIfPresent(target_class, forKey: .target_class)
        try c.encodeIfPresent(map, forKey: .map)
        try c.encodeIfPresent(image_png, forKey: .image_png)
        try c.encodeIfPresent(heatmap_png, forKey: .heatmap_png)
    }

    enum CodingKeys: String, CodingKey {
        case model_version, classes, probabilities, predicted, decision, threshold, milliseconds, image
        case target_class, map, image_png, heatmap_png
    }
}

/// Why an image cannot be diagnosed: the REST API's 415 (not an image it reads) or 422 (an image it cannot
/// use), with a sentence naming the input and what to do.
public enum DiagnosisError: Error, CustomStringConvertible, Sendable {
    /// Neither PNG nor DICOM.
    case notAnImage(String)
    /// A PNG or DICOM that cannot be decoded or used.
    case unusable(String)
    /// A class to explain that the model does not have.
    case unknownClass(String)

    /// The sentence.
    public var description: String {
        switch self {
        case .notAnImage(let text), .unusable(let text), .unknownClass(let text): text
        }
    }
}

/// One model ready to diagnose images: the checkpoint's model, its stored decision threshold, and a
/// Grad-CAM explainer of its last convolution layer. Thread-safe: calls take turns on one workspace (a
/// diagnosis takes milliseconds).
public final class Diagnostician: @unchecked Sendable {
    /// The model.
    public let model: Model
    /// The global version it is (from the checkpoint's facts), if recorded.
    public let version: UInt64?
    /// The two-class decision threshold stored with it, if any.
    public let threshold: Float?
    private let explainer: GradCAM
    private let predictor: Predictor
    private let lock = NSLock()

    /// The largest side of the image returned under the map.
    public static let displaySide = 512

    /// Threads a diagnosis uses by default: this machine's cores, at most 4.
    public static var defaultThreads: Int { min(4, max(1, ProcessInfo.processInfo.activeProcessorCount)) }

    /// The image model in a checkpoint's bytes; `origin` names it in errors.
    public init(checkpoint bytes: [UInt8], origin: String, threads: Int = defaultThreads) throws {
        let file = try SafetensorsFile(bytes: bytes)
        let model = try Model(checkpoint: file, origin: origin)
        guard model.spec.inputShape.count == 3, model.spec.inputShape[0] == 1 else {
            throw DiagnosisError.unusable(
                "\(origin) is a \(model.spec.name) model (input \(model.spec.inputShape)); the diagnosis desk takes "
                    + "gray image models (small28, xray128, resnet128)")
        }
        let facts = Model.facts(of: file)
        self.model = model
        version = facts["global_version"].flatMap(UInt64.init)
        threshold = model.classCount == 2 ? facts["threshold"].flatMap(Float.init) : nil
        explainer = try GradCAM(model: model, threads: threads)
        predictor = Predictor(model: model, threads: threads, chunk: 1)
    }

    /// The class names.
    public var classes: [String] { model.spec.classes }

    /// Diagnoses the image file in `bytes` (PNG or DICOM); with `explain`, adds the Grad-CAM map of
    /// `targetClass` (a name or index; default the decision).
    /// - Parameter includeImage: whether an explanation carries `image_png` (a client that can show the file
    ///   itself, a browser with a PNG, skips it).
    public func diagnose(
        _ bytes: [UInt8], name: String, explain: Bool, targetClass: String? = nil, includeImage: Bool = true
    ) throws -> Diagnosis {
        let target = try targetClass.map(classIndex)
        let (scan, format) = try Self.decode(bytes, name: name)
        let shape = model.spec.inputShape
        let start = DispatchTime.now().uptimeNanoseconds
        let sample = scan.resized(width: shape[2], height: shape[1]).pixels.map { Float($0) / 255 }
        var explanation: GradCAM.Explanation?
        let probabilities: [Float]
        lock.lock()
        do {
            defer { lock.unlock() }
            if explain {
                let e = try explainer.explain(sample: sample) { p in target ?? self.decide(p) }
                explanation = e
                probabilities = e.probabilities
            } else {
                probabilities = predictor.probabilities(sample: sample)
            }
        }
        let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        var diagnosis = Diagnosis(
            model_version: version, classes: classes, probabilities: probabilities,
            predicted: classes[probabilities.indices.max { probabilities[$0] < probabilities[$1] }!],
            decision: classes[decide(probabilities)], threshold: threshold, milliseconds: milliseconds,
            image: .init(format: format, width: scan.width, height: scan.height))
        if let e = explanation {
            diagnosis.target_class = classes[e.targetClass]
            // The map at the last convolution layer's own resolution (what Grad-CAM computes; the heat map PNG
            // below is it stretched over the image): a few hundred numbers, not the input's many thousands.
            diagnosis.map = Diagnosis.Map(
                width: e.mapWidth, height: e.mapHeight,
                values: (0..<e.mapHeight).map { y in
                    (0..<e.mapWidth).map { x in (Double(e.map[y * e.mapWidth + x]) * 10_000).rounded() / 10_000 }
                })
            let scale = min(1, Double(Self.displaySide) / Double(max(scan.width, scan.height)))
            let width = max(1, Int((Double(scan.width) * scale).rounded()))
            let height = max(1, Int((Double(scan.height) * scale).rounded()))
            let shown = scale < 1 ? scan.resized(width: width, height: height) : scan
            // The heat layer at the model's input size: the browser stretches it over the image (the map is
            // smooth, coarser still than the input), which costs far less than colouring every shown pixel.
            let heat = Colormap.inferno.overlay(
                e.upsampled, on: GrayImage(width: e.width, height: e.height), opacity: 1)
            if includeImage { diagnosis.image_png = Data(try PNG.encode(shown, fast: true)).base64EncodedString() }
            diagnosis.heatmap_png = Data(try PNG.encode(heat, fast: true)).base64EncodedString()
        }
        return diagnosis
    }

    /// The decision: class 1 when its probability reaches the stored threshold (two classes), else the most
    /// probable.
    func decide(_ p: [Float]) -> Int {
        if let threshold { return p[1] >= threshold ? 1 : 0 }
        return p.indices.max { p[$0] < p[$1] }!
    }

    func classIndex(_ text: String) throws -> Int {
        if let i = classes.firstIndex(of: text) { return i }
        if let i = Int(text), classes.indices.contains(i) { return i }
        throw DiagnosisError.unknownClass(
            "class '\(text)' is not one of the model's classes: give a name (\(classes.joined(separator: ", "))) or "
                + "an index from 0 to \(classes.count - 1)")
    }

    /// The gray image in a PNG or DICOM file's bytes, and which it was.
    public static func decode(_ bytes: [UInt8], name: String) throws -> (GrayImage, String) {
        // ImageFile decodes anything not DICOM as PNG (to give PNG's own errors); here bytes that start as
        // neither are refused as not an image at all.
        let isDICOM = ImageFile.format(of: bytes, name: name) == .dicom
        guard isDICOM || bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) else {
            throw DiagnosisError.notAnImage(
                "\(name) is neither a PNG nor a DICOM file (no PNG signature, no DICM preamble): send the image file "
                    + "itself")
        }
        let format = isDICOM ? "dicom" : "png"
        do {
            return (try ImageFile.decode(bytes, name: name), format)
        } catch {
            throw DiagnosisError.unusable("\(error)")
        }
    }
}
