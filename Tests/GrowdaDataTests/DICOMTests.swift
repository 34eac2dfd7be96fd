import Foundation
import GrowdaTestKit
import Testing

@testable import GrowdaData

/// The DICOM fixtures made by Fixtures/make_dicom_fixtures.py: the files, and what the script says of them.
enum DICOMFixtures {
    /// One row of dicom/fixtures.json.
    struct Entry: Decodable {
        var file: String
        var transferSyntax: String
        var expected: String?
        var lossy: Bool
        var pydicomMaxError: Int?
        var error: String?
    }

    /// The script's manifest: every fixture and the made-up patient attributes each file carries.
    struct Manifest: Decodable {
        var size: Int
        var patient: [String: String]
        var fixtures: [Entry]
    }

    /// The path of `name` under Fixtures/dicom/.
    static func path(_ name: String) -> String { Fixtures.path("dicom/" + name) }

    static func manifest() throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: path("fixtures.json"))))
    }

    static func entry(_ file: String) throws -> Entry {
        try #require(try manifest().fixtures.first { $0.file == file }, "\(file) is not in fixtures.json")
    }

    static func bytes(_ file: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(file))))
    }

    /// Lossless syntaxes and uncompressed layouts: these decode to exactly the script's expected pixels.
    static let lossless = [
        "mono2-u16-window.dcm", "mono2-u16-implicit-windows.dcm", "mono2-u8-minmax.dcm", "mono2-u16-minmax.dcm",
        "mono1-u16-window.dcm", "mono2-s16-rescale.dcm", "mono2-s12-window.dcm", "deflate-u16.dcm", "rle-u16.dcm",
        "jpeg-lossless-sv1-u16.dcm", "jpegls-lossless-u16.dcm", "j2k-lossless-u16.dcm",
    ]
    /// Lossy syntaxes: close to the expected pixels, within `lossyTolerance` of what pydicom's decoders give.
    static let lossy = ["jpeg-baseline-u8.dcm", "jpeg-extended-u12.dcm", "jpegls-near-u16.dcm", "j2k-lossy-u16.dcm"]
    /// Gray levels GDCM's decode of a lossy file may differ from the source by, beyond pydicom's own error
    /// (two decoders of the same stream may round the inverse transform differently).
    static let lossyTolerance = 3
}

