import GrowdaSafetensors
import Testing

/// One test per refusal reason, then the variants of each rule.
@Suite struct SafetensorsErrorTests {
    static let valid = buffer(entry: #"{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#, dataCount: 8)

    /// A buffer with the one tensor entry `"a": {"dtype": dtype, "shape": shape, "data_offsets": offsets}`.
    func entry(_ dtype: String, _ shape: String, _ offsets: String, dataCount: Int) -> [UInt8] {
        buffer(entry: "{\"dtype\":\(dtype),\"shape\":\(shape),\"data_offsets\":\(offsets)}", dataCount: dataCount)
    }

    /// Every reason has an input that produces it: adding a reason without a case here fails to compile.
    @Test(arguments: SafetensorsError.Reason.allCases)
    func eachReasonHasAnInput(reason: SafetensorsError.Reason) throws {
        let error: SafetensorsError?
        switch reason {
        case .truncated:
            error = expectRefusal([8, 0, 0], reason)
        case .headerTooLarge:
            error = expectRefusal(withUnsafeBytes(of: UInt64(1 << 40).littleEndian, Array.init), reason)
        case .invalidJSON:
            error = expectRefusal(buffer(header: #"{"a":"#), reason)
        case .invalidHeader:
            error = expectRefusal(buffer(entry: #"{"dtype":"F32","shape":[1]}"#, dataCount: 4), reason)
            #expect(error?.message.contains("data_offsets") == true)
        case .invalidDType:
            error = expectRefusal(entry(#""Q4""#, "[1]", "[0,1]", dataCount: 1), reason)
            #expect(error?.message.contains("Q4") == true)
        case .shapeMismatch:
            error = expectRefusal(entry(#""F32""#, "[2]", "[0,4]", dataCount: 4), reason)
            #expect(error?.message.contains("needs 8 bytes") == true)
        case .offsetsOutOfBounds:
            error = expectRefusal(entry(#""F32""#, "[2]", "[0,8]", dataCount: 4), reason)
        case .overlappingOrGappedOffsets:
            error = expectRefusal(entry(#""F32""#, "[1]", "[0,4]", dataCount: 8), reason)
            #expect(error?.message.contains("4 bytes after the last tensor") == true)
        case .duplicateName:
            let entry = #"{"dtype":"U8","shape":[1],"data_offsets":[0,1]}"#
            error = expectRefusal(buffer(header: "{\"a\":\(entry),\"a\":\(entry)}", data: [0]), reason)
        case .invalidMetadata:
            error = expectRefusal(buffer(header: #"{"__metadata__":{"k":1}}"#), reason)
            #expect(error?.message.contains("\"k\"") == true)
        case .tensorNotFound:
            let file = try SafetensorsFile(bytes: Self.valid)
            error = safetensorsError { _ = try file.rawBytes("b") }
        case .notFloat:
            let file = try SafetensorsFile(
                bytes: buffer(entry: #"{"dtype":"I32","shape":[2],"data_offsets":[0,8]}"#, dataCount: 8))
            error = safetensorsError { _ = try file.floats("a") }
            #expect(error?.message.contains("I32") == true)
        }
        #expect(error?.reason == reason)
        #expect(error?.message.isEmpty == false)
    }

    @Test func descriptionNamesPathMessageAndReason() {
        let error = SafetensorsError(.shapeMismatch, "tensor \"w\" is wrong", path: "/tmp/m.safetensors")
        #expect(error.description == "/tmp/m.safetensors: tensor \"w\" is wrong (safetensors: shapeMismatch)")
        #expect(SafetensorsError(.truncated, "short").description == "short (safetensors: truncated)")
    }

    @Test func truncatedHeader() {
        var bytes = buffer(header: #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, data: [7])
        bytes.removeLast(2)
        expectRefusal(bytes, .truncated)
        expectRefusal([], .truncated)
        expectRefusal(withUnsafeBytes(of: UInt64.max.littleEndian, Array.init) + [1, 2], .headerTooLarge)
        expectRefusal(withUnsafeBytes(of: UInt64(Int.max).littleEndian, Array.init), .truncated, maxHeaderBytes: .max)
    }

    @Test func headerLimitIsTheCallersChoice() throws {
        let bytes = buffer(header: "{}      ")
        expectRefusal(bytes, .headerTooLarge, maxHeaderBytes: 7)
        _ = try SafetensorsFile(bytes: bytes, maxHeaderBytes: 8)
        expectRefusal(bytes, .headerTooLarge, maxHeaderBytes: -1)
    }

    @Test(arguments: [
        "",  // empty header
        "   ",
        "x{}",
        "{}x",
        #"{"__metadata__":{"k":"v",}}"#,
        #"{"a" 1}"#,
        #"{'a':1}"#,
        #"{"a":{"dtype":"F32","shape":[01],"data_offsets":[0,4]}}"#,
        #"{"a":{"dtype":"F32","shape":[1,],"data_offsets":[0,4]}}"#,
        #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":tru}}"#,
        #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1.}}"#,
        #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":-}}"#,
        #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":"\q"}}"#,
        #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":"\u12"}}"#,
        #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":"\ud800"}}"#,
        #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":"\udc00\ud800"}}"#,
        #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":"unterminated}}"#,
        "{\"a\u{01}\":1}",  // raw control character in a string
    ])
    func invalidJSON(header: String) {
        expectRefusal(buffer(header: header, data: [0, 0, 0, 0]), .invalidJSON)
    }

    @Test func invalidUTF8IsInvalidJSON() {
        let overlongs: [[UInt8]] = [[0xC0, 0xAF], [0xE0, 0x80, 0x80]]
        let surrogateAndTooLarge: [[UInt8]] = [[0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80]]
        for bad in [[0xFF], [0xC3]] + overlongs + surrogateAndTooLarge {
            let header = Array(#"{"__metadata__":{"k":""#.utf8) + bad + Array(#""}}"#.utf8)
            expectRefusal(withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header, .invalidJSON)
        }
    }

    @Test func deepNestingIsRefusedWithoutRecursingFar() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = expectRefusal(
            buffer(entry: "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\":\(deep)}", dataCount: 1),
            .invalidJSON)
        #expect(error?.message.contains("nested deeper") == true)
    }

    @Test(arguments: [
        "[]",
        #""header""#,
        #"{"a":[]}"#,
        #"{"a":{"dtype":1,"shape":[1],"data_offsets":[0,4]}}"#,
        #"{"a":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}"#,
        #"{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}"#,
        #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#,
        #"{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#,
        #"{"a":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}"#,
        #"{"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}}"#,
        #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,4]}}"#,
        #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4]}}"#,
        #"{"a":{"shape":[1],"data_offsets":[0,4]}}"#,
        #"{"a":{"dtype":"F32","data_offsets":[0,4]}}"#,
        #"{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
    ])
    func invalidHeader(header: String) {
        expectRefusal(buffer(header: header, data: [0, 0, 0, 0]), .invalidHeader)
    }

    @Test(arguments: ["F4", "F6_E2M3", "F8_E8M0", "f32", "", "C64"])
    func invalidDType(name: String) {
        let error = expectRefusal(
            buffer(entry: "{\"dtype\":\"\(name)\",\"shape\":[1],\"data_offsets\":[0,1]}", dataCount: 1), .invalidDType)
        #expect(error?.message.contains("tensor \"a\"") == true)
    }

    @Test func shapeMismatch() {
        expectRefusal(buffer(entry: #"{"dtype":"F32","shape":[],"data_offsets":[0,0]}"#, dataCount: 0), .shapeMismatch)
        expectRefusal(buffer(entry: #"{"dtype":"F16","shape":[3],"data_offsets":[0,4]}"#, dataCount: 4), .shapeMismatch)
        expectRefusal(buffer(entry: #"{"dtype":"U8","shape":[0],"data_offsets":[0,1]}"#, dataCount: 1), .shapeMismatch)
        // product(shape) × size overflows Int: refused, never trapped.
        let huge = #"{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}"#
        let error = expectRefusal(buffer(entry: huge, dataCount: 0), .shapeMismatch)
        #expect(error?.message.contains("overflows") == true)
        let sized = #"{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]}"#
        expectRefusal(buffer(entry: sized, dataCount: 0), .shapeMismatch)
        let long = expectRefusal(entry(#""U8""#, "[1,1,1,1,1,1,1,1,1,2]", "[0,1]", dataCount: 1), .shapeMismatch)
        #expect(long?.message.contains("[1, 1, 1, 1, 1, 1, 1, 1, … (10 dimensions)] of U8 needs 2 bytes") == true)
    }

    @Test func offsetsOutOfBounds() {
        let reversed = expectRefusal(
            buffer(entry: #"{"dtype":"U8","shape":[0],"data_offsets":[4,0]}"#, dataCount: 4), .offsetsOutOfBounds)
        #expect(reversed?.message.contains("reversed") == true)
        let max = Int.max
        expectRefusal(
            buffer(entry: "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[\(max - 1),\(max)]}", dataCount: 4),
            .offsetsOutOfBounds)
        expectRefusal(
            buffer(entry: #"{"dtype":"U8","shape":[0],"data_offsets":[5,5]}"#, dataCount: 4), .offsetsOutOfBounds)
    }

    @Test func overlappingOrGappedOffsets() {
        func two(_ a: String, _ b: String, data: Int) -> [UInt8] {
            let entry = { (offsets: String) in "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":\(offsets)}" }
            return buffer(header: "{\"a\":\(entry(a)),\"b\":\(entry(b))}", data: [UInt8](repeating: 0, count: data))
        }
        let overlap = expectRefusal(two("[0,4]", "[2,6]", data: 6), .overlappingOrGappedOffsets)
        #expect(overlap?.message.contains("\"b\" starts at 2") == true)
        let gap = expectRefusal(two("[0,4]", "[8,12]", data: 12), .overlappingOrGappedOffsets)
        #expect(gap?.message.contains("gap") == true)
        expectRefusal(two("[0,4]", "[0,4]", data: 4), .overlappingOrGappedOffsets)
        expectRefusal(two("[4,8]", "[8,12]", data: 12), .overlappingOrGappedOffsets)
        expectRefusal(buffer(header: "{}", data: [1]), .overlappingOrGappedOffsets)
        // A zero-size tensor inside another one overlaps it.
        let inside = """
            {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}
            """
        expectRefusal(buffer(header: inside, data: [UInt8](repeating: 0, count: 8)), .overlappingOrGappedOffsets)
    }

    @Test func duplicateNames() {
        let entry = #"{"dtype":"U8","shape":[1],"data_offsets":[0,1]}"#
        let second = #"{"dtype":"U8","shape":[1],"data_offsets":[1,2]}"#
        // The same name spelled with an escape is the same name.
        let header = "{\"ab\":\(entry),\"\\u0061b\":\(second)}"
        let error = expectRefusal(buffer(header: header, data: [0, 0]), .duplicateName)
        #expect(error?.message.contains("\"ab\"") == true)
    }

    @Test(arguments: [
        #"{"__metadata__":[]}"#,
        #"{"__metadata__":"x"}"#,
        #"{"__metadata__":null}"#,
        #"{"__metadata__":{"k":null}}"#,
        #"{"__metadata__":{"k":["v"]}}"#,
        #"{"__metadata__":{"k":"v","k":"w"}}"#,
        #"{"__metadata__":{},"__metadata__":{}}"#,
    ])
    func invalidMetadata(header: String) {
        expectRefusal(buffer(header: header), .invalidMetadata)
    }

    @Test func requestsOnAValidFile() throws {
        let file = try SafetensorsFile(bytes: Self.valid)
        #expect(safetensorsError { _ = try file.floats("missing") }?.reason == .tensorNotFound)
        #expect(file.info("missing") == nil)
        var destination = [Float](repeating: 0, count: 3)
        let error = safetensorsError {
            try destination.withUnsafeMutableBufferPointer { try file.copyFloats("a", into: $0) }
        }
        #expect(error?.reason == .shapeMismatch)
    }
}
