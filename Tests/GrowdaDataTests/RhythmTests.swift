import Foundation
import GrowdaTestKit
import Testing

@testable import GrowdaData

/// RR intervals from R-peak positions, the rhythm channel, and where the positions come from.
@Suite struct RhythmTests {
    @Test func ratiosByHand() {
        // Record a: R peaks 0, 300, 600, 780 (early), 1200 (after a pause); intervals 300, 300, 180, 420, mean 300.
        // Record b's two beats and a's rows are interleaved and out of order: ratios follow each record's positions.
        let records = ["a", "b", "a", "a", "b", "a", "a"]
        let peaks = [600, 50, 0, 1200, 350, 780, 300]
        let r = Rhythm.ratios(records: records, rPeaks: peaks)
        #expect(r[5] == Rhythm.Ratios(before: 0.6, after: 1.4, local: 0.6))  // the early beat (780)
        #expect(r[2] == Rhythm.Ratios(before: 1, after: 1, local: 1))  // a's first beat uses its RR after
        #expect(abs(r[3].before - 1.4) < 1e-6 && abs(r[3].after - 1.4) < 1e-6)
        #expect(abs(r[3].local - 420 / 260) < 1e-6)  // against the mean of 300, 300, 180
        #expect(r[1] == Rhythm.Ratios(before: 1, after: 1, local: 1) && r[4] == r[1])  // b: one interval
        #expect(Rhythm.ratios(records: ["x"], rPeaks: [10]) == [Rhythm.Ratios(before: 1, after: 1, local: 1)])
        #expect(Rhythm.peakIndex(length: 187) == 90)
    }

    @Test func theRhythmChannelFollowsTheBeat() throws {
        let beats = Dataset(
            classNames: ["0", "1"], sampleShape: [1, 187], floats: (0..<(3 * 187)).map { Float($0 % 187) / 187 },
            labels: [0, 1, 0], groups: ["r", "r", "r"], rPeaks: [0, 200, 600])
        let two = try beats.addingRhythmChannel(origin: "test")
        #expect(two.sampleShape == [2, 187])
        guard case .floats(let f) = two.samples else { Issue.record("not floats"); return }
        let second = Array(f[(2 * 187)..<(4 * 187)])  // beat 1: its two channels
        #expect(Array(second[0..<187]) == (0..<187).map { Float($0) / 187 })  // the beat itself
        // Beat 1: before 200 / mean 300, after 400 / 300, local 200 / 200 (its own RR before: no earlier one).
        #expect(abs(second[187] - 2.0 / 3) < 1e-6 && abs(second[187 + 89] - 2.0 / 3) < 1e-6)
        #expect(second[187 + 90] == 1)
        #expect(abs(second[187 + 91] - 4.0 / 3) < 1e-6 && abs(second[373] - 4.0 / 3) < 1e-6)
        #expect(two.groups == beats.groups && two.rPeaks == beats.rPeaks)
        #expect(throws: DatasetError.self) { try beats.withRPeaks(nil).addingRhythmChannel(origin: "x") }
    }

    @Test func rPeaksComeFromTheSideFileOrASampleColumnAndSurviveAWrite() throws {
        let dir = try TemporaryDirectory()
        let path = try CSVRecordsTests.file(dir, "train.csv", CSVRecordsTests.rows)
        _ = try CSVRecordsTests.file(
            dir, "train_beats.csv", "row,record,sample,symbol,label\n0,101,396,N,0\n1,101,711,V,1\n2,106,80,N,0\n")
        let loaded = try Dataset.loadCSV(path, sampleLength: 2)
        #expect(loaded.rPeaks == [396, 711, 80])
        // Written with its records and R peaks (record,sample,… header) and read back the same.
        let copy = dir.path("copy.csv")
        try loaded.writeCSV(to: copy)
        #expect(try String(contentsOfFile: copy, encoding: .utf8).hasPrefix("record,sample,s0,s1,label\n101,396,"))
        let again = try Dataset.loadCSV(copy, sampleLength: 2)
        #expect(again.rPeaks == [396, 711, 80] && again.groups == ["101", "101", "106"])
        #expect(again.samples == loaded.samples)
        // A side file whose sample is not a position is refused with the file and line.
        _ = try CSVRecordsTests.file(dir, "bad_beats.csv", "row,record,sample\n0,1,x\n1,1,2\n2,1,3\n")
        _ = try CSVRecordsTests.file(dir, "bad.csv", CSVRecordsTests.rows)
        #expect { try Dataset.loadCSV(dir.path("bad.csv"), sampleLength: 2) } throws: {
            "\($0)".contains("bad_beats.csv") && "\($0)".contains("R-peak")
        }
        // Two channels without R peaks: the error says what to give.
        let plain = try CSVRecordsTests.file(dir, "plain.csv", "record,s0,s1,label\n1,0.1,0.2,0\n")
        #expect { try Dataset.loadCSV(plain, sampleLength: 2, channels: 2) } throws: {
            "\($0)".contains("plain.csv") && "\($0)".contains("sample")
        }
    }

    @Test func syntheticPVCsComeEarly() throws {
        let data = SyntheticECG.generate(records: 6, beatsPerRecord: 120, seed: 4)
        let ratios = Rhythm.ratios(records: try #require(data.groups), rPeaks: try #require(data.rPeaks))
        let pvc = data.labels.indices.filter { data.labels[$0] == 1 }.map { ratios[$0].local }
        let normal = data.labels.indices.filter { data.labels[$0] == 0 }.map { ratios[$0].local }
        #expect(pvc.count > 10)
        let pvcMean: Float = pvc.reduce(0, +) / Float(pvc.count)
        let normalMean: Float = normal.reduce(0, +) / Float(normal.count)
        #expect(pvcMean < 0.9 * normalMean, "PVC \(pvcMean), normal \(normalMean)")
    }
}
