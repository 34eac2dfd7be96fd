import ArgumentParser
import Foundation
import GrowdaData

extension DataCommand {
    /// `growda data holdout`: a stratified train / held-out split of a folder, keeping each patient on one side.
    struct Holdout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Split FROM/<class>/ (PNG or DICOM images) into OUT/train and OUT/holdout, stratified by class.",
            discussion: """
                With --manifest (a CSV with file,label and patient_id columns, e.g. kermany3's \
                train_manifest.csv), all images of one patient land on the same side, so the held-out \
                figures are not inflated by a patient seen in training. Files are hard-linked when possible.
                """
        )

        @Option(help: ArgumentHelp("Folder to split, laid out as <class>/*.png or *.dcm.", valueName: "dir"))
        var from: String

        @Option(help: ArgumentHelp("CSV listing file,label,patient_id for the images under --from.", valueName: "csv"))
        var manifest: String?

        @Option(
            help: ArgumentHelp(
                "New or empty folder to write train/<class>/ and holdout/<class>/ into.", valueName: "dir"))
        var out: String

        @Option(parsing: .unconditional, help: "Fraction of each class to hold out, in (0, 1).")
        var fraction: Double = 0.2

        @Option(parsing: .unconditional, help: "Random seed: the same seed gives the same split.")
        var seed: UInt64 = 1

        @Flag(help: "Copy files instead of hard-linking them.")
        var copy = false

        @Flag(help: "Print the counts as JSON.")
        var json = false

        func validate() throws {
            guard fraction > 0 && fraction < 1 else {
                throw ValidationError("--fraction must be in (0, 1), got \(fraction)")
            }
        }

        /// What went where (JSON keys are stable).
        struct Report: Codable {
            var classes: [String]
            var train: [Int]
            var holdout: [Int]
            var patients_train: Int?
            var patients_holdout: Int?
        }

        func run() async throws {
            let catalog =
                try manifest.map { try ImageCatalog.readManifest($0, imagesRoot: from) }
                ?? ImageCatalog.scanFolder(from)
            let groups = manifest == nil ? nil : catalog.entries.enumerated().map { $1.group ?? "#\($0)" }
            let (trainIdx, holdIdx) = try TrainValidationSplit.split(
                labels: catalog.labels, groups: groups, validationFraction: fraction, seed: seed)
            var placer = FilePlacer(copy: copy)
            try placer.prepareEmptyFolder(out)
            for (part, indices) in [("train", trainIdx), ("holdout", holdIdx)] {
                for name in catalog.classNames { try placer.makeFolder("\(out)/\(part)/\(name)") }
                for i in indices {
                    let entry = catalog.entries[i]
                    try placer.put(entry.path, into: "\(out)/\(part)/\(catalog.classNames[Int(entry.label)])")
                }
            }
            let report = Report(
                classes: catalog.classNames, train: catalog.subset(trainIdx).classCounts,
                holdout: catalog.subset(holdIdx).classCounts,
                patients_train: groups.map { g in Set(trainIdx.map { g[$0] }).count },
                patients_holdout: groups.map { g in Set(holdIdx.map { g[$0] }).count })
            if json {
                try Terminal.printJSON(report)
            } else {
                for (i, name) in catalog.classNames.enumerated() {
                    print(
                        "\(name.padding(toLength: 12, withPad: " ", startingAt: 0)) train \(report.train[i])  holdout \(report.holdout[i])"
                    )
                }
                if let pt = report.patients_train, let ph = report.patients_holdout {
                    print("patients: \(pt) in train, \(ph) held out, none on both sides")
                }
                print(
                    "\(placer.linked) files hard-linked, \(placer.copied) copied into \(out)/train and \(out)/holdout")
            }
        }
    }
}
