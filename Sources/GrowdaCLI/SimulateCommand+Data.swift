import Foundation
import GrowdaData
import GrowdaNN

extension SimulateCommand {
    /// What a simulation hands its hospitals and its aggregator.
    struct SimulationData {
        /// The federation's classes.
        var classNames: [String]
        /// Each hospital's `growda-node run --data` path, in hospital order, and its sample count.
        var hospitalPaths: [String]
        var hospitalCounts: [Int]
        /// Records (patients) per hospital, when the data names them.
        var hospitalRecords: [Int]?
        /// What the centralized reference trains on: every hospital's samples.
        var trainPath: String
        /// The same, already loaded (signal CSVs).
        var trainSet: Dataset?
        /// The aggregator's evaluation set (folder or CSV), its size and records.
        var evalPath: String?
        var evalCount: Int
        var evalRecords: Int?
        /// For the report: the data and where the evaluation set came from.
        var description: String
        var evalSource: String?
        /// "images" or "beats".
        var sampleKind: String
    }

    /// Splits the images of `--data` (synthetic chest X-rays without it) among the hospitals as folders
    /// `root/hospitals/<name>/<class>/`, hard-linked.
    func prepareImages(root: String, names: [String], say: (String) -> Void) throws -> SimulationData {
        var dataDir = data, evalDir = eval
        var evalSource = eval.map { "--eval \($0)" }
        let size = syntheticSide ?? 28
        if dataDir == nil {
            say("synthesizing \(synthPerClass) images per class (\(size)×\(size)) and an evaluation set")
            _ = try SyntheticXray.write(perClass: synthPerClass, size: size, seed: seed, to: root + "/synthetic/train")
            dataDir = root + "/synthetic/train"
            if evalDir == nil {
                _ = try SyntheticXray.write(
                    perClass: max(50, synthPerClass / 4), size: size, seed: seed &+ 7919, to: root + "/synthetic/eval")
                evalDir = root + "/synthetic/eval"
                evalSource = "synthetic"
            }
        }
        let catalog = try ImageCatalog.scanFolder(dataDir!)
        let parts = try HospitalSplit.split(
            catalog, hospitals: hospitals, mode: alpha.map { .dirichlet(alpha: $0) } ?? .iid, seed: seed)
        var placer = DataCommand.FilePlacer(copy: false)
        for (name, indices) in zip(names, parts) {
            for c in catalog.classNames { try placer.makeFolder("\(root)/hospitals/\(name)/\(c)") }
            for i in indices {
                let entry = catalog.entries[i]
                try placer.put(entry.path, into: "\(root)/hospitals/\(name)/\(catalog.classNames[Int(entry.label)])")
            }
        }
        say(
            "split \(catalog.entries.count) images among \(hospitals) hospitals: "
                + parts.map { String($0.count) }.joined(separator: " / "))
        return SimulationData(
            classNames: catalog.classNames, hospitalPaths: names.map { "\(root)/hospitals/\($0)" },
            hospitalCounts: parts.map(\.count), hospitalRecords: nil, trainPath: dataDir!, trainSet: nil,
            evalPath: evalDir, evalCount: (try? ImageCatalog.scanFolder(evalDir ?? "").entries.count) ?? 0,
            evalRecords: nil,
            description: data == nil
                ? "synthetic chest X-rays, \(synthPerClass) per class (\(catalog.classNames.joined(separator: "/")))"
                : dataDir!,
            evalSource: evalSource, sampleKind: "images")
    }

