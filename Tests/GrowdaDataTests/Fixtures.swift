import Foundation
import GrowdaData

/// Test fixtures: the committed PNGs beside this file (found through `#filePath`, so no resources are
/// needed) and helpers that damage PNG bytes in known ways.
enum Fixtures {
    /// The folder holding the committed PNG fixtures and the script that made them.
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures", isDirectory: true)

    /// The path of the committed fixture `name`.
    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// The eight gray levels every 4×2 fixture stores, row-major.
    static let grays: [UInt8] = [0, 51, 102, 153, 204, 255, 17, 128]

    /// A small deterministic test image: a gradient with a bright square.
    static func pattern(width: Int, height: Int) -> GrayImage {
        var image = GrayImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let inSquare = x >= width / 4 && x < width / 2 && y >= height / 4 && y < height / 2
                image[x, y] = inSquare ? 250 : UInt8((x * 7 + y * 13) % 200)
            }
        }
        return image
    }

    /// The CRC-32 of PNG chunks (ISO 3309, as in zlib), computed bit by bit.
    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// The byte range of the first chunk of type `kind` (its data only) in PNG bytes.
    static func chunkData(_ kind: String, in png: [UInt8]) -> Range<Int>? {
        var offset = 8
        while offset + 8 <= png.count {
            let length = png[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: png[offset + 4..<offset + 8], as: UTF8.self)
            if type == kind { return offset + 8..<offset + 8 + length }
            offset += 12 + length
        }
        return nil
    }

    /// Rewrites the CRC of the chunk whose data is at `data` so only the content is wrong.
    static func fixCRC(_ png: inout [UInt8], chunkData data: Range<Int>) {
        let crc = crc32(png[data.lowerBound - 4..<data.upperBound])
        for i in 0..<4 { png[data.upperBound + i] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(i))) }
    }
}
