import Foundation
import GrowdaData
import GrowdaNN
import GrowdaTensor

/// Loads the samples a model takes from a path: a folder `root/<class>/*.png` for image models,
/// or a CSV of signals (`*.csv`, each row the samples then the label) for 1-D models.
enum SampleLoading {
    /// Loads `path` for a model with this input shape and (when known) these classes; reports
    /// skipped files on stderr unless `quiet`.
    static func load(
        _ path: String, inputShape: [Int], classNames: [String]?, quiet: Bool, strict: Bool = false
    ) throws -> Dataset {
        if path.hasSuffix(".csv") {
            guard inputShape.count == 2 else {
                throw CLIError("\(path) is a CSV of signals, but the model takes images of shape \(inputShape)")
            }
            return try Dataset.loadCSV(path, sampleLength: inputShape[1], classNames: classNames)
        }
        guard inputShape.count == 3 else {
            throw CLIError(
                "\(path) is an image folder, but the model takes signals of shape \(inputShape): give a .csv")
        }
        let progress = Terminal.ProgressLine(enabled: !quiet)
        let (dataset, report) = try Dataset.loadFolder(
            path, height: inputShape[1], width: inputShape[2], classNames: classNames, skipUnreadable: !strict,
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

/// An error the command line reports as it is: a message saying what failed and what to do.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
