import Foundation
import GrowdaTestKit
import Testing

@testable import GrowdaData

@Suite struct SyntheticXrayTests {
    @Test func sameSeedAndSizeGiveTheSamePixels() {
        let a = SyntheticXray.generate(perClass: 4, size: 28, seed: 11)
        let b = SyntheticXray.generate(perClass: 4, size: 28, seed: 11)
        let c = SyntheticXray.generate(perClass: 4, size: 28, seed: 12)
        #expect(a.samples == b.samples)
        #expect(a.samples != c.samples)
    }

    @Test func classesCountsAndShape() {
        let data = SyntheticXray.generate(perClass: 5, size: 32, seed: 1)
        #expect(data.classNames == ["bacterial", "normal", "viral"])
        #expect(data.classCounts == [5, 5, 5])
        #expect(data.sampleShape == [1, 32, 32])
        #expect(data.labels == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2])
        #expect(data.sources[6] == "normal/00001.png")
    }

    @Test func moreImagesPerClassExtendTheSet() {
        let small = SyntheticXray.generate(perClass: 2, size: 28, seed: 4)
        let large = SyntheticXray.generate(perClass: 5, size: 28, seed: 4)
        for label in 0..<3 {
            for index in 0..<2 { #expect(small.image(at: label * 2 + index) == large.image(at: label * 5 + index)) }
        }
    }

    @Test(arguments: [28, 64, 128])
    func imagesLookLikeChests(size: Int) {
        let image = SyntheticXray.image(label: SyntheticXray.normal, index: 0, size: size, seed: 2)
        #expect(image.width == size && image.height == size)
        let mean = image.pixels.reduce(0) { $0 + Int($1) } / image.pixels.count
        #expect((20...200).contains(mean))
        // The lung fields (a third of the way across, mid-height) are darker than the mediastinum.
        let lung = Int(image[size / 4 + size / 16, size / 2])
        let middle = Int(image[size / 2, size / 2 - size / 8])
        #expect(lung < middle)
    }

    @Test func consolidationAndHazeBrightenTheLungs() {
        // Averaged over many images, pathology adds brightness inside the lung fields.
        func lungMean(_ label: Int) -> Double {
            var total = 0.0
            for index in 0..<40 {
                let image = SyntheticXray.image(label: label, index: index, size: 28, seed: 8)
                for y in 8..<18 { for x in [6, 7, 8, 19, 20, 21] { total += Double(image[x, y]) } }
            }
            return total / 40
        }
        let normal = lungMean(SyntheticXray.normal)
        #expect(lungMean(SyntheticXray.bacterial) > normal)
        #expect(lungMean(SyntheticXray.viral) > normal)
    }

    @Test func writtenFilesLoadBackIdentically() throws {
        let dir = try TemporaryDirectory()
        let summary = try SyntheticXray.write(perClass: 3, size: 28, seed: 6, to: dir.url.path)
        #expect(summary.perClass == [3, 3, 3] && summary.bytes > 0)
        #expect(FileManager.default.fileExists(atPath: dir.path("viral/00002.png")))
        let (loaded, report) = try Dataset.loadFolder(dir.url.path, height: 28, width: 28)
        #expect(report.skippedCount == 0)
        let generated = SyntheticXray.generate(perClass: 3, size: 28, seed: 6)
        #expect(loaded.classNames == generated.classNames)
        #expect(loaded.labels == generated.labels)
        #expect(loaded.samples == generated.samples)
    }
}
