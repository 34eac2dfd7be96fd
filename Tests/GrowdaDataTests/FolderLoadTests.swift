import Foundation
import GrowdaTestKit
import Testing

@testable import GrowdaData

@Suite struct FolderLoadTests {
    /// root/cat/{a,b}.png (8×6 patterns) and root/dog/c.png, plus files and folders that must be ignored.
    static func makeTree() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        let fm = FileManager.default
        for name in ["cat", "dog", ".hidden"] {
            try fm.createDirectory(atPath: dir.path(name), withIntermediateDirectories: true)
        }
        try PNG.write(Fixtures.pattern(width: 8, height: 6), to: dir.path("cat/b.png"))
        try PNG.write(GrayImage(width: 8, height: 6, repeating: 40), to: dir.path("cat/a.png"))
        try PNG.write(GrayImage(width: 16, height: 12, repeating: 200), to: dir.path("dog/c.PNG"))
        try PNG.write(GrayImage(width: 8, height: 6, repeating: 1), to: dir.path(".hidden/x.png"))
        try PNG.write(GrayImage(width: 8, height: 6, repeating: 1), to: dir.path("cat/.x.png"))
        try "notes".write(toFile: dir.path("cat/readme.txt"), atomically: true, encoding: .utf8)
        try "stray".write(toFile: dir.path("top.png"), atomically: true, encoding: .utf8)
        return dir
    }

    @Test func loadsSortedClassesAndFiles() throws {
        let dir = try Self.makeTree()
        let (data, report) = try Dataset.loadFolder(dir.url.path, height: 6, width: 8)
        #expect(data.classNames == ["cat", "dog"])
        #expect(data.labels == [0, 0, 1])
        #expect(data.sampleShape == [1, 6, 8])
        #expect(data.sources.map { URL(fileURLWithPath: $0).lastPathComponent } == ["a.png", "b.png", "c.PNG"])
        #expect(data.image(at: 0) == GrayImage(width: 8, height: 6, repeating: 40))
        #expect(data.image(at: 1) == Fixtures.pattern(width: 8, height: 6))
        #expect(data.image(at: 2) == GrayImage(width: 8, height: 6, repeating: 200))  // 16×12 shrunk
        #expect(report == LoadReport(loaded: 3, skipped: []))
    }

    @Test func resizesToTheTarget() throws {
        let dir = try Self.makeTree()
        let (data, _) = try Dataset.loadFolder(dir.url.path, height: 3, width: 4)
        #expect(data.sampleShape == [1, 3, 4])
        #expect(data.image(at: 1) == Fixtures.pattern(width: 8, height: 6).resized(width: 4, height: 3))
    }

    @Test func corruptFileIsSkippedAndReported() throws {
        let dir = try Self.makeTree()
        var png = try PNG.encode(Fixtures.pattern(width: 8, height: 6))
        png.removeLast(20)
        try Data(png).write(to: URL(fileURLWithPath: dir.path("cat/broken.png")))
        try Data("GIF89a".utf8).write(to: URL(fileURLWithPath: dir.path("dog/fake.png")))

        let (data, report) = try Dataset.loadFolder(dir.url.path, height: 6, width: 8, skipUnreadable: true)
        #expect(data.count == 3)
        #expect(data.labels == [0, 0, 1])
        #expect(data.image(at: 2) == GrayImage(width: 8, height: 6, repeating: 200))
        #expect(report.loaded == 3 && report.skippedCount == 2)
        #expect(report.skipped.map(\.path) == [dir.path("cat/broken.png"), dir.path("dog/fake.png")])
        guard case .truncated = report.skipped[0].error else {
            Issue.record("expected truncated, got \(report.skipped[0].error)")
            return
        }
        #expect(report.skipped[1].error == .notPNG(path: dir.path("dog/fake.png")))
        #expect(report.description.contains("skipped \(dir.path("dog/fake.png")): not a PNG file"))
    }

    @Test func withoutSkippingTheFirstBadFileThrows() throws {
        let dir = try Self.makeTree()
        try Data("GIF89a".utf8).write(to: URL(fileURLWithPath: dir.path("dog/fake.png")))
        try Data("GIF89a".utf8).write(to: URL(fileURLWithPath: dir.path("cat/zz.png")))
        #expect(throws: ImageError.notPNG(path: dir.path("cat/zz.png"))) {
            try Dataset.loadFolder(dir.url.path, height: 6, width: 8)
        }
    }

    @Test func everyFileBadIsAnError() throws {
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.path("x"), withIntermediateDirectories: true)
        try Data("no".utf8).write(to: URL(fileURLWithPath: dir.path("x/1.png")))
        #expect(throws: DatasetError.nothingLoaded(origin: dir.url.path, skipped: 1)) {
            try Dataset.loadFolder(dir.url.path, height: 4, width: 4, skipUnreadable: true)
        }
    }

    @Test func missingAndEmptyFoldersSayWhatLayoutIsExpected() throws {
        let dir = try TemporaryDirectory()
        let missing = dir.path("nope")
        #expect(throws: DatasetError.missingFolder(path: missing)) {
            try Dataset.loadFolder(missing, height: 4, width: 4)
        }
        #expect(DatasetError.missingFolder(path: missing).description.contains("\(missing)/<class>/*.png"))
        #expect(throws: DatasetError.noClassFolders(path: dir.url.path)) {
            try Dataset.loadFolder(dir.url.path, height: 4, width: 4)
        }
        try FileManager.default.createDirectory(atPath: dir.path("normal"), withIntermediateDirectories: true)
        #expect(throws: DatasetError.noImages(origin: dir.url.path)) {
            try Dataset.loadFolder(dir.url.path, height: 4, width: 4)
        }
        try "x".write(toFile: dir.path("file"), atomically: true, encoding: .utf8)
        #expect(throws: DatasetError.notAFolder(path: dir.path("file"))) {
            try Dataset.loadFolder(dir.path("file"), height: 4, width: 4)
        }
    }

    @Test func expectedClassesFixLabelsAcrossHospitals() throws {
        let dir = try Self.makeTree()
        let (data, _) = try Dataset.loadFolder(dir.url.path, height: 6, width: 8, classNames: ["bird", "cat", "dog"])
        #expect(data.classNames == ["bird", "cat", "dog"])
        #expect(data.labels == [1, 1, 2])
        #expect(data.classCounts == [0, 2, 1])
        #expect(throws: DatasetError.unexpectedClass(path: dir.url.path, name: "dog", expected: ["cat"])) {
            try Dataset.loadFolder(dir.url.path, height: 6, width: 8, classNames: ["cat"])
        }
    }

    @Test func progressReachesTheTotal() throws {
        let dir = try Self.makeTree()
        let seen = Locked<[Int]>([])
        _ = try Dataset.loadFolder(
            dir.url.path, height: 6, width: 8,
            progress: { done, total in
                #expect(total == 3)
                seen.withValue { $0.append(done) }
            })
        #expect(seen.withValue { $0.last } == 3)
        #expect(seen.withValue { $0 == $0.sorted() })
    }

    @Test func fileListLoadsUnlabelled() throws {
        let dir = try Self.makeTree()
        let catalog = ImageCatalog.files([dir.path("dog/c.PNG"), dir.path("cat/a.png")])
        let (data, _) = try Dataset.load(catalog, height: 6, width: 8)
        #expect(data.labels == [Dataset.unlabelled, Dataset.unlabelled])
        #expect(data.classCounts == [])
        #expect(data.image(at: 1) == GrayImage(width: 8, height: 6, repeating: 40))
        #expect(throws: DatasetError.self) { try Dataset.load(ImageCatalog.files([]), height: 6, width: 8) }
    }

    @Test func manifestGivesLabelsAndGroups() throws {
        let dir = try Self.makeTree()
        let manifest = dir.path("manifest.csv")
        let rows = "cat/a.png,cat,p1,train\ndog/c.PNG,dog,p2,test\ncat/b.png,cat,p1,train\n"
        try ("file,label,patient_id,original_split\n" + rows).write(toFile: manifest, atomically: true, encoding: .utf8)
        let catalog = try ImageCatalog.readManifest(manifest, imagesRoot: dir.url.path)
        #expect(catalog.classNames == ["cat", "dog"])
        #expect(catalog.labels == [0, 1, 0])
        #expect(catalog.entries.map(\.group) == ["p1", "p2", "p1"])
        let (data, _) = try Dataset.load(catalog, height: 6, width: 8)
        #expect(data.groups == ["p1", "p2", "p1"])

        try "file,label\ncat/a.png\n".write(toFile: manifest, atomically: true, encoding: .utf8)
        let shortRow = DatasetError.malformedLine(path: manifest, line: 2, reason: "1 fields where the header has 2")
        #expect(throws: shortRow) {
            try ImageCatalog.readManifest(manifest, imagesRoot: dir.url.path)
        }
    }

    static let pneumoniamnist = SharedData.path("pneumoniamnist/train")

    @Test(
        .enabled(if: SharedData.has("pneumoniamnist/train"), Comment(rawValue: SharedData.needs("pneumoniamnist"))))
    func pneumoniamnistLoads() throws {
        let (data, report) = try Dataset.loadFolder(Self.pneumoniamnist, height: 28, width: 28)
        #expect(data.count == 4_708 && report.skippedCount == 0)
        #expect(data.classNames == ["normal", "pneumonia"])
        #expect(data.classCounts.reduce(0, +) == 4_708)
    }
}

/// A value shared between threads behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withValue<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