    /// Splits the beats of the signal CSV `--data` (synthetic ECG records without it) among the hospitals by
    /// record, as `root/hospitals/<name>/beats.csv` with a record column. Without `--eval`, whole records are
    /// held out of `--data` for the aggregator's evaluation set, so no record is both trained and scored on.
    func prepareSignals(root: String, names: [String], say: (String) -> Void) throws -> SimulationData {
        let length = try ModelSpec.reference(model, classes: ["?"]).orThrow().inputShape[1]
        var all: Dataset
        var evalSet: Dataset?
        var evalPath = eval
        var evalSource = eval.map { "--eval \($0)" }
        let description: String
        if let data {
            all = try Dataset.loadCSV(data, sampleLength: length, records: records)
            description = data
            if all.groups == nil {
                say(
                    "warning: \(data) names no records (no record column, no --records, no "
                        + "\(URL(fileURLWithPath: data).deletingPathExtension().lastPathComponent)_beats.csv beside "
                        + "it): beats are split one by one, so one patient's beats may reach several hospitals")
            }
        } else {
            let evalRecordCount = max(4, synthRecords / 4)
            say(
                "synthesizing \(synthRecords) ECG records of \(synthBeats) beats for the hospitals"
                    + (eval == nil ? " and \(evalRecordCount) other records to evaluate on" : ""))
            all = try SyntheticECG.write(
                records: synthRecords, beatsPerRecord: synthBeats, seed: seed, to: root + "/synthetic/train.csv")
            description = "synthetic ECG beats, \(synthRecords) records of \(synthBeats) beats"
            if eval == nil {
                evalPath = root + "/synthetic/eval.csv"
                evalSet = try SyntheticECG.write(
                    records: evalRecordCount, beatsPerRecord: synthBeats, seed: seed, first: synthRecords,
                    to: evalPath!)
                evalSource = "synthetic"
            }
        }
        if let eval {
            evalSet = try Dataset.loadCSV(eval, sampleLength: length, classNames: all.classNames)
            if let shared = Self.sharedRecords(all, evalSet!), !shared.isEmpty {
                say(
                    "warning: \(shared.count) record(s) are both in --data and --eval (\(shared.prefix(5).joined(separator: ", ")))"
                        + "; their scores are inflated")
            }
        } else if evalSet == nil {
            // --data without --eval: hold out whole records (beats one by one when none are named).
            let held: [Int], kept: [Int]
            if let groups = all.groups {
                (kept, held) = try TrainValidationSplit.splitGroups(
                    labels: all.labels, groups: groups, fraction: Self.heldOutFraction, seed: seed)
            } else {
                (kept, held) = try TrainValidationSplit.split(
                    labels: all.labels, validationFraction: Self.heldOutFraction, seed: seed)
            }
            evalPath = root + "/eval/beats.csv"
            evalSet = all.subset(held)
            try evalSet!.writeCSV(to: evalPath!)
            all = all.subset(kept)
            let records = evalSet!.groups.map { Set($0).count }
            evalSource =
                "held out of --data: "
                + (records.map { "\($0) whole records" } ?? "beats one by one (no records named)")
            say("held out \(held.count) beats" + (records.map { " of \($0) records" } ?? "") + " to evaluate on")
        }
        let parts = try HospitalSplit.split(
            all, hospitals: hospitals, mode: alpha.map { .dirichlet(alpha: $0) } ?? .iid, seed: seed,
            keepGroupsTogether: true)
        let paths = names.map { "\(root)/hospitals/\($0)/beats.csv" }
        for (path, indices) in zip(paths, parts) { try all.writeCSV(to: path, rows: indices) }
        let recordsPer = all.groups.map { g in parts.map { Set($0.map { g[$0] }).count } }
        say(
            "split \(all.count) beats" + (all.groups.map { " of \(Set($0).count) records" } ?? "")
                + " among \(hospitals) hospitals: " + parts.map { String($0.count) }.joined(separator: " / ")
                + (recordsPer.map { " beats, " + $0.map(String.init).joined(separator: " / ") + " records" } ?? ""))
        return SimulationData(
            classNames: all.classNames, hospitalPaths: paths, hospitalCounts: parts.map(\.count),
            hospitalRecords: recordsPer, trainPath: data ?? root + "/synthetic/train.csv", trainSet: all,
            evalPath: evalPath, evalCount: evalSet?.count ?? 0, evalRecords: evalSet?.groups.map { Set($0).count },
            description: description, evalSource: evalSource, sampleKind: "beats")
    }

    /// The share of `--data`'s records held out for evaluation when no `--eval` is given (signal CSVs).
    static let heldOutFraction = 0.2

    /// Records in both sets, sorted; nil when either names none.
    static func sharedRecords(_ a: Dataset, _ b: Dataset) -> [String]? {
        guard let ga = a.groups, let gb = b.groups else { return nil }
        return Set(ga).intersection(gb).sorted()
    }
}
