// libFuzzer entry point for GrowdaSafetensors' reader (run it with Tests/Fuzz/fuzz.sh safetensors): the bytes
// are parsed as a whole file and every tensor is read as raw bytes and as floats. Every input must give a
// file or a thrown SafetensorsError; anything else (a trap, a leak, an out-of-bounds access under
// AddressSanitizer) is a finding.
import GrowdaSafetensors

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? SafetensorsFile(bytes: bytes, maxHeaderBytes: 1 << 16) else { return 0 }
    for tensor in file.tensors {
        _ = try? file.rawBytes(tensor.name)
        _ = try? file.floats(tensor.name)
    }
    return 0
}
