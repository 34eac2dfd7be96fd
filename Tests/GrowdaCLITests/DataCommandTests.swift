import ArgumentParser
import Foundation
import GrowdaData
import GrowdaTestKit
import Testing

@testable import GrowdaCLI

@Suite struct DataCommandTests {
    /// The user-facing message for parsing `arguments` as `growda …`, or nil when they parse.
    static func parseError(_ arguments: [String]) -> String? {
        do {
            _ = try Growda.parseAsRoot(arguments)
            return nil
        } catch {
            return Growda.message(for: error)
        }
    }

    static let split = ["data", "split", "--from", "/tmp/in", "--out", "/tmp/out", "--hospitals", "3"]

    @Test func splitNeedsExactlyOneOfIIDAndAlpha() {
        #expect(Self.parseError(Self.split)?.contains("Give --iid for an even split or --alpha") == true)
        #expect(Self.parseError(Self.split + ["--iid", "--alpha", "0.5"]) == "Give either --iid or --alpha, not both.")
        #expect(Self.parseError(Self.split + ["--iid"]) == nil)
        #expect(Self.parseError(Self.split + ["--alpha", "0.5"]) == nil)
    }

    @Test func splitRejectsBadNumbers() {
        #expect(Self.parseError(Self.split + ["--alpha", "0"]) == "--alpha must be a positive number, got 0.0.")
        #expect(Self.parseError(Self.split + ["--alpha", "-1"])?.contains("--alpha") == true)
        #expect(Self.parseError(Self.split + ["--alpha", "abc"])?.contains("--alpha") == true)
        let noHospitals = ["data", "split", "--from", "a", "--out", "b", "--hospitals", "0", "--iid"]
        #expect(Self.parseError(noHospitals) == "--hospitals must be between 1 and 999, got 0.")
        #expect(Self.parseError(Self.split + ["--iid", "--min-per-hospital", "0"])?.contains("at least 1") == true)
        let same = ["data", "split", "--from", "/x/d", "--out", "/x/d/", "--hospitals", "2", "--iid"]
        #expect(Self.parseError(same) == "--out must differ from --from.")
    }

    @Test func splitRequiresItsFolders() {
        #expect(Self.parseError(["data", "split", "--hospitals", "2", "--iid"])?.contains("--from") == true)
    }

    @Test func synthValidatesSizeAndCount() {
        let synth = ["data", "synth", "--out", "/tmp/x"]
        #expect(Self.parseError(synth) == nil)
        #expect(Self.parseError(synth + ["--size", "8"]) == "--size must be in 16–512, got 8.")
        #expect(Self.parseError(synth + ["--per-class", "0"]) == "--per-class must be at least 1, got 0.")
        #expect(Self.parseError(["data", "synth"])?.contains("--out") == true)
    }

    @Test func parsedSplitCarriesTheMode() throws {
        let command = try #require(try Growda.parseAsRoot(Self.split + ["--alpha", "0.3"]) as? DataCommand.Split)
        #expect(command.mode == .dirichlet(alpha: 0.3))
        #expect(command.hospitals == 3 && command.seed == 1)
    }

    /// Parses `arguments` as `growda …` and runs the command.
    static func run(_ arguments: [String]) async throws {
        let parsed = try Growda.parseAsRoot(arguments)
        guard var command = parsed as? any AsyncParsableCommand else {
            Issue.record("\(arguments) did not parse to an async command")
            return
        }
        try await command.run()
    }

