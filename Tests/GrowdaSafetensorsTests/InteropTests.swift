import Foundation
import GrowdaSafetensors
import Testing

/// Files exchanged with Python's `safetensors` package; see Fixtures/make_fixtures.py.
///
/// `python_written.safetensors` was written by the package; `growda_written.safetensors` by
/// `SafetensorsWriter` from the same tensors and checked by the package (`make_fixtures.py check`).
/// Regenerate Growda's file with `GROWDA_WRITE_FIXTURES=1 swift test --filter GrowdaSafetensorsTests`.
@Suite struct InteropTests {
    /// expected.json, as written by make_fixtures.py.
    struct Expected: Decodable {
        struct Tensor: Decodable {
            var dtype: String
            var shape: [Int]
            var hex: String
            var values: [Double]
        }

        var metadata: [String: String]
        var python_header_order: [String]
        var tensors: [String: Tensor]
    }

    static let regenerate = ProcessInfo.processInfo.environment["GROWDA_WRITE_FIXTURES"] == "1"

    /// The fixtures folder in the source tree, where regeneration writes.
    static let sourceFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    static func fixture(_ name: String) throws -> String {
        let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return folder.appendingPathComponent(name).path
    }

    static func expected() throws -> Expected {
        let data = try Data(contentsOf: URL(fileURLWithPath: try fixture("expected.json")))
        return try JSONDecoder().decode(Expected.self, from: data)
    }

    static func bytes(hex: String) -> [UInt8] {
        let digits = Array(hex.utf8).map { $0 <= UInt8(ascii: "9") ? $0 &- 48 : $0 &- UInt8(ascii: "a") &+ 10 }
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    /// The known tensors encoded by Growda: F32 through the float API, the rest as bytes.
    static func growdaEncoding(_ expected: Expected) throws -> [UInt8] {
        var writer = SafetensorsWriter(metadata: expected.metadata)
        for (name, tensor) in expected.tensors.sorted(by: { $0.key < $1.key }) {
            let dtype = try #require(SafetensorsDType(rawValue: tensor.dtype))
            if dtype == .F32 {
                try writer.add(name: name, shape: tensor.shape, floats: tensor.values.map { Float($0) })
            } else {
                try writer.add(name: name, dtype: dtype, shape: tensor.shape, bytes: bytes(hex: tensor.hex))
            }
        }
        return writer.encoded()
    }

    /// Checks a parsed file against expected.json: metadata, dtypes, shapes, bytes and float values.
    static func check(_ file: SafetensorsFile, against expected: Expected) throws {
        #expect(file.metadata == expected.metadata)
        #expect(Set(file.tensors.map(\.name)) == Set(expected.tensors.keys))
        for (name, want) in expected.tensors {
            let info = try #require(file.info(name))
            #expect(info.dtype.rawValue == want.dtype, "\(name)")
            #expect(info.shape == want.shape, "\(name)")
            #expect(Array(try file.rawBytes(name)) == bytes(hex: want.hex), "\(name)")
            if info.dtype.isFloatingPoint {
                #expect(try file.floats(name) == want.values.map { Float($0) }, "\(name)")
            } else {
                #expect(safetensorsError { _ = try file.floats(name) }?.reason == .notFloat)
            }
        }
    }

    @Test func pythonWrittenFileLoads() throws {
        let expected = try Self.expected()
        let file = try SafetensorsFile(contentsOf: try Self.fixture("python_written.safetensors"))
        try Self.check(file, against: expected)
        #expect(file.tensors.map(\.name) == expected.python_header_order)
        // Spot checks independent of expected.json.
        #expect(try file.floats("half") == [1, -0.5, 65504, 0x1p-24, 0.333251953125])
        #expect(try file.floats("bf16") == [1, -2, 3.140625, 0.0078125])
        #expect(try file.floats("double") == [Float(0.1), -.infinity])
        #expect(Array(try file.rawBytes("step")) == littleEndianBytes([Int64(-1), 0, 1 << 40 + 3]))
        #expect(file.info("scale")?.shape == [])
        #expect(try file.floats("empty") == [])
    }

    @Test func growdaEncodingEqualsCommittedFixture() throws {
        let encoded = try Self.growdaEncoding(try Self.expected())
        let committedPath: String
        if Self.regenerate {
            committedPath = Self.sourceFolder + "/growda_written.safetensors"
            try AtomicFile.write(encoded, to: committedPath)
        } else {
            committedPath = try Self.fixture("growda_written.safetensors")
        }
        let committed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: committedPath)))
        #expect(
            encoded == committed,
            """
            SafetensorsWriter's output changed: regenerate with GROWDA_WRITE_FIXTURES=1 swift test \
            --filter GrowdaSafetensorsTests, then check it with make_fixtures.py check
            """)
    }

    @Test func growdaWrittenFileLoadsInGrowda() throws {
        let file = try SafetensorsFile(contentsOf: try Self.fixture("growda_written.safetensors"))
        try Self.check(file, against: try Self.expected())
    }

    /// Same tensors, same layout as the reference writer: only the metadata's key order may differ.
    @Test func layoutMatchesPythonWrittenFile() throws {
        let python = try SafetensorsFile(contentsOf: try Self.fixture("python_written.safetensors"))
        let growda = try SafetensorsFile(bytes: try Self.growdaEncoding(try Self.expected()))
        #expect(growda.tensors == python.tensors)
        #expect(growda.bytes[growda.dataStart...] == python.bytes[python.dataStart...])
        #expect(growda.dataStart % 8 == 0)
    }
}