@Suite struct DICOMTests {
    /// max |a - b| over the pixels, and the mean.
    static func difference(_ a: GrayImage, _ b: GrayImage) -> (max: Int, mean: Double) {
        let diffs = zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }
        return (diffs.max() ?? 0, Double(diffs.reduce(0, +)) / Double(max(1, diffs.count)))
    }

    @Test(arguments: DICOMFixtures.lossless)
    func losslessFixtureDecodesExactly(_ file: String) throws {
        let entry = try DICOMFixtures.entry(file)
        #expect(entry.lossy == false && entry.pydicomMaxError == 0)
        let expected = try PNG.read(contentsOf: DICOMFixtures.path(try #require(entry.expected)))
        let image = try DICOM.read(contentsOf: DICOMFixtures.path(file))
        #expect(image.width == 32 && image.height == 32)
        let diff = Self.difference(image, expected)
        #expect(image == expected, "\(file): max |diff| \(diff.max), mean \(diff.mean)")
        // The fixture really is in the syntax it names (its UID is in the file meta information).
        #expect(try DICOMFixtures.bytes(file).starts(with: [UInt8](repeating: 0, count: 128)))
        #expect(String(decoding: try DICOMFixtures.bytes(file).prefix(400), as: UTF8.self)
            .contains(entry.transferSyntax))
    }

    @Test(arguments: DICOMFixtures.lossy)
    func lossyFixtureDecodesWithinTolerance(_ file: String) throws {
        let entry = try DICOMFixtures.entry(file)
        #expect(entry.lossy)
        let expected = try PNG.read(contentsOf: DICOMFixtures.path(try #require(entry.expected)))
        let image = try DICOM.read(contentsOf: DICOMFixtures.path(file))
        let diff = Self.difference(image, expected)
        let allowed = try #require(entry.pydicomMaxError) + DICOMFixtures.lossyTolerance
        #expect(diff.max <= allowed, "\(file): max |diff| \(diff.max) > \(allowed), mean \(diff.mean)")
        #expect(diff.mean < 3, "\(file): mean |diff| \(diff.mean)")
        // Lossy, but not by accident: the image is the pattern, not a constant.
        #expect(Set(image.pixels).count > 20)
    }

    @Test func monochrome1IsInvertedSoDenseIsBright() throws {
        let mono2 = try DICOM.read(contentsOf: DICOMFixtures.path("mono2-u16-window.dcm"))
        let mono1 = try DICOM.read(contentsOf: DICOMFixtures.path("mono1-u16-window.dcm"))
        #expect(mono1.pixels == mono2.pixels.map { 255 - $0 })
        // The 4000 square (dense) is white in MONOCHROME2; its stored value is the same in MONOCHROME1, shown black
        // by a viewer before inversion, so after it the square stays bright in both.
        #expect(mono2[10, 10] == 255 && mono1[10, 10] == 0)
        let samples = try DICOM.samples(DICOMFixtures.bytes("mono1-u16-window.dcm"), name: "m1")
        #expect(samples.monochrome1)
        #expect(samples.values[10 * 32 + 10] == 4000)
    }

    @Test func linearWindowFollowsTheStandard() {
        // c = 100, w = 51: black up to 74.5, white above 124.5, linear in between.
        let samples = DICOMSamples(
            width: 6, height: 1, values: [74, 75, 99, 100, 124, 125], window: .init(center: 100, width: 51))
        // 75: ((75 - 99.5) / 50 + 0.5) * 255 = 2.55; 99: 124.95; 100: 130.05; 124: 252.45.
        #expect(samples.grayImage().pixels == [0, 3, 125, 130, 252, 255])
        // A width of 1 is a threshold at c - 0.5.
        let threshold = DICOMSamples(width: 2, height: 1, values: [9, 10], window: .init(center: 10, width: 1))
        #expect(threshold.grayImage().pixels == [0, 255])
    }

    @Test func theFirstOfSeveralWindowsIsUsed() throws {
        let samples = try DICOM.samples(DICOMFixtures.bytes("mono2-u16-implicit-windows.dcm"), name: "w")
        #expect(samples.window == .init(center: 1500, width: 2000))
    }

    @Test func rescaleComesBeforeTheWindow() throws {
        // Stored 0, 100, 200 with slope 2, intercept -200: -200, 0, 200; a window of 0 ± 200.
        let samples = DICOMSamples(
            width: 3, height: 1, values: [0, 100, 200], slope: 2, intercept: -200, window: .init(center: 0.5, width: 401))
        #expect(samples.grayImage().pixels == [0, 128, 255])

        let file = try DICOM.samples(DICOMFixtures.bytes("mono2-s16-rescale.dcm"), name: "s16")
        #expect(file.slope == 0.5 && file.intercept == -100)
        let lowest = try #require(file.values.min())
        #expect(lowest == -1792, "signed samples keep their sign: 256 - 2048")
        #expect(file.window == .init(center: 0, width: 1200))
        let signed12 = try DICOM.samples(DICOMFixtures.bytes("mono2-s12-window.dcm"), name: "s12")
        #expect(signed12.values == file.values, "12 bits stored are sign-extended from bit 11")
    }

    @Test func withoutAWindowValuesAreStretchedMinToMax() {
        let plain = DICOMSamples(width: 3, height: 1, values: [10, 20, 30])
        #expect(plain.grayImage().pixels == [0, 128, 255])
        // A negative slope turns the order round: the stretch runs over rescaled values.
        let reversed = DICOMSamples(width: 3, height: 1, values: [10, 20, 30], slope: -1)
        #expect(reversed.grayImage().pixels == [255, 128, 0])
        // A constant image has nothing to stretch: black (white when MONOCHROME1).
        #expect(DICOMSamples(width: 2, height: 1, values: [7, 7]).grayImage().pixels == [0, 0])
        #expect(DICOMSamples(width: 2, height: 1, values: [7, 7], monochrome1: true).grayImage().pixels == [255, 255])
    }

    @Test func noPixelDataIsNamed() throws {
        let path = DICOMFixtures.path("no-pixel-data.dcm")
        #expect(try DICOMFixtures.entry("no-pixel-data.dcm").error == "noPixelData")
        #expect(throws: ImageError.noPixelData(path: path)) { try DICOM.read(contentsOf: path) }
        let message = ImageError.noPixelData(path: path).description
        #expect(message.contains(path) && message.contains("remove it"))
    }

    @Test func truncatedIsNamed() throws {
        let path = DICOMFixtures.path("truncated.dcm")
        #expect(try DICOMFixtures.entry("truncated.dcm").error == "truncated")
        #expect {
            try DICOM.read(contentsOf: path)
        } throws: { error in
            guard case .truncated(let at, let detail) = error as? ImageError else { return false }
            return at == path && detail.contains("ends")
        }
    }

    @Test(arguments: [
        ("rgb-u8.dcm", "colour"), ("multiframe-u16.dcm", "2 frames"),
        ("htj2k-lossless-u16.dcm", "1.2.840.10008.1.2.4.201"),
    ])
    func unsupportedImagesAreRefusedWithTheReason(_ file: String, _ reason: String) throws {
        #expect(try DICOMFixtures.entry(file).error == "unsupported")
        let path = DICOMFixtures.path(file)
        #expect {
            try DICOM.read(contentsOf: path)
        } throws: { error in
            guard case .unsupportedDICOM(let at, let text) = error as? ImageError else { return false }
            return at == path && text.contains(reason)
        }
    }

    @Test func notDICOMBytesAreNamed() throws {
        #expect(throws: ImageError.notDICOM(path: "notes.dcm")) {
            try DICOM.decode(Array("just some text, long enough to be more than a tag or two".utf8), name: "notes.dcm")
        }
        let png = try PNG.encode(Fixtures.pattern(width: 8, height: 8))
        #expect(throws: ImageError.notDICOM(path: "x.dcm")) { try DICOM.decode(png, name: "x.dcm") }
        #expect(throws: ImageError.truncated(path: "e.dcm", detail: "the file is empty")) {
            try DICOM.decode([], name: "e.dcm")
        }
        let message = ImageError.notDICOM(path: "/data/a/notes.dcm").description
        #expect(message.contains("/data/a/notes.dcm") && message.contains("remove it"))
    }

    @Test func aDamagedDataSetIsCorruptNotACrash() throws {
        var bytes = try DICOMFixtures.bytes("mono2-u16-window.dcm")
        // Overwrite the data set's first elements (after the 132-byte preamble and the meta group) with 0xFF.
        let start = 132 + 200
        for i in start..<start + 64 { bytes[i] = 0xFF }
        #expect {
            try DICOM.decode(bytes, name: "damaged.dcm")
        } throws: { error in
            switch error as? ImageError {
            case .corruptDICOM(let path, let message)?: return path == "damaged.dcm" && !message.isEmpty
            case .truncated(let path, _)?: return path == "damaged.dcm"
            default: return false
            }
        }
    }

    /// GDCM (as Debian builds it) asserts on many damaged files; every cut must still be a named error.
    @Test(arguments: ["mono2-u16-implicit-windows.dcm", "jpegls-lossless-u16.dcm"])
    func everyCutIsANamedErrorNeverACrash(_ file: String) throws {
        let whole = try DICOMFixtures.bytes(file)
        for cut in stride(from: 0, to: whole.count, by: 29) {
            let name = "cut-\(cut).dcm"
            do {
                _ = try DICOM.decode(Array(whole.prefix(cut)), name: name)
                Issue.record("\(file) cut at \(cut) of \(whole.count) bytes decoded")
            } catch {
                #expect(error.path == name)
                switch error {
                case .truncated, .corruptDICOM, .notDICOM, .noPixelData: break
                default: Issue.record("\(file) cut at \(cut): unexpected \(error)")
                }
            }
        }
    }

    @Test func patientAttributesNeverLeaveTheShim() throws {
        let manifest = try DICOMFixtures.manifest()
        let secrets = Array(manifest.patient.values)
        #expect(secrets.count == 3)
        // The files do carry the attributes (in the clear, but for the deflated one), so the checks can fail.
        for entry in manifest.fixtures where entry.file != "deflate-u16.dcm" {
            let text = String(decoding: try DICOMFixtures.bytes(entry.file), as: UTF8.self)
            let carried = secrets.filter { text.contains($0) }
            #expect(carried.count == secrets.count, "\(entry.file) carries \(carried.count) of the attributes")
        }
        var messages: [String] = []
        let stderr = try StandardError.capture {
            for entry in manifest.fixtures {
                let bytes = try DICOMFixtures.bytes(entry.file)
                let cuts = [bytes, Array(bytes.prefix(bytes.count / 2)), Array(bytes.prefix(400))]
                for part in cuts {
                    do throws(ImageError) {
                        _ = try DICOM.decode(part, name: entry.file)
                    } catch {
                        messages += [error.description, error.reason]
                    }
                }
            }
        }
        #expect(messages.count > 10)
        for secret in secrets {
            // Messages name the attribute by index, not its value, so a failure does not print it again.
            let index = secrets.firstIndex(of: secret)!
            #expect(!messages.contains { $0.contains(secret) }, "a message quotes patient attribute \(index)")
            #expect(!stderr.contains(secret), "stderr quotes patient attribute \(index)")
        }
    }
}

/// Captures what this process writes to file descriptor 2 while `body` runs, then writes it on to the real
/// stderr (so other tests' output running at the same time is not lost).
enum StandardError {
    static func capture(_ body: () throws -> Void) throws -> String {
        let dir = try TemporaryDirectory()
        let file = dir.path("stderr.txt")
        fflush(nil)
        let saved = dup(2)
        let sink = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(saved >= 0 && sink >= 0)
        dup2(sink, 2)
        close(sink)
        defer {
            fflush(nil)
            dup2(saved, 2)
            close(saved)
        }
        try body()
        fflush(nil)
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        FileHandle(fileDescriptor: saved).write(Data(text.utf8))
        return text
    }
}
