import GrowdaCrypto
import GrowdaSafetensors
import GrowdaTensor
import Testing

@testable import GrowdaWire

/// Fixed keys, keyrings and one message of each type, shared by the tests.
///
/// Keys come from fixed bytes, so failures reproduce; `try!` is safe on these constant, valid inputs.
enum Fixture {
    /// The node most messages come from.
    static let node: UInt32 = 7
    /// A second registered node.
    static let otherNode: UInt32 = 8
    /// A node whose key was revoked.
    static let revokedNode: UInt32 = 9

    /// Node 7's key: bytes 00 01 … 1f (the protocol document's worked example uses it).
    static let nodeKey = try! SecretBoxKey(bytes: (0..<32).map(UInt8.init))
    /// Node 8's key.
    static let otherNodeKey = try! SecretBoxKey(bytes: (100..<132).map(UInt8.init))
    /// The key node 9 had before it was revoked.
    static let revokedNodeKey = try! SecretBoxKey(bytes: (140..<172).map(UInt8.init))
    /// The federation's model key.
    static let modelKey = try! SecretBoxKey(bytes: (32..<64).map(UInt8.init))
    /// The admin key.
    static let adminKey = try! SecretBoxKey(bytes: (64..<96).map(UInt8.init))
    /// The aggregator's signing key.
    static let signingKey = try! SigningKey(seed: (96..<128).map(UInt8.init))
    /// A key that signs nothing the nodes trust.
    static let forgerKey = try! SigningKey(seed: (180..<212).map(UInt8.init))

    /// The aggregator's view: nodes 7 and 8 active, 9 revoked, the admin key.
    static var aggregatorKeys: AggregatorKeyring {
        AggregatorKeyring(
            nodeKeys: [node: nodeKey, otherNode: otherNodeKey, revokedNode: revokedNodeKey],
            revoked: [revokedNode],
            adminKey: adminKey)
    }

    /// Node 7's bundle.
    static var nodeKeys: NodeKeyring {
        NodeKeyring(node: node, nodeKey: nodeKey, modelKey: modelKey, verifyKey: signingKey.verifyKey)
    }

    /// The operator's key.
    static var operatorKeys: OperatorKeyring { OperatorKeyring(adminKey: adminKey) }

    /// The model's tensors: a small dense layer and its bias.
    static let layout = TensorLayout(shapes: ["dense.bias": [3], "dense.weight": [3, 4]])

    /// Tensors with `layout`'s shapes and seeded values in [-scale, scale].
    static func tensors(seed: UInt64, scale: Float = 0.1) -> WireTensors {
        var generator = SeededGenerator(seed: seed)
        let tensors = layout.shapes.map { name, shape in
            let count = shape.reduce(1, *)
            let values = (0..<count).map { _ in Float.random(in: -scale...scale, using: &generator) }
            return WireTensor(name: name, shape: shape, values: values)
        }
        return try! WireTensors(tensors)
    }

    /// An update from node 7.
    static func update(seq: UInt64 = 5, baseVersion: UInt64 = 10, delta: WireTensors? = nil) -> UpdateMessage {
        UpdateMessage(
            node: node, seq: seq, baseVersion: baseVersion, sampleCount: 412,
            metrics: ["loss": 0.3125, "val_accuracy": 0.9, "val_auc": 1e-5], delta: delta ?? tensors(seed: 1))
    }

    /// A model at `version`.
    static func model(version: UInt64 = 11) -> ModelMessage {
        ModelMessage(
            version: version, created: 1_767_225_600_000, spec: #"{"name":"tiny","layers":[{"dense":3}]}"#,
            weights: tensors(seed: 2, scale: 1))
    }

