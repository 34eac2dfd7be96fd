// libFuzzer entry point for GrowdaWire's decoder. Not a package target: the protocol document's appendix
// ("Fuzzing the decoder", Sources/GrowdaWire/GrowdaWire.docc/Protocol.md) gives the swiftc commands.
//
// The first input byte picks a mode, so the fuzzer reaches past the MAC check as well as before it:
// - even: the rest is raw frames, each a u16 LE length and that many bytes (a short tail is the last frame);
// - 1 mod 4: byte 1 picks the type, the rest is a plaintext body, sealed (and signed) with the right key;
// - 3 mod 4: byte 1 picks the type, the rest is `key=value` lines, then after a 0 byte F32 tensor bytes
//   (U8 bytes of a compressed update's encoding when the lines set `codec`), written as a safetensors body by
//   GrowdaSafetensors' writer, then sealed (and signed).
// Every input must give a message or a rejection reason; anything else (a trap, a leak, an
// out-of-bounds access under AddressSanitizer) is a finding.
import GrowdaCrypto
import GrowdaSafetensors
import GrowdaWire

/// Fixed test keys: node 7 has 00 01 … 1f, node 9 is revoked.
enum FuzzKeys {
    static let node = try! SecretBoxKey(bytes: (0..<32).map(UInt8.init))
    static let model = try! SecretBoxKey(bytes: (32..<64).map(UInt8.init))
    static let admin = try! SecretBoxKey(bytes: (64..<96).map(UInt8.init))
    static let signing = try! SigningKey(seed: (96..<128).map(UInt8.init))
    static let nonce = try! SecretBox.Nonce(bytes: [UInt8](repeating: 0x5A, count: 24))
    static let aggregator = AggregatorKeyring(nodeKeys: [7: node, 9: model], revoked: [9], adminKey: admin)
    static let nodeRing = NodeKeyring(node: 7, nodeKey: node, modelKey: model, verifyKey: signing.verifyKey)
    static let operatorRing = OperatorKeyring(adminKey: admin)
    static let limits = WireLimits(maxMessageBytes: 1 << 16, maxHeaderBytes: 8192, maxTensors: 16, maxUnackedSeqs: 8)
}

/// Decodes `frames` as each of the three receivers would.
func decodeEverywhere(_ frames: [[UInt8]]) {
    for result in [
        WireDecoder.open(frames, keys: FuzzKeys.aggregator, limits: FuzzKeys.limits),
        WireDecoder.open(frames, keys: FuzzKeys.nodeRing, limits: FuzzKeys.limits),
        WireDecoder.open(frames, keys: FuzzKeys.operatorRing, limits: FuzzKeys.limits),
    ] {
        guard case .success(let message) = result, case .update(let update) = message else { continue }
        let validator = UpdateValidator(
            layout: TensorLayout(shapes: ["w": [2]]), currentVersion: 5, maxStaleness: 3, maxNorm: 10)
        _ = validator.validate(update, settledSeq: 1)
    }
}

/// Raw frames: u16 LE length-prefixed.
func rawFrames(_ bytes: ArraySlice<UInt8>) -> [[UInt8]] {
    var frames: [[UInt8]] = []
    var rest = bytes
    while rest.count >= 2 {
        let length = Int(rest[rest.startIndex]) | Int(rest[rest.startIndex + 1]) << 8
        rest = rest.dropFirst(2)
        frames.append(Array(rest.prefix(length)))
        rest = rest.dropFirst(length)
    }
    if !rest.isEmpty { frames.append(Array(rest)) }
    return frames
}

/// `plaintext` sealed as a message of the type byte 1 picks, from the sender that type requires.
func sealedFrames(type byte: UInt8, plaintext: [UInt8]) -> [[UInt8]] {
    let type = MessageType.allCases[Int(byte) % MessageType.allCases.count]
    let sender: UInt32 =
        switch type.sender {
        case .node: byte & 0x80 == 0 ? 7 : 9
        case .aggregator: 0
        case .admin: 0xFFFF_FFFF
        }
    let key: SecretBoxKey =
        switch type {
        case .model: FuzzKeys.model
        case .statusRequest, .statusReply: FuzzKeys.admin
        default: FuzzKeys.node
        }
    let frame1 = WireHeader(type: type, sender: sender, nonce: FuzzKeys.nonce).encoded
    let frame2 = try! SecretBox.seal(plaintext, key: key, nonce: FuzzKeys.nonce).ciphertext
    guard type.isSigned else { return [frame1, frame2] }
    return [frame1, frame2, try! FuzzKeys.signing.sign(GenericHash.hash(frame1 + frame2)).bytes]
}

/// `key=value` lines, then after a 0 byte the bytes of an F32 tensor `w`, as a safetensors body.
func fieldsBody(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
    let split = bytes.firstIndex(of: 0) ?? bytes.endIndex
    var metadata: [String: String] = [:]
    for line in bytes[..<split].split(separator: UInt8(ascii: "\n")) {
        let parts = line.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
        metadata[String(decoding: parts[0], as: UTF8.self)] = String(
            decoding: parts.dropFirst().first ?? [], as: UTF8.self)
    }
    var writer = SafetensorsWriter(metadata: metadata)
    let data = Array(bytes[split...].dropFirst())
    if !data.isEmpty, let codec = metadata["codec"], codec != "none" {
        // A compressed update: the bytes are `w`'s encoding, a U8 tensor (the validator decodes it).
        guard (try? writer.add(name: "w", dtype: .U8, shape: [data.count], bytes: data)) != nil else { return nil }
    } else if !data.isEmpty {
        let count = data.count / 4
        guard (try? writer.add(name: "w", dtype: .F32, shape: [count], bytes: Array(data.prefix(count * 4)))) != nil
        else { return nil }
    }
    return writer.encoded()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let mode = bytes.first else {
        decodeEverywhere([])
        return 0
    }
    if mode % 2 == 0 {
        decodeEverywhere(rawFrames(bytes.dropFirst()))
    } else if bytes.count >= 2 {
        let plaintext = mode % 4 == 1 ? Array(bytes.dropFirst(2)) : fieldsBody(bytes.dropFirst(2))
        if let plaintext { decodeEverywhere(sealedFrames(type: bytes[1], plaintext: plaintext)) }
    }
    return 0
}
