import Foundation
import GrowdaTestKit
import Testing

@testable import GrowdaData

@Suite struct PNGTests {
    @Test(arguments: [
        "gray8.png", "gray16.png", "rgb8.png", "rgb16.png", "palette8.png", "palette4.png",
    ])
    func opaqueFixturesDecodeToTheirGrayLevels(name: String) throws {
        let image = try PNG.read(contentsOf: Fixtures.path(name))
        #expect(image.width == 4 && image.height == 2)
        #expect(image.pixels == Fixtures.grays)
    }

    @Test(arguments: ["gray-alpha8.png", "gray-alpha16.png", "rgba8.png", "rgba16.png"])
    func alphaIsCompositedOntoBlack(name: String) throws {
        let image = try PNG.read(contentsOf: Fixtures.path(name))
        // Opaque pixels keep their level; white at alpha 128 is 128/255 = 0.50196 in linear light, encoded
        // by libpng with the sRGB curve (1.055 · 0.50196^(1/2.4) − 0.055 → 187.9, RGBA) or its gamma-2.2
        // approximation (0.50196^(1/2.2) → 186.4, gray+alpha); alpha 0 is black.
        #expect(Array(image.pixels.prefix(6)) == [0, 51, 102, 153, 204, 255])
        #expect((186...188).contains(image.pixels[6]), "got \(image.pixels[6])")
        #expect(image.pixels[7] == 0)
    }

    @Test func oneBitGrayExpandsToBlackAndWhite() throws {
        let image = try PNG.read(contentsOf: Fixtures.path("gray1.png"))
        #expect(image.pixels == [0, 255, 255, 0, 255, 0, 0, 255])
    }

    @Test func colourBecomesRec709Luminance() throws {
        let image = try PNG.read(contentsOf: Fixtures.path("rgb8-colours.png"))
        // Y = 0.2126 R + 0.7152 G + 0.0722 B in linear light, then sRGB-encoded, by hand:
        // red 0.2126 → 127.1, green 0.7152 → 219.9, blue 0.0722 → 76.0, white, black, gray 128 stays,
        // yellow 0.9278 → 246.7, cyan 0.7874 → 229.5.
        let expected = [127, 220, 76, 255, 0, 128, 247, 230]
        for (got, want) in zip(image.pixels, expected) {
            #expect(abs(Int(got) - want) <= 1, "got \(image.pixels), want \(expected) ± 1")
        }
    }

    @Test func interlacedImageDecodes() throws {
        let image = try PNG.read(contentsOf: Fixtures.path("gray8-interlaced.png"))
        #expect(image.width == 9 && image.height == 9)
        for y in 0..<9 {
            for x in 0..<9 { #expect(image[x, y] == UInt8(28 * x + y)) }
        }
    }

    @Test func writerRoundTrips() throws {
        let dir = try TemporaryDirectory()
        let image = Fixtures.pattern(width: 37, height: 23)
        let path = dir.path("pattern.png")
        try PNG.write(image, to: path)
        #expect(try PNG.read(contentsOf: path) == image)
        #expect(try PNG.decode(PNG.encode(image, fast: true), name: "fast") == image)
    }

    @Test func notAPNGNamesTheFile() throws {
        let bytes = Array("hello, this is text\n".utf8)
        #expect(throws: ImageError.notPNG(path: "notes.png")) { try PNG.decode(bytes, name: "notes.png") }
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 0x4A, 0x46, 0x49, 0x46]
        #expect(throws: ImageError.notPNG(path: "x.png")) { try PNG.decode(jpeg, name: "x.png") }
        let error = ImageError.notPNG(path: "/data/a/notes.png")
        #expect(error.description.contains("/data/a/notes.png"))
        #expect(error.description.contains("not a PNG"))
    }

    @Test func truncatedFilesAreReportedAsTruncated() throws {
        let png = try PNG.encode(Fixtures.pattern(width: 30, height: 30))
        for cut in [0, 5, 8, 20, 40, png.count / 2, png.count - 13] {
            do {
                _ = try PNG.decode(Array(png.prefix(cut)), name: "cut-\(cut).png")
                Issue.record("decoding \(cut) of \(png.count) bytes should fail")
            } catch {
                guard case .truncated(let path, _) = error else {
                    Issue.record("cut at \(cut): expected .truncated, got \(error)")
                    continue
                }
                #expect(path == "cut-\(cut).png")
                #expect(error.description.contains("cut-\(cut).png is truncated"))
            }
        }
    }

    @Test func badCRCIsCorruptWithLibpngsMessage() throws {
        var png = try PNG.encode(Fixtures.pattern(width: 16, height: 16))
        let idat = try #require(Fixtures.chunkData("IDAT", in: png))
        png[idat.upperBound] ^= 0xFF  // first byte of the IDAT CRC
        do {
            _ = try PNG.decode(png, name: "bad-crc.png")
            Issue.record("a bad CRC should fail")
        } catch {
            guard case .corrupt(let path, let message) = error else {
                Issue.record("expected .corrupt, got \(error)")
                return
            }
            #expect(path == "bad-crc.png")
            #expect(message.contains("CRC"))
            #expect(error.description.contains("bad-crc.png is a corrupt PNG (libpng: "))
        }
    }

    @Test func damagedCompressedDataIsCorrupt() throws {
        var png = try PNG.encode(Fixtures.pattern(width: 16, height: 16))
        let idat = try #require(Fixtures.chunkData("IDAT", in: png))
        png[idat.lowerBound] = 0x00  // zlib header byte: "incorrect header check"
        png[idat.lowerBound + 1] = 0x00
        Fixtures.fixCRC(&png, chunkData: idat)
        #expect {
            try PNG.decode(png, name: "bad-zlib.png")
        } throws: { error in
            guard case .corrupt(let path, let message)? = error as? ImageError else { return false }
            return path == "bad-zlib.png" && !message.isEmpty
        }
    }

    @Test func hugeDimensionsAreRefusedBeforeDecoding() throws {
        var png = try PNG.encode(Fixtures.pattern(width: 4, height: 4))
        let header = try #require(Fixtures.chunkData("IHDR", in: png))
        for offset in [0, 4] {  // width, then height: 70,000 each, 4.9 billion pixels
            png.replaceSubrange(header.lowerBound + offset..<header.lowerBound + offset + 4, with: [0, 1, 0x11, 0x70])
        }
        Fixtures.fixCRC(&png, chunkData: header)
        #expect(throws: ImageError.tooLarge(path: "huge.png", width: 70_000, height: 70_000)) {
            try PNG.decode(png, name: "huge.png")
        }
    }

    @Test func missingFileIsUnreadable() {
        #expect {
            try PNG.read(contentsOf: "/nonexistent/growda/x.png")
        } throws: { error in
            guard case .unreadable(let path, let reason)? = error as? ImageError else { return false }
            return path == "/nonexistent/growda/x.png" && reason.contains("No such file")
        }
    }

    @Test func folderIsUnreadable() throws {
        let dir = try TemporaryDirectory()
        #expect(throws: ImageError.unreadable(path: dir.url.path, reason: "it is a folder")) {
            try PNG.read(contentsOf: dir.url.path)
        }
    }
}
