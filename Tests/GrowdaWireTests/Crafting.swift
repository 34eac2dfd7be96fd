import GrowdaCrypto
import GrowdaSafetensors

@testable import GrowdaWire

/// Builds messages by hand, with GrowdaSafetensors' own writer and GrowdaCrypto's seal, bypassing
/// ``WireEncoder``: for bodies the encoder would never produce, and as an independent second encoder.
enum Crafting {
    /// The standard metadata of a valid update from node 7 (seq 5, base 10).
    static var updateFields: [String: String] {
        ["type": "update", "sender": "7", "seq": "5", "base_version": "10", "samples": "3", "metrics": "{}"]
    }

    /// The standard metadata of a valid heartbeat from node 7.
    static var heartbeatFields: [String: String] {
        [
            "type": "heartbeat", "sender": "7", "seq": "2", "version": "none", "state": "idle", "unacked": "0",
            "unacked_seqs": "",
        ]
    }

    /// A safetensors body with `metadata` and `tensors` (name → dtype, shape, bytes), from the writer.
    static func body(
        metadata: [String: String],
        tensors: [(name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8])] = []
    ) throws -> [UInt8] {
        var writer = SafetensorsWriter(metadata: metadata)
        for tensor in tensors {
            try writer.add(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape, bytes: tensor.bytes)
        }
        return writer.encoded()
    }

    /// The little-endian bytes of `values`.
    static func f32(_ values: [Float]) -> [UInt8] {
        values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
    }

    /// The fixture layout's tensors as writer entries, every value `value`.
    static func layoutTensors(
        value: Float = 0.01
    ) -> [(
        name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8]
    )] {
        Fixture.layout.shapes.map { name, shape in
            (name, .F32, shape, f32(Array(repeating: value, count: shape.reduce(1, *))))
        }
    }

    /// Frames for `plaintext` sealed under `key`, with frame 1 for `type` from `sender`, signed when
    /// `signingKey` is given.
    static func frames(
        type: MessageType, sender: UInt32, plaintext: [UInt8], key: SecretBoxKey, signingKey: SigningKey? = nil
    ) throws -> [[UInt8]] {
        let nonce = try SecretBox.Nonce()
        let frame1 = WireHeader(type: type, sender: sender, nonce: nonce).encoded
        let frame2 = try SecretBox.seal(plaintext, key: key, nonce: nonce).ciphertext
        guard let signingKey else { return [frame1, frame2] }
        return [frame1, frame2, try signingKey.sign(GenericHash.hash(frame1 + frame2)).bytes]
    }

    /// An update from node 7 whose metadata is `fields`, with the layout's tensors unless others are given.
    static func update(
        fields: [String: String],
        tensors: [(name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8])]? = nil
    ) throws -> [[UInt8]] {
        let body = try body(metadata: fields, tensors: tensors ?? layoutTensors())
        return try frames(type: .update, sender: Fixture.node, plaintext: body, key: Fixture.nodeKey)
    }
}

/// The aggregator's receive path in miniature: decode, then validate updates, counting every refusal.
struct MiniAggregator {
    /// Refusals by reason.
    let counter = RejectionCounter()
    /// The highest settled sequence number per node.
    var settled: [UInt32: UInt64] = [:]
    /// The validator's view: t = 12, s_max = 4, norm bound 10.
    var validator = UpdateValidator(layout: Fixture.layout, currentVersion: 12, maxStaleness: 4, maxNorm: 10)
    /// The limits it receives under.
    var limits = WireLimits.standard
    /// Its keys.
    var keys = Fixture.aggregatorKeys

    /// Receives `frames`; an accepted update settles its sequence number.
    mutating func receive(_ frames: [[UInt8]]) -> Result<Message, RejectionReason> {
        let decoded = WireDecoder.open(frames, keys: keys, limits: limits)
        let result = decoded.flatMap { message -> Result<Message, RejectionReason> in
            guard case .update(let update) = message else { return .success(message) }
            return validator.validate(update, settledSeq: settled[update.node, default: 0]).map { accepted in
                settled[update.node] = accepted.update.seq
                return message
            }
        }
        return counter.record(result)
    }
}
