import Foundation
import GrowdaTensor
import GrowdaTestKit
import Testing

@testable import GrowdaData

@Suite struct DatasetTests {
    /// Three 1×2×2 images with labels 0, 1, 1.
    static let tiny = Dataset(
        classNames: ["a", "b"], sampleShape: [1, 2, 2], bytes: [0, 255, 51, 102, 1, 2, 3, 4, 10, 20, 30, 40],
        labels: [0, 1, 1])

    @Test func countsAndShape() {
        let data = Self.tiny
        #expect(data.count == 3)
        #expect(data.classCounts == [1, 2])
        #expect(data.sampleSize == 4)
        #expect(data.holdsImages)
        #expect(data.image(at: 2) == GrayImage(width: 2, height: 2, pixels: [10, 20, 30, 40]))
    }

    @Test func subsetPicksSamplesInOrder() {
        let picked = Self.tiny.subset([2, 0, 2])
        #expect(picked.labels == [1, 0, 1])
        #expect(picked.classCounts == [1, 2])
        #expect(picked.samples == .bytes([10, 20, 30, 40, 0, 255, 51, 102, 10, 20, 30, 40]))
        #expect(picked.sources == ["sample 2", "sample 0", "sample 2"])
    }

    @Test func fillBatchScalesBytesAndReshapes() {
        var x = Tensor(shape: [7])
        var labels: [Int32] = [9, 9, 9, 9]
        var rng = SeededGenerator(seed: 1)
        Self.tiny.fillBatch(indices: [1, 0][...], into: &x, labels: &labels, augmenter: nil, rng: &rng)
        #expect(x.shape == [2, 1, 2, 2])
        #expect(labels == [1, 0])
        #expect(x.scalars == [1, 2, 3, 4, 0, 255, 51, 102].map { Float($0) / 255 })
        #expect(Self.tiny.sample(at: 0).shape == [1, 2, 2])
    }

    @Test func fillBatchWithAugmenterIsRepeatableAndInRange() {
        let data = SyntheticXray.generate(perClass: 3, size: 28, seed: 5)
        var first = Tensor(shape: [1]), second = Tensor(shape: [1])
        var labels = [Int32]()
        var rng1 = SeededGenerator(seed: 42), rng2 = SeededGenerator(seed: 42)
        data.fillBatch(indices: [0, 4, 8][...], into: &first, labels: &labels, augmenter: .standard, rng: &rng1)
        data.fillBatch(indices: [0, 4, 8][...], into: &second, labels: &labels, augmenter: .standard, rng: &rng2)
        #expect(first == second)
        #expect(first.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        var plain = Tensor(shape: [1])
        data.fillBatch(indices: [0, 4, 8][...], into: &plain, labels: &labels, augmenter: nil, rng: &rng1)
        #expect(plain != first)
    }

    @Test func floatSamplesAreCopiedAsTheyAre() {
        let data = Dataset(
            classNames: ["0", "1"], sampleShape: [1, 3], floats: [0.5, -1, 2, 3, 4, 5], labels: [1, 0])
        var x = Tensor(shape: [1])
        var labels = [Int32]()
        var rng = SeededGenerator(seed: 1)
        data.fillBatch(indices: [1, 0][...], into: &x, labels: &labels, augmenter: nil, rng: &rng)
        #expect(x.shape == [2, 1, 3])
        #expect(x.scalars == [3, 4, 5, 0.5, -1, 2])
        #expect(labels == [0, 1])
        #expect(!data.holdsImages)
        #expect(data.image(at: 0) == nil)
    }

    @Test func csvRowsBecomeSignals() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("beats.csv")
        try "0.5,1e-2,-3,1\n0.25,0.125,4.0000,0\r\n\n7,8,9,2\n".write(toFile: path, atomically: true, encoding: .utf8)
        let data = try Dataset.loadCSV(path, sampleLength: 3)
        #expect(data.sampleShape == [1, 3])
        #expect(data.labels == [1, 0, 2])
        #expect(data.classNames == ["0", "1", "2"])
        #expect(data.samples == .floats([0.5, 0.01, -3, 0.25, 0.125, 4, 7, 8, 9]))
        #expect(data.sources[2] == "\(path):4")
    }

    @Test func malformedCSVNamesFileAndLine() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("bad.csv")
        try "1,2,3,0\n1,2,0\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            try Dataset.loadCSV(path, sampleLength: 3)
        } throws: { error in
            guard case .malformedLine(let file, let line, _)? = error as? DatasetError else { return false }
            return file == path && line == 2 && "\(error)".contains("\(path), line 2")
        }
        try "1,2,x,0\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: DatasetError.malformedLine(path: path, line: 1, reason: "column 3 is not a number")) {
            try Dataset.loadCSV(path, sampleLength: 3)
        }
        try "1,2,3,0.5\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: DatasetError.self) { try Dataset.loadCSV(path, sampleLength: 3) }
    }

    static let mitbih = SharedData.path("mitbih-pvc/train.csv")

    @Test(.enabled(if: SharedData.has("mitbih-pvc/train.csv"), Comment(rawValue: SharedData.needs("mitbih-pvc"))))
    func mitbihBeatsLoad() throws {
        let data = try Dataset.loadCSV(Self.mitbih, classNames: ["normal", "pvc"])
        #expect(data.count == 47_704)
        #expect(data.sampleShape == [1, 187])
        #expect(data.classCounts == [44_219, 3_485])
        // The first row starts 0.0519,0.0657 and its R peak (index 90, min-max normalised) is 1.
        let first = data.sample(at: 0).scalars
        #expect(first[0] == 0.0519 && first[1] == 0.0657 && first[90] == 1)
        // train_beats.csv beside it names each beat's record: 21 records, the first beat from record 101.
        #expect(data.groups?.first == "101" && data.groups?.last == "230")
        #expect(Set(data.groups ?? []).count == 21)
    }
}