    @Test func synthThenSplitLaysOutHospitals() async throws {
        let dir = try TemporaryDirectory()
        let images = dir.path("synth"), hospitals = dir.path("hospitals")
        try await Self.run(["data", "synth", "--out", images, "--per-class", "20", "--seed", "3"])
        try await Self.run([
            "data", "split", "--from", images, "--out", hospitals, "--hospitals", "3", "--alpha", "0.5", "--json",
        ])

        var total = 0
        for h in 1...3 {
            for name in SyntheticXray.classNames {
                let folder = "\(hospitals)/hospital-0\(h)/\(name)"
                total += try FileManager.default.contentsOfDirectory(atPath: folder).count
            }
        }
        #expect(total == 60)
        let (data, _) = try Dataset.loadFolder(hospitals + "/hospital-01", height: 28, width: 28)
        #expect(data.classNames == SyntheticXray.classNames)

        // A second split into the same, now non-empty, folder is refused with a hint.
        await #expect {
            try await Self.run(["data", "split", "--from", images, "--out", hospitals, "--hospitals", "3", "--iid"])
        } throws: { error in
            "\(error)".contains("is not empty")
        }
    }

    @Test func tableAlignsColumns() {
        let report = DataCommand.SplitReport(
            from: "in", out: "out", mode: "iid", seed: 1, classes: ["a", "bb"],
            hospitals: [
                DataCommand.HospitalCounts(name: "hospital-01", classCounts: [5, 100], total: 105),
                DataCommand.HospitalCounts(name: "hospital-02", classCounts: [12, 0], total: 12),
            ], linked: 117, copied: 0)
        #expect(
            report.table() == """
                hospital      a   bb  total
                hospital-01   5  100    105
                hospital-02  12    0     12
                all          17  100    117
                """)
    }
}

/// `growda data holdout` on a signal CSV: whole records on each side, both written with a record column.
@Suite struct SignalHoldoutTests {
    @Test func aSignalCSVIsHeldOutByWholeRecords() async throws {
        let dir = try TemporaryDirectory()
        let source = dir.path("beats.csv")
        // Headerless beats with the record side file beside them, as mitbih-pvc has them.
        let beats = SyntheticECG.generate(records: 12, beatsPerRecord: 30, seed: 6)
        try beats.withGroups(nil).writeCSV(to: source)
        let side = "row,record,sample,label\n"
            + beats.groups!.enumerated().map { "\($0),\($1),\(beats.rPeaks![$0]),\(beats.labels[$0])" }
            .joined(separator: "\n") + "\n"
        try side.write(toFile: dir.path("beats_beats.csv"), atomically: true, encoding: .utf8)
        try await DataCommandTests.run([
            "data", "holdout", "--from", source, "--out", dir.path("split"), "--fraction", "0.25", "--json",
        ])
        let train = try Dataset.loadCSV(dir.path("split/train.csv"))
        let holdout = try Dataset.loadCSV(dir.path("split/holdout.csv"))
        #expect(train.count + holdout.count == 360)
        let trainRecords = Set(train.groups!), heldRecords = Set(holdout.groups!)
        #expect(trainRecords.isDisjoint(with: heldRecords) && trainRecords.count + heldRecords.count == 12)
        #expect((2...4).contains(heldRecords.count))
        // Every record is on one side with all of its beats.
        for record in heldRecords {
            #expect(holdout.groups!.filter { $0 == record }.count == 30)
        }
        // The R peaks travel with the beats (a record,sample,… header), so the parts can be split again and read
        // with their rhythm.
        #expect(train.rPeaks != nil && holdout.rPeaks != nil)
        try await DataCommandTests.run([
            "data", "holdout", "--from", dir.path("split/train.csv"), "--out", dir.path("inner"), "--json",
        ])
        let inner = try Dataset.loadCSV(dir.path("inner/train.csv"), channels: 2)
        #expect(inner.sampleShape == [2, 187] && inner.rPeaks != nil)
    }

    @Test func aSignalCSVWithoutRecordsIsRefusedWithWhatToDo() async throws {
        let dir = try TemporaryDirectory()
        let source = dir.path("plain.csv")
        try "0.1,0.2,0\n0.3,0.4,1\n".write(toFile: source, atomically: true, encoding: .utf8)
        await #expect {
            try await DataCommandTests.run(["data", "holdout", "--from", source, "--out", dir.path("split")])
        } throws: { error in
            "\(error)".contains("does not say which record") && "\(error)".contains("plain_beats.csv")
        }
        #expect(
            DataCommandTests.parseError(["data", "holdout", "--from", "a.csv", "--out", "o", "--manifest", "m.csv"])?
                .contains("--records") == true)
    }
}
