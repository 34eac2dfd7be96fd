import Foundation
import GrowdaData
import GrowdaNN
import GrowdaSafetensors
import GrowdaTensor

/// Loads the samples a model takes from a path: a folder `root/<class>/*.png` for image models,
/// or a CSV of signals (`*.csv`, each row the samples then the label) for 1-D models.
enum SampleLoading {
    /// Loads `path` for a model with this input shape and (when known) these classes; reports
    /// skipped files on stderr unless `quiet`. With `manifest` (a CSV of file,label,patient_id under the
    /// image folder `path`), the images are the manifest's and each carries its patient as its group.
    static func load(
        _ path: String, inputShape: [Int], classNames: [String]?, quiet: Bool, strict: Bool = false,
        manifest: String? = nil
    ) throws -> Dataset {
        if path.hasSuffix(".csv") {
            guard inputShape.count == 2 else {
                throw CLIError("\(path) is a CSV of signals, but the model takes images of shape \(inputShape)")
            }
            return try Dataset.loadCSV(
                path, sampleLength: inputShape[1], channels: inputShape[0], classNames: classNames)
        }
        guard inputShape.count == 3 else {
            throw CLIError(
                "\(path) is an image folder, but the model takes signals of shape \(inputShape): give a .csv")
        }
        let progress = Terminal.ProgressLine(enabled: !quiet)
        let catalog =
            try manifest.map { try ImageCatalog.readManifest($0, imagesRoot: path, classNames: classNames) }
            ?? ImageCatalog.scanFolder(path, classNames: classNames)
        let (dataset, report) = try Dataset.load(
            catalog, height: inputShape[1], width: inputShape[2], skipUnreadable: !strict,
            progress: { done, total in
                progress.update(fraction: Double(done) / Double(total), "loading \(path): \(done)/\(total)")
            })
        progress.finish()
        if report.skippedCount > 0 && !quiet {
            Terminal.note("warning: skipped \(report.skippedCount) unreadable file(s) in \(path):")
            for file in report.skipped.prefix(10) { Terminal.note("  \(file.path): \(file.reason)") }
            if report.skippedCount > 10 { Terminal.note("  … and \(report.skippedCount - 10) more") }
        }
        return dataset
    }
}

extension SampleLoading {
    /// The checkpoint file at `path`, or an error saying which file to give when there is none.
    static func checkpointFile(_ path: String) throws -> SafetensorsFile {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError(
                "no checkpoint at \(path): give --model the .safetensors file growda train wrote (at a hospital, "
                    + "the node's state folder's model.safetensors; at the aggregator, growda model export)")
        }
        return try SafetensorsFile(contentsOf: path)
    }

    /// The image model in the checkpoint at `path` and, for two classes, the decision threshold stored
    /// with it (see `predictedClass`).
    static func imageModel(_ path: String) throws -> (model: Model, threshold: Float?) {
        let file = try checkpointFile(path)
        let model = try Model(checkpoint: file, origin: path)
        let shape = model.spec.inputShape
        guard shape.count == 3 else {
            throw CLIError(
                "\(path) is a signal model (\(shape)), and this command takes PNG images; "
                    + "use `growda eval --data FILE.csv` for signals")
        }
        let threshold = model.classCount == 2 ? Model.facts(of: file)["threshold"].flatMap(Float.init) : nil
        return (model, threshold)
    }

    /// The PNG or DICOM image at `path` as read, and as `model`'s input: resized to its (H, W), gray levels over 255.
    static func imageSample(_ path: String, for model: Model) throws -> (scan: GrayImage, sample: [Float]) {
        let shape = model.spec.inputShape
        let scan = try ImageFile.read(contentsOf: path)
        return (scan, scan.resized(width: shape[2], height: shape[1]).pixels.map { Float($0) / 255 })
    }

    /// The class a checkpoint decides on: class 1 when its probability reaches the stored threshold (two
    /// classes), else the most probable.
    static func predictedClass(_ p: [Float], threshold: Float?) -> Int {
        if let threshold { return p[1] >= threshold ? 1 : 0 }
        return p.indices.max { p[$0] < p[$1] }!
    }
}

/// An error the command line reports as it is: a message saying what failed and what to do.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
