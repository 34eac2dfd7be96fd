import Foundation
import GrowdaSafetensors
import Testing

/// A safetensors buffer from a literal header (unpadded) and data section.
func buffer(header: String, data: [UInt8] = []) -> [UInt8] {
    let json = Array(header.utf8)
    return withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json + data
}

/// A buffer with one tensor entry literal, `"a": {entry}`, and `dataCount` zero bytes of data.
func buffer(entry: String, dataCount: Int) -> [UInt8] {
    buffer(header: "{\"a\":\(entry)}", data: [UInt8](repeating: 0, count: dataCount))
}

/// The `SafetensorsError` that `body` throws; records an issue when it throws nothing or another type.
func safetensorsError(
    _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) -> SafetensorsError? {
    do {
        try body()
        Issue.record("expected a SafetensorsError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as SafetensorsError {
        return error
    } catch {
        Issue.record("expected a SafetensorsError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Expects parsing `bytes` to fail for `reason`, and returns the error for further checks.
@discardableResult
func expectRefusal(
    _ bytes: [UInt8], _ reason: SafetensorsError.Reason, maxHeaderBytes: Int = 100 << 20,
    sourceLocation: SourceLocation = #_sourceLocation
) -> SafetensorsError? {
    let error = safetensorsError(
        { _ = try SafetensorsFile(bytes: bytes, maxHeaderBytes: maxHeaderBytes) }, sourceLocation: sourceLocation)
    #expect(
        error?.reason == reason, "\(error.map(String.init(describing:)) ?? "no error")",
        sourceLocation: sourceLocation)
    return error
}

/// The little-endian bytes of `values`.
func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
}

/// A fresh empty folder under the system's temporary folder.
func makeTemporaryFolder() throws -> String {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("growda-safetensors-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

/// SplitMix64: a small seeded generator so that randomized tests repeat exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
