import Foundation
import GrowdaTestKit
import Testing

@testable import GrowdaData

/// The one image entry point: PNG or DICOM by content, then by name, and data folders holding both.
@Suite struct ImageFileTests {
    @Test func contentDecidesBeforeTheName() throws {
        let png = try PNG.encode(Fixtures.pattern(width: 8, height: 8))
        let dicom = try DICOMFixtures.bytes("mono2-u16-window.dcm")
        #expect(ImageFile.format(of: png, name: "scan.dcm") == .png)
        #expect(ImageFile.format(of: dicom, name: "scan.png") == .dicom)
        #expect(ImageFile.format(of: dicom, name: "IM000123") == .dicom)
        #expect(ImageFile.format(of: Array("text".utf8), name: "scan.DCM") == .dicom)
        #expect(ImageFile.format(of: Array("text".utf8), name: "scan.png") == .png)
        #expect(ImageFile.format(of: Array("text".utf8), name: "scan") == .png)

        #expect(try ImageFile.decode(png, name: "scan.dcm") == Fixtures.pattern(width: 8, height: 8))
        #expect(try ImageFile.decode(dicom, name: "IM000123") == DICOM.decode(dicom, name: "x"))
    }

    @Test func pngErrorsAreUnchanged() throws {
        let gif = Array("GIF89a".utf8)
        #expect(throws: ImageError.notPNG(path: "a.png")) { try ImageFile.decode(gif, name: "a.png") }
        #expect(throws: ImageError.notPNG(path: "a")) { try ImageFile.decode(gif, name: "a") }
        #expect(throws: ImageError.truncated(path: "e.png", detail: "the file is empty")) {
            try ImageFile.decode([], name: "e.png")
        }
        let png = try PNG.encode(Fixtures.pattern(width: 8, height: 8))
        for cut in [9, 40, png.count - 20, png.count - 3] {
            let bytes = Array(png.prefix(cut))
            #expect(Self.outcome { () throws(ImageError) in try ImageFile.decode(bytes, name: "cut.png") }
                == Self.outcome { () throws(ImageError) in try PNG.decode(bytes, name: "cut.png") }, "cut at \(cut)")
        }
        #expect(throws: ImageError.notDICOM(path: "a.dcm")) { try ImageFile.decode(gif + gif, name: "a.dcm") }
    }

    /// The image a decode gives, or its error.
    static func outcome(_ decode: () throws(ImageError) -> GrayImage) -> Result<GrayImage, ImageError> {
        do throws(ImageError) {
            return .success(try decode())
        } catch {
            return .failure(error)
        }
    }

    @Test func listedExtensionsIgnoreCase() {
        #expect(ImageFile.isListed("a.png") && ImageFile.isListed("b.PNG"))
        #expect(ImageFile.isListed("c.dcm") && ImageFile.isListed("d.DCM") && ImageFile.isListed("e.Dcm"))
        #expect(!ImageFile.isListed("f.jpg") && !ImageFile.isListed("dcm") && !ImageFile.isListed("g.dcm.txt"))
    }

    @Test func aFolderOfPNGAndDICOMLoadsBoth() throws {
        let dir = try TemporaryDirectory()
        for name in ["normal", "pneumonia"] {
            try FileManager.default.createDirectory(atPath: dir.path(name), withIntermediateDirectories: true)
        }
        let pattern = Fixtures.pattern(width: 32, height: 32)
        try PNG.write(pattern, to: dir.path("normal/a.png"))
        try FileManager.default.copyItem(
            atPath: DICOMFixtures.path("mono2-u16-window.dcm"), toPath: dir.path("normal/b.dcm"))
        try FileManager.default.copyItem(
            atPath: DICOMFixtures.path("jpegls-lossless-u16.dcm"), toPath: dir.path("pneumonia/c.DCM"))
        try FileManager.default.copyItem(
            atPath: DICOMFixtures.path("mono1-u16-window.dcm"), toPath: dir.path("pneumonia/d.dicom-export"))
        try Data("not dicom".utf8).write(to: URL(fileURLWithPath: dir.path("pneumonia/e.dcm")))

        let (data, report) = try Dataset.loadFolder(dir.url.path, height: 32, width: 32, skipUnreadable: true)
        #expect(data.sources.map { URL(fileURLWithPath: $0).lastPathComponent } == ["a.png", "b.dcm", "c.DCM"])
        #expect(data.labels == [0, 0, 1])
        #expect(report.skipped.map(\.error) == [.notDICOM(path: dir.path("pneumonia/e.dcm"))])
        #expect(report.description.contains("not a DICOM file"))

        let expected = try PNG.read(contentsOf: DICOMFixtures.path("expected/mono2-u16-window.png"))
        let size = 32 * 32
        let bytes = try Self.bytes(of: data)
        #expect(Array(bytes[0..<size]) == pattern.pixels)
        #expect(Array(bytes[size..<2 * size]) == expected.pixels)
        #expect(Array(bytes[2 * size..<3 * size]) == expected.pixels, "the JPEG-LS copy is lossless")

        // Strict loading stops at the bad DICOM with its named error.
        #expect(throws: ImageError.notDICOM(path: dir.path("pneumonia/e.dcm"))) {
            try Dataset.loadFolder(dir.url.path, height: 32, width: 32)
        }
    }

    @Test func aManifestMayListDICOMFiles() throws {
        let dir = try TemporaryDirectory()
        try PNG.write(Fixtures.pattern(width: 32, height: 32), to: dir.path("a.png"))
        try FileManager.default.copyItem(atPath: DICOMFixtures.path("rle-u16.dcm"), toPath: dir.path("b.dcm"))
        try "file,label,patient_id\na.png,normal,p1\nb.dcm,pneumonia,p2\n".write(
            toFile: dir.path("manifest.csv"), atomically: true, encoding: .utf8)
        let catalog = try ImageCatalog.readManifest(dir.path("manifest.csv"), imagesRoot: dir.url.path)
        let (data, report) = try Dataset.load(catalog, height: 16, width: 16)
        #expect(report.loaded == 2 && report.skipped.isEmpty)
        let expected = try PNG.read(contentsOf: DICOMFixtures.path("expected/rle-u16.png")).resized(width: 16, height: 16)
        #expect(Array(try Self.bytes(of: data)[256..<512]) == expected.pixels)
    }

    /// The gray levels of an image data set.
    static func bytes(of data: Dataset) throws -> [UInt8] {
        guard case .bytes(let bytes) = data.samples else { throw CocoaError(.coderInvalidValue) }
        return bytes
    }
}
