import GrowdaSafetensors
import Testing

/// Any byte string gives a file or a `SafetensorsError`: never a trap, never another error.
@Suite struct HostileInputTests {
    /// Parses `bytes`; records an issue if anything but a `SafetensorsError` comes out.
    @discardableResult
    func parse(_ bytes: [UInt8]) -> SafetensorsFile? {
        do {
            return try SafetensorsFile(bytes: bytes)
        } catch is SafetensorsError {
            return nil
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    static func sample() throws -> [UInt8] {
        var writer = SafetensorsWriter(metadata: ["k": "v é"])
        try writer.add(name: "w", shape: [2, 2], floats: [1, 2, 3, 4])
        try writer.add(name: "h", dtype: .F16, shape: [1], bytes: [0, 0x3C])
        try writer.add(name: "s", dtype: .I64, shape: [], bytes: [UInt8](repeating: 1, count: 8))
        return writer.encoded()
    }

    @Test func everyPrefixIsRefused() throws {
        let bytes = try Self.sample()
        for length in 0..<bytes.count {
            #expect(parse(Array(bytes[..<length])) == nil, "prefix of \(length) bytes")
        }
        #expect(parse(bytes) != nil)
    }

    @Test func everySingleByteChangeParsesOrThrows() throws {
        let bytes = try Self.sample()
        for position in bytes.indices {
            for value: UInt8 in [0x00, 0x01, 0x20, 0x22, 0x2C, 0x30, 0x39, 0x5B, 0x5D, 0x7B, 0x7D, 0x80, 0xFF] {
                var mutated = bytes
                mutated[position] = value
                if let file = parse(mutated) {
                    // Whatever parses must be readable without trapping.
                    for tensor in file.tensors {
                        _ = try file.rawBytes(tensor.name)
                        if tensor.dtype.isFloatingPoint { _ = try file.floats(tensor.name) }
                    }
                }
            }
        }
    }

    @Test func randomMutationsParseOrThrow() throws {
        let bytes = try Self.sample()
        var generator = SplitMix64(state: 2024)
        for _ in 0..<5_000 {
            var mutated = bytes
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                switch Int.random(in: 0..<3, using: &generator) {
                case 0:
                    let index = Int.random(in: 0..<mutated.count, using: &generator)
                    mutated[index] = UInt8.random(in: 0...255, using: &generator)
                case 1 where mutated.count > 9:
                    mutated.remove(at: Int.random(in: 8..<mutated.count, using: &generator))
                default:
                    let index = Int.random(in: 8...mutated.count, using: &generator)
                    mutated.insert(UInt8.random(in: 0...255, using: &generator), at: index)
                }
            }
            parse(mutated)
        }
    }

    @Test func randomBuffersWithPlausibleLengthsAreRefused() {
        var generator = SplitMix64(state: 99)
        for _ in 0..<2_000 {
            let count = Int.random(in: 0..<200, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if count >= 8 {
                let length = UInt64.random(in: 0...UInt64(count - 8), using: &generator)
                bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: length.littleEndian, Array.init))
            }
            parse(bytes)
        }
    }

    /// Escapes decode in linear time: a long escaped string is no denial of service.
    @Test func longEscapedStringsParseQuickly() throws {
        let value = String(repeating: #"\n\u00e9"#, count: 200_000)
        let file = try SafetensorsFile(bytes: buffer(header: "{\"__metadata__\":{\"k\":\"\(value)\"}}"))
        #expect(file.metadata["k"] == String(repeating: "\né", count: 200_000))
    }

    /// A header claiming a huge tensor in a tiny buffer allocates nothing for it.
    @Test func hugeClaimsAreRefusedCheaply() {
        let claims = [
            #"{"a":{"dtype":"F32","shape":[1000000000000],"data_offsets":[0,4000000000000]}}"#,
            #"{"a":{"dtype":"F32","shape":[4611686018427387903],"data_offsets":[0,4]}}"#,
            #"{"a":{"dtype":"U8","shape":[9223372036854775807],"data_offsets":[0,9223372036854775807]}}"#,
            #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[9223372036854775807,0]}}"#,
        ]
        for header in claims {
            #expect(parse(buffer(header: header, data: [0, 0, 0, 0])) == nil, "\(header)")
        }
    }
}
