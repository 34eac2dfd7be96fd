import GrowdaSafetensors
import Testing

@Suite struct SafetensorsWriterTests {
    /// The spec's smallest file: `{}` padded to 8 bytes.
    @Test func emptyFile() throws {
        let bytes = SafetensorsWriter().encoded()
        #expect(bytes == [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
        let file = try SafetensorsFile(bytes: bytes)
        #expect(file.tensors.isEmpty)
        #expect(file.metadata.isEmpty)
    }

    /// Known answers: the exact header text and padding of the reference writer.
    @Test func headerIsCompactJSONPaddedToEight() throws {
        var writer = SafetensorsWriter()
        try writer.add(name: "attn.0", shape: [1, 2, 3], floats: [0, 1, 2, 3, 4, 5])
        let header = #"{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}"#
        #expect(header.utf8.count == 64)
        let floats = littleEndianBytes([Float(0), 1, 2, 3, 4, 5].map(\.bitPattern))
        #expect(writer.encoded() == [64, 0, 0, 0, 0, 0, 0, 0] + Array(header.utf8) + floats)

        let metadataOnly = SafetensorsWriter(metadata: ["framework": "pt"]).encoded()
        #expect(metadataOnly == [40, 0, 0, 0, 0, 0, 0, 0] + Array(#"{"__metadata__":{"framework":"pt"}}     "#.utf8))
    }

    /// Tensors go by descending alignment, then name; metadata keys by name.
    @Test func orderIsAlignmentThenName() throws {
        var writer = SafetensorsWriter(metadata: ["z": "1", "a": "2", "é": "3", "B": "4"])
        try writer.add(name: "b", dtype: .U8, shape: [3], bytes: [1, 2, 3])
        try writer.add(name: "a", dtype: .U8, shape: [1], bytes: [4])
        try writer.add(name: "w", shape: [1], floats: [1])
        try writer.add(name: "h", dtype: .F16, shape: [1], bytes: [0, 0x3C])
        try writer.add(name: "d", dtype: .F64, shape: [1], bytes: [UInt8](repeating: 0, count: 8))
        try writer.add(name: "A", shape: [1], floats: [2])
        let bytes = writer.encoded()
        let file = try SafetensorsFile(bytes: bytes)
        #expect(file.tensors.map(\.name) == ["d", "A", "w", "h", "a", "b"])
        #expect(file.tensors.map(\.dataRange) == [0..<8, 8..<12, 12..<16, 16..<18, 18..<19, 19..<22])
        let header = String(decoding: bytes[8..<file.dataStart], as: UTF8.self)
        #expect(header.hasPrefix(#"{"__metadata__":{"B":"4","a":"2","z":"1","é":"3"},"d":"#))
    }

