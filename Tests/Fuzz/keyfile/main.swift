// libFuzzer entry point for GrowdaCrypto's key-file parser (run it with Tests/Fuzz/fuzz.sh keyfile).
//
// The first input byte picks the kind of key expected (secretbox, signing, verify); the rest is the
// file's contents. Every input must give a key or a thrown CryptoError; anything else (a trap, a leak, an
// out-of-bounds access under AddressSanitizer) is a finding.
@testable import GrowdaCrypto

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let contents = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    switch data[0] % 3 {
    case 0: _ = try? KeyFile.parse(SecretBoxKey.self, contents, path: "fuzz.key")
    case 1: _ = try? KeyFile.parse(SigningKey.self, contents, path: "fuzz.key")
    default: _ = try? KeyFile.parse(VerifyKey.self, contents, path: "fuzz.key")
    }
    return 0
}
