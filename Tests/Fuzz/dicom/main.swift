// libFuzzer entry point for GrowdaData's DICOM path (run it with Tests/Fuzz/fuzz.sh dicom): the shim's
// request and reply over its worker socket, and the Swift side that turns the reply into gray levels. GDCM
// itself runs in the shim's worker processes, so its coverage is not seen here and a GDCM abort is an
// expected `.corruptDICOM`; a trap, a leak or an out-of-bounds access in this process is a finding. Slow
// under AddressSanitizer (a few runs a second: every run forks a worker from a sanitized zygote).
import GrowdaData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? DICOM.decode(Array(UnsafeBufferPointer(start: data, count: size)), name: "fuzz.dcm")
    return 0
}