    /// Every dtype round-trips bytes, shape and name, and each tensor is aligned to its element size.
    @Test func everyDTypeRoundTripsAligned() throws {
        var generator = SplitMix64(state: 7)
        var writer = SafetensorsWriter()
        var written: [String: (SafetensorsDType, [Int], [UInt8])] = [:]
        for (index, dtype) in SafetensorsDType.allCases.enumerated() {
            let shape = [index % 3 + 1, 3]
            let bytes = (0..<(shape[0] * 3 * dtype.byteSize)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let name = "t\(index).\(dtype.rawValue.lowercased())"
            try writer.add(name: name, dtype: dtype, shape: shape, bytes: bytes)
            written[name] = (dtype, shape, bytes)
        }
        #expect(writer.count == SafetensorsDType.allCases.count)
        let file = try SafetensorsFile(bytes: writer.encoded())
        #expect(file.tensors.count == written.count)
        for tensor in file.tensors {
            let (dtype, shape, bytes) = try #require(written[tensor.name])
            #expect(tensor.dtype == dtype)
            #expect(tensor.shape == shape)
            #expect(tensor.elementCount == shape[0] * 3)
            #expect(Array(try file.rawBytes(tensor.name)) == bytes)
            #expect((file.dataStart + tensor.dataRange.lowerBound) % dtype.byteSize == 0, "\(tensor.name)")
        }
    }

    @Test func namesAndMetadataWithEscapesRoundTrip() throws {
        let awkward = [
            "quote\"d", "back\\slash", "tab\tnew\nline\r", "nul\u{0}bell\u{7}\u{1F}", "ünï ✓ 🩻", "/", "",
        ]
        var metadata: [String: String] = [:]
        var writer = SafetensorsWriter()
        for (index, name) in awkward.enumerated() {
            metadata[name] = "value \(index): \(name)"
            try writer.add(name: name, dtype: .U8, shape: [1], bytes: [UInt8(index)])
        }
        writer.metadata = metadata
        let bytes = writer.encoded()
        let file = try SafetensorsFile(bytes: bytes)
        #expect(file.metadata == metadata)
        for (index, name) in awkward.enumerated() {
            #expect(Array(try file.rawBytes(name)) == [UInt8(index)])
        }
        let header = String(decoding: bytes[8..<file.dataStart], as: UTF8.self)
        #expect(header.contains(#""nul\u0000bell\u0007\u001f""#))
        #expect(header.contains(#""tab\tnew\nline\r""#))
    }

    @Test func scalarAndZeroSizeTensors() throws {
        var writer = SafetensorsWriter()
        try writer.add(name: "scalar", shape: [], floats: [3.5])
        try writer.add(name: "none", shape: [4, 0, 2], floats: [])
        let file = try SafetensorsFile(bytes: writer.encoded())
        #expect(try file.floats("scalar") == [3.5])
        #expect(file.info("scalar")?.elementCount == 1)
        #expect(try file.floats("none") == [])
        #expect(file.info("none")?.elementCount == 0)
        #expect(file.info("none")?.dataRange == 0..<0)  // "none" sorts before "scalar"
    }

    @Test func addRefusesBadTensorsAndKeepsTheWriterUnchanged() throws {
        var writer = SafetensorsWriter()
        try writer.add(name: "w", shape: [2], floats: [1, 2])
        let before = writer.encoded()
        #expect(safetensorsError { try writer.add(name: "x", shape: [3], floats: [1, 2]) }?.reason == .shapeMismatch)
        #expect(
            safetensorsError { try writer.add(name: "x", shape: [-1, -2], floats: [1, 2]) }?.reason
                == .shapeMismatch)
        #expect(
            safetensorsError { try writer.add(name: "x", dtype: .F16, shape: [2], bytes: [0, 0, 0]) }?.reason
                == .shapeMismatch)
        #expect(safetensorsError { try writer.add(name: "w", shape: [1], floats: [1]) }?.reason == .duplicateName)
        #expect(
            safetensorsError { try writer.add(name: "__metadata__", shape: [1], floats: [1]) }?.reason
                == .duplicateName)
        #expect(writer.count == 1)
        #expect(writer.encoded() == before)
    }

    @Test func floatBufferAndRawBufferOverloads() throws {
        let values: [Float] = [1.5, -2.25, .greatestFiniteMagnitude, .leastNonzeroMagnitude]
        var writer = SafetensorsWriter()
        try values.withUnsafeBufferPointer { try writer.add(name: "p", shape: [2, 2], floats: $0) }
        try values.withUnsafeBytes { try writer.add(name: "q", dtype: .F32, shape: [4], bytes: $0) }
        let file = try SafetensorsFile(bytes: writer.encoded())
        #expect(try file.floats("p") == values)
        #expect(try file.floats("q") == values)
        var copy = [Float](repeating: 0, count: 4)
        try copy.withUnsafeMutableBufferPointer { try file.copyFloats("p", into: $0) }
        #expect(copy == values)
    }

    /// A model-sized buffer (3.3M floats, 13 MB) round-trips bit for bit.
    @Test func modelSizedRoundTrip() throws {
        let count = 3_300_000
        let values = (0..<count).map {
            Float(bitPattern: UInt32(truncatingIfNeeded: $0 &* 2_654_435_761) & 0x7F7F_FFFF)
        }
        var writer = SafetensorsWriter(metadata: ["model.version": "12"])
        try writer.add(name: "params", shape: [count], floats: values)
        let bytes = writer.encoded()
        let file = try SafetensorsFile(bytes: bytes)
        #expect(file.dataStart % 8 == 0)
        #expect(bytes.count == file.dataStart + count * 4)
        #expect(try file.floats("params").elementsEqual(values) { $0.bitPattern == $1.bitPattern })
    }

    @Test func writeToFileAndReadBack() throws {
        let folder = try makeTemporaryFolder()
        let path = folder + "/model.safetensors"
        var writer = SafetensorsWriter(metadata: ["k": "v"])
        try writer.add(name: "w", shape: [3], floats: [1, 2, 3])
        try writer.write(to: path)
        let file = try SafetensorsFile(contentsOf: path)
        #expect(try file.floats("w") == [1, 2, 3])
        #expect(file.metadata == ["k": "v"])
    }
}
