import Foundation
import GrowdaData

extension DataCommand.Holdout {
    /// Splits the signal CSV `from` by record into `out/train.csv` and `out/holdout.csv` (both with a record
    /// column), and reports the counts.
    func splitSignals() throws {
        let progress = Terminal.ProgressLine(enabled: !json)
        progress.update(fraction: 0, "loading \(from)")
        let all = try Dataset.loadCSV(from, sampleLength: Dataset.csvSampleLength(from), records: records)
        progress.finish()
        guard let groups = all.groups else {
            throw CLIError(
                "\(from) does not say which record (patient) each row comes from, so a hold-out could share "
                    + "patients with training; give a side file with row,record columns (--records FILE, or "
                    + "\(URL(fileURLWithPath: from).deletingPathExtension().lastPathComponent)_beats.csv beside it), "
                    + "or a record column (header record,…)")
        }
        let (trainIdx, holdIdx) = try TrainValidationSplit.splitGroups(
            labels: all.labels, groups: groups, fraction: fraction, seed: seed)
        try DataCommand.FilePlacer(copy: true).prepareEmptyFolder(out)
        try all.writeCSV(to: out + "/train.csv", rows: trainIdx)
        try all.writeCSV(to: out + "/holdout.csv", rows: holdIdx)
        let held = Set(holdIdx.map { groups[$0] })
        let report = Report(
            classes: all.classNames, train: all.subset(trainIdx).classCounts, holdout: all.subset(holdIdx).classCounts,
            records_train: Set(trainIdx.map { groups[$0] }).count, records_holdout: held.count,
            holdout_records: held.sorted())
        if json {
            try Terminal.printJSON(report)
            return
        }
        for (i, name) in all.classNames.enumerated() {
            print(
                "\(name.padding(toLength: 12, withPad: " ", startingAt: 0)) train \(report.train[i])  "
                    + "holdout \(report.holdout[i])")
        }
        print(
            "records: \(report.records_train!) in train, \(report.records_holdout!) held out "
                + "(\(report.holdout_records!.joined(separator: ", "))), none on both sides")
        print("wrote \(out)/train.csv and \(out)/holdout.csv")
    }
}