    /// One message of each type (the snapshot reply both with and without a model).
    static var messages: [Message] {
        [
            .update(update()),
            .heartbeat(
                HeartbeatMessage(
                    node: node, seq: 1_767_225_600_123, modelVersion: 10, state: .sending, unackedCount: 3,
                    unackedSeqs: [4, 5, 6])),
            .heartbeat(
                HeartbeatMessage(node: node, seq: 1, modelVersion: nil, state: .idle, unackedCount: 0, unackedSeqs: [])),
            .model(model()),
            .snapshotRequest(SnapshotRequest(node: node, requestID: 0xDEAD_BEEF_0000_0001, haveVersion: 9)),
            .snapshotRequest(SnapshotRequest(node: node, requestID: 2, haveVersion: nil)),
            .snapshotRequest(SnapshotRequest(node: node, requestID: 5, haveVersion: 9, wantSend: 12)),
            .snapshotReply(SnapshotReply(recipient: node, requestID: 77, ackedSeq: 4, content: .model(model()))),
            .snapshotReply(
                SnapshotReply(recipient: node, requestID: 78, ackedSeq: 5, content: .upToDate(version: 11))),
            .snapshotReply(
                SnapshotReply(
                    recipient: node, requestID: 79, ackedSeq: 11, content: .upToDate(version: 12), sendOK: 12)),
            .snapshotReply(
                SnapshotReply(recipient: node, requestID: 80, ackedSeq: 11, content: .upToDate(version: 12), sendOK: 0)),
            .statusRequest(StatusRequest(requestID: 3, what: "summary")),
            .statusReply(StatusReply(requestID: 3, json: #"{"version":11,"nodes":{"7":"training"}}"#)),
        ]
    }

    /// The frames of `message`, sealed with the key its type calls for.
    static func frames(
        _ message: Message, nonce: SecretBox.Nonce? = nil, limits: WireLimits = .standard
    ) throws
        -> [[UInt8]]
    {
        switch message {
        case .update(let body): try WireEncoder.encode(body, nodeKey: key(of: body.node), nonce: nonce, limits: limits)
        case .heartbeat(let body):
            try WireEncoder.encode(body, nodeKey: key(of: body.node), nonce: nonce, limits: limits)
        case .snapshotRequest(let body):
            try WireEncoder.encode(body, nodeKey: key(of: body.node), nonce: nonce, limits: limits)
        case .model(let body):
            try WireEncoder.encode(body, modelKey: modelKey, signingKey: signingKey, nonce: nonce, limits: limits)
        case .snapshotReply(let body):
            try WireEncoder.encode(
                body, nodeKey: key(of: body.recipient), signingKey: signingKey, nonce: nonce, limits: limits)
        case .statusRequest(let body): try WireEncoder.encode(body, adminKey: adminKey, nonce: nonce, limits: limits)
        case .statusReply(let body): try WireEncoder.encode(body, adminKey: adminKey, nonce: nonce, limits: limits)
        }
    }

    /// The keys of the party that receives messages of `type`.
    static func receiverKeys(for type: MessageType) -> any KeyResolver {
        switch type {
        case .update, .heartbeat, .snapshotRequest, .statusRequest: aggregatorKeys
        case .model, .snapshotReply: nodeKeys
        case .statusReply: operatorKeys
        }
    }

    /// The key a node id seals with.
    static func key(of node: UInt32) -> SecretBoxKey {
        switch node {
        case otherNode: otherNodeKey
        case revokedNode: revokedNodeKey
        default: nodeKey
        }
    }

    /// Decodes `frames` as their type's receiver would, counting refusals in `counter`.
    static func open(
        _ frames: [[UInt8]], counter: RejectionCounter? = nil, limits: WireLimits = .standard
    )
        -> Result<Message, RejectionReason>
    {
        let type = frames.first.flatMap { $0.count > 5 ? MessageType(rawValue: $0[5]) : nil } ?? .update
        let result = WireDecoder.open(frames, keys: receiverKeys(for: type), limits: limits, counter: counter)
        // The in-place form (frame 2 in a receiver's own memory) must reach the same verdict on any input.
        if frames.count == 2 || frames.count == 3, frames.reduce(0, { $0 + $1.count }) <= limits.maxMessageBytes {
            let inPlace = frames[1].withUnsafeBytes { body in
                WireDecoder.open(
                    header: frames[0], body: body, signature: frames.count == 3 ? frames[2] : nil,
                    keys: receiverKeys(for: type), limits: limits)
            }
            #expect(inPlace == result, "the in-place decoder disagrees")
        }
        return result
    }
}

/// Bytes from hex digits; whitespace is ignored. Traps on anything else, which only a typo in a test causes.
func bytes(hex: String) -> [UInt8] {
    let digits = Array(hex.filter { !$0.isWhitespace })
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

/// Lower-case hex of `bytes`.
func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}
