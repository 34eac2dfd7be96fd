// libFuzzer entry point for the node bundle parser (run it with Tests/Fuzz/fuzz.sh bundle): GrowdaCrypto's
// KeyBundle parser with the node layout, then GrowdaProvisioning's checks of id, name and endpoints.
// Every input must give a bundle or a thrown error; anything else (a trap, a leak, an out-of-bounds access
// under AddressSanitizer) is a finding.
@testable import GrowdaCrypto
@testable import GrowdaProvisioning

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let contents = UnsafeRawBufferPointer(start: data, count: size)
    guard let bundle = try? KeyBundle.parse(contents, path: "fuzz.bundle", layout: NodeBundle.layout) else { return 0 }
    _ = try? NodeBundle.validated(bundle, path: "fuzz.bundle")
    return 0
}
