import Foundation
import GrowdaTestKit
import Testing

@testable import GrowdaData

@Suite struct RGBPNGTests {
    /// The gray level libpng's reader gives an 8-bit colour: Rec. 709 luminance (0.2126 R + 0.7152 G +
    /// 0.0722 B, in libpng's 15-bit fixed point) of linear light, with libpng's sRGB approximation (gamma
    /// 2.2) and its 8-bit linear tables: each channel is taken to linear light and rounded to 8 bits, mixed,
    /// then gamma-encoded again. (The 8-bit linear step is why dark colours differ by several levels from
    /// the exact sRGB formula.)
    static func luminance(_ red: UInt8, _ green: UInt8, _ blue: UInt8) -> Double {
        func linear8(_ sample: UInt8) -> Int { Int((pow(Double(sample) / 255, 2.2) * 255).rounded()) }
        let y = (6968 * linear8(red) + 23434 * linear8(green) + 2366 * linear8(blue) + 16384) >> 15
        return pow(Double(y) / 255, 1 / 2.2) * 255
    }

    /// A 13×7 image of distinct colours: each pixel's channels follow its position.
    static func palette() -> RGBImage {
        var image = RGBImage(width: 13, height: 7, red: 0, green: 0, blue: 0)
        for y in 0..<image.height {
            for x in 0..<image.width {
                image[x, y] = (UInt8(x * 19 % 256), UInt8(y * 41 % 256), UInt8((x * 7 + y * 29) % 256))
            }
        }
        return image
    }

    @Test func rgbWritesAndReadsBackAsItsLuminance() throws {
        let dir = try TemporaryDirectory()
        let image = Self.palette()
        let path = dir.path("colours.png")
        try PNG.write(image, to: path)
        let gray = try PNG.read(contentsOf: path)
        #expect(gray.width == 13 && gray.height == 7)
        var worst = 0.0
        for y in 0..<image.height {
            for x in 0..<image.width {
                let (r, g, b) = image[x, y]
                worst = max(worst, abs(Double(gray[x, y]) - Self.luminance(r, g, b)))
            }
        }
        #expect(worst <= 1, "max |diff| \(worst) gray levels")
    }

    @Test func pureColoursGiveTheirKnownGrays() throws {
        // Red 0.2126 → 127.1, green 0.7152 → 219.9, blue 0.0722 → 76.0 (sRGB-encoded luminance).
        let image = RGBImage(width: 3, height: 1, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255])
        let gray = try PNG.decode(PNG.encode(image, fast: true), name: "primaries")
        for (got, want) in zip(gray.pixels, [127, 220, 76]) {
            #expect(abs(Int(got) - want) <= 1, "got \(gray.pixels)")
        }
    }

    @Test func theFileIsAnRGBPNG() throws {
        let png = try PNG.encode(Self.palette())
        let header = try #require(Fixtures.chunkData("IHDR", in: png))
        // IHDR: width (4), height (4), bit depth, colour type (2 = truecolour, no alpha).
        #expect(png[header.lowerBound + 8] == 8)
        #expect(png[header.lowerBound + 9] == 2)
    }

    @Test func writingToAMissingFolderNamesThePath() {
        let path = "/nonexistent-growda-folder/chart.png"
        #expect(throws: ImageError.self) { try PNG.write(Self.palette(), to: path) }
        do {
            try PNG.write(Self.palette(), to: path)
        } catch {
            #expect(error.path == path)
        }
    }
}
