// libFuzzer entry point for GrowdaProvisioning's federation.conf parser (run it with
// Tests/Fuzz/fuzz.sh federation-conf): the bytes are checked as UTF-8 as `FederationConfig.load` does, parsed,
// every typed getter is called, and the rendered text is parsed again. Every input must give a
// configuration or a thrown error; anything else (a trap, a leak, an out-of-bounds access under
// AddressSanitizer) is a finding.
import GrowdaProvisioning

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self),
        let config = try? FederationConfig.parse(text, path: "federation.conf")
    else { return 0 }
    typealias Key = FederationConfig.Key
    _ = try? config.host(Key.endpointHost, default: FederationConfig.Default.host)
    _ = try? config.host(Key.bindHost, default: FederationConfig.Default.host)
    for key in [Key.updatesPort, Key.modelsPort, Key.snapshotsPort] { _ = try? config.port(key, default: 1) }
    _ = try? config.integer(Key.maxMessageBytes, in: FederationConfig.maxMessageBytesRange, default: 1 << 20)
    _ = config.unknownKeys(known: FederationConfig.knownKeys.map(\.name))
    guard let again = try? FederationConfig.parse(config.rendered(), path: "federation.conf"), again.keys == config.keys
    else { fatalError("the rendered configuration does not parse back to the same keys") }
    return 0
}
