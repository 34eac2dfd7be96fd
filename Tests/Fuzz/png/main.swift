// libFuzzer entry point for GrowdaData's PNG decoder over libpng's simplified API (run it with
// Tests/Fuzz/fuzz.sh png). Every input must give an image or a thrown ImageError; anything else (a trap, a
// leak, an out-of-bounds access under AddressSanitizer) is a finding. libpng itself is not instrumented,
// so its own reads are only checked where they touch Swift-owned buffers.
import GrowdaData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? PNG.decode(Array(UnsafeBufferPointer(start: data, count: size)), name: "fuzz.png")
    return 0
}
