import ArgumentParser
import Foundation
import GrowdaData

extension DataCommand {
    /// `growda data holdout`: a stratified train / held-out split of a folder or a signal CSV, keeping each patient
    /// (record) on one side.
    struct Holdout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Split FROM/<class>/ (PNG or DICOM images) into OUT/train and OUT/holdout, stratified by class; "
                + "or a signal CSV into OUT/train.csv and OUT/holdout.csv by record.",
            discussion: """
                With --manifest (a CSV with file,label and patient_id columns, e.g. kermany3's \
                train_manifest.csv), all images of one patient land on the same side, so the held-out \
                figures are not inflated by a patient seen in training. Files are hard-linked when possible.

                A signal CSV (FROM ending in .csv, e.g. MIT-BIH beats for ecg187) must name each row's record: \
                a record column, or a side file (--records, or FROM's X_beats.csv beside X.csv). Whole records \
                go to one side, chosen so each class's held-out share is as near --fraction as the records \
                allow; both outputs have a record column.
                """
        )

        @Option(
            help: ArgumentHelp(
                "Folder to split, laid out as <class>/*.png or *.dcm; or a signal CSV (*.csv).", valueName: "path"))
        var from: String

        @Option(
            help: ArgumentHelp(
                "Signal CSV only: the side file naming each row's record (row,record columns), if not FROM's "
                    + "X_beats.csv.", valueName: "csv"))
        var records: String?

        @Option(help: ArgumentHelp("CSV listing file,label,patient_id for the images under --from.", valueName: "csv"))
        var manifest: String?

        @Option(
            help: ArgumentHelp(
                "New or empty folder to write train/<class>/ and holdout/<class>/ (or train.csv and holdout.csv) into.",
                valueName: "dir"))
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
            if from.hasSuffix(".csv") {
                if manifest != nil {
                    throw ValidationError(
                        "--manifest lists images; \(from) is a signal CSV: name its records with --records")
                }
            } else if records != nil {
                throw ValidationError("--records names the records of a signal CSV; --from \(from) is not a .csv")
            }
        }

        /// What went where (JSON keys are stable).
        struct Report: Codable {
            var classes: [String]
            var train: [Int]
            var holdout: [Int]
            var patients_train: Int?
            var patients_holdout: Int?
            /// Signal CSVs: records on each side, and the held-out ones by name.
            var records_train: Int?
            var records_holdout: Int?
            var holdout_records: [String]?
        }

        func run() async throws {
            if from.hasSuffix(".csv") { return try splitSignals() }
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
