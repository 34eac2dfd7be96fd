import Foundation
import GrowdaTestKit
import Testing

@testable import GrowdaData

/// Signal CSVs name each row's record (patient) by a record column or a side file, so splits keep records whole.
@Suite struct CSVRecordsTests {
    /// Writes `text` to `name` in `dir` and returns the path.
    static func file(_ dir: TemporaryDirectory, _ name: String, _ text: String) throws -> String {
        let path = dir.path(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let rows = "0.1,0.2,0\n0.3,0.4,1\n0.5,0.6,0\n"

    @Test func aRecordColumnGivesGroups() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.file(
            dir, "beats.csv", "record,s0,s1,label\n100,0.1,0.2,0\n 100 ,0.3,0.4,1\n\nA7,0.5,0.6,0\n")
        let data = try Dataset.loadCSV(path, sampleLength: 2)
        #expect(data.groups == ["100", "100", "A7"])
        #expect(data.labels == [0, 1, 0])
        #expect(data.samples == .floats([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]))
        #expect(data.sources == ["\(path):2", "\(path):3", "\(path):5"])
    }

    @Test func aHeaderlessCSVWithoutSideFileHasNoGroups() throws {
        let dir = try TemporaryDirectory()
        let data = try Dataset.loadCSV(try Self.file(dir, "beats.csv", Self.rows), sampleLength: 2)
        #expect(data.groups == nil && data.count == 3)
    }

    @Test func theSideFileBesideIsFoundAndANamedOneIsRead() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.file(dir, "train.csv", Self.rows)
        _ = try Self.file(
            dir, "train_beats.csv", "row,record,sample,symbol,label\n0,101,396,N,0\n1,101,711,V,1\n2,106,80,N,0\n")
        #expect(try Dataset.loadCSV(path, sampleLength: 2).groups == ["101", "101", "106"])
        // Any column order; other columns ignored; CRLF line ends.
        let named = try Self.file(dir, "other.csv", "symbol,record,row\r\nN,a,0\r\nV,b,1\r\nN,b,2\r\n")
        #expect(try Dataset.loadCSV(path, sampleLength: 2, records: named).groups == ["a", "b", "b"])
    }

    @Test func aSideFileOfTheWrongLengthSaysBothCounts() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.file(dir, "train.csv", Self.rows)
        let side = try Self.file(dir, "train_beats.csv", "row,record\n0,101\n1,101\n")
        #expect(throws: DatasetError.recordCountMismatch(records: side, recordRows: 2, path: path, rows: 3)) {
            try Dataset.loadCSV(path, sampleLength: 2)
        }
        let message = "\(DatasetError.recordCountMismatch(records: side, recordRows: 2, path: path, rows: 3))"
        #expect(message.contains("\(side) describes 2 rows but \(path) has 3") && message.contains("regenerate"))
        try "row,record\n0,1\n1,1\n2,1\n3,1\n".write(toFile: side, atomically: true, encoding: .utf8)
        #expect(throws: DatasetError.recordCountMismatch(records: side, recordRows: 4, path: path, rows: 3)) {
            try Dataset.loadCSV(path, sampleLength: 2)
        }
    }

    @Test func aSideFileWithoutARecordOrRowColumnIsRefusedAtLineOne() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.file(dir, "train.csv", Self.rows)
        let side = try Self.file(dir, "side.csv", "row,patient\n0,1\n1,1\n2,1\n")
        #expect {
            try Dataset.loadCSV(path, sampleLength: 2, records: side)
        } throws: { error in
            guard case .malformedLine(side, 1, let reason)? = error as? DatasetError else { return false }
            return reason.contains("no 'record' column") && reason.contains("row and record columns")
        }
        try "index,record\n0,1\n".write(toFile: side, atomically: true, encoding: .utf8)
        #expect {
            try Dataset.loadCSV(path, sampleLength: 2, records: side)
        } throws: { error in
            guard case .malformedLine(side, 1, let reason)? = error as? DatasetError else { return false }
            return reason.contains("no 'row' column")
        }
    }

    @Test func rowsOutOfOrderAreRefusedAtTheirLine() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.file(dir, "train.csv", Self.rows)
        let side = try Self.file(dir, "train_beats.csv", "row,record\n0,101\n2,101\n1,106\n")
        #expect {
            try Dataset.loadCSV(path, sampleLength: 2)
        } throws: { error in
            guard case .malformedLine(side, 3, let reason)? = error as? DatasetError else { return false }
            return reason.contains("row index '2' where 1 was expected") && "\(error)".contains("\(side), line 3")
        }
    }

    @Test func aRecordColumnAndANamedSideFileConflict() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.file(dir, "beats.csv", "record,a,b,label\n1,0,0,0\n")
        let side = try Self.file(dir, "side.csv", "row,record\n0,1\n")
        #expect(throws: DatasetError.conflictingRecords(path: path, records: side)) {
            try Dataset.loadCSV(path, sampleLength: 2, records: side)
        }
    }

    @Test func anEmptyRecordIsRefused() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.file(dir, "beats.csv", "record,a,b,label\n1,0,0,0\n,0,0,1\n")
        #expect(throws: DatasetError.malformedLine(path: path, line: 3, reason: "column 1 (record) is empty")) {
            try Dataset.loadCSV(path, sampleLength: 2)
        }
    }

    @Test func writtenCSVReadsBackTheSameSamplesLabelsAndRecords() throws {
        let dir = try TemporaryDirectory()
        let beats = SyntheticECG.generate(records: 3, beatsPerRecord: 5, seed: 4)
        let path = dir.path("out/beats.csv")
        try beats.writeCSV(to: path, rows: [14, 0, 7])
        let back = try Dataset.loadCSV(path)
        #expect(back.samples == beats.subset([14, 0, 7]).samples)
        #expect(back.labels == [14, 0, 7].map { beats.labels[$0] })
        #expect(back.groups == ["syn-002", "syn-000", "syn-001"])
        // Without groups: no header, no record column.
        let plain = Dataset(classNames: ["0", "1"], sampleShape: [1, 2], floats: [0.1, 1e-5, 3, 4], labels: [1, 0])
        #expect(plain.csvText() == "0.1,1e-05,1\n3.0,4.0,0\n")
    }

    @Test func aHospitalSplitOfACSVKeepsEachRecordAtOneHospital() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("beats.csv")
        try SyntheticECG.write(records: 12, beatsPerRecord: 20, seed: 2, to: path)
        let data = try Dataset.loadCSV(path)
        let parts = try HospitalSplit.split(
            data, hospitals: 3, mode: .dirichlet(alpha: 0.5), seed: 1, keepGroupsTogether: true)
        #expect(parts.map(\.count).reduce(0, +) == 240)
        var hospitalOf = [String: Int]()
        for (h, indices) in parts.enumerated() {
            for i in indices {
                let record = data.groups![i]
                #expect(hospitalOf[record, default: h] == h, "record \(record) at two hospitals")
                hospitalOf[record] = h
            }
        }
        #expect(hospitalOf.count == 12 && Set(hospitalOf.values).count == 3)
    }
}
