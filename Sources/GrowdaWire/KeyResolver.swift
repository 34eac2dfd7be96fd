import GrowdaCrypto

/// What a receiver knows about a sender id: its key, nothing, or that its key was revoked.
public enum KeyLookup: Sendable {
    /// The secretbox key that opens frame 2.
    case key(SecretBoxKey)
    /// No key is known: refused as ``RejectionReason/unknownSender``.
    case unknown
    /// The key was revoked: refused as ``RejectionReason/revokedSender``.
    case revoked
}

/// The keys one receiver holds, looked up per message. The aggregator's node registry conforms, so
/// revocation takes effect on the next message; ``AggregatorKeyring``, ``NodeKeyring`` and
/// ``OperatorKeyring`` are ready-made ones.
///
/// The decoder has already checked that `sender` may send `type` (nodes send updates, heartbeats and
/// snapshot requests; the aggregator sends models and replies; the admin sends status requests), so a
/// resolver answers only "which key".
public protocol KeyResolver {
    /// The id of the party decoding: the `"recipient"` a reply must name (the node's id, or the admin id).
    var localID: UInt32 { get }
    /// The aggregator's verify key, for the signed types; nil refuses them as unknown sender.
    var aggregatorVerifyKey: VerifyKey? { get }
    /// The key that opens a message of `type` from `sender`.
    func openingKey(for type: MessageType, sender: UInt32) -> KeyLookup
}

/// The aggregator's keys: one per node (or its revocation), and the admin key.
///
/// It opens updates, heartbeats and snapshot requests from nodes, and status requests from the admin.
public struct AggregatorKeyring: KeyResolver, Sendable {
    /// The node keys by id.
    public var nodeKeys: [UInt32: SecretBoxKey]
    /// The ids whose keys were revoked (checked before ``nodeKeys``).
    public var revoked: Set<UInt32>
    /// The admin key, nil when status requests are not served.
    public var adminKey: SecretBoxKey?

    /// Makes a keyring.
    public init(nodeKeys: [UInt32: SecretBoxKey], revoked: Set<UInt32> = [], adminKey: SecretBoxKey? = nil) {
        self.nodeKeys = nodeKeys
        self.revoked = revoked
        self.adminKey = adminKey
    }

    /// The aggregator's id.
    public var localID: UInt32 { SenderID.aggregator }
    /// None: the aggregator receives no signed messages.
    public var aggregatorVerifyKey: VerifyKey? { nil }

    /// A node's key for node messages, the admin key for status requests, nothing for the rest.
    public func openingKey(for type: MessageType, sender: UInt32) -> KeyLookup {
        switch type.sender {
        case .node:
            if revoked.contains(sender) { return .revoked }
            return nodeKeys[sender].map(KeyLookup.key) ?? .unknown
        case .admin:
            return adminKey.map(KeyLookup.key) ?? .unknown
        case .aggregator:
            return .unknown
        }
    }
}

/// A node's keys, from its bundle: its own key, the model key and the aggregator's verify key.
///
/// It opens model broadcasts (model key) and snapshot replies addressed to this node (its own key).
public struct NodeKeyring: KeyResolver, Sendable {
    /// This node's id.
    public var node: UInt32
    /// This node's secretbox key.
    public var nodeKey: SecretBoxKey
    /// The federation's model key.
    public var modelKey: SecretBoxKey
    /// The aggregator's verify key.
    public var verifyKey: VerifyKey

    /// Makes a keyring.
    public init(node: UInt32, nodeKey: SecretBoxKey, modelKey: SecretBoxKey, verifyKey: VerifyKey) {
        self.node = node
        self.nodeKey = nodeKey
        self.modelKey = modelKey
        self.verifyKey = verifyKey
    }

    /// This node's id.
    public var localID: UInt32 { node }
    /// The aggregator's verify key.
    public var aggregatorVerifyKey: VerifyKey? { verifyKey }

    /// The model key for models, the node's key for snapshot replies, nothing for the rest.
    public func openingKey(for type: MessageType, sender: UInt32) -> KeyLookup {
        switch type {
        case .model: .key(modelKey)
        case .snapshotReply: .key(nodeKey)
        case .update, .heartbeat, .snapshotRequest, .statusRequest, .statusReply: .unknown
        }
    }
}

/// The operator's key: it opens status replies.
public struct OperatorKeyring: KeyResolver, Sendable {
    /// The admin key.
    public var adminKey: SecretBoxKey

    /// Makes a keyring.
    public init(adminKey: SecretBoxKey) {
        self.adminKey = adminKey
    }

    /// The admin id.
    public var localID: UInt32 { SenderID.admin }
    /// None: status replies are not signed.
    public var aggregatorVerifyKey: VerifyKey? { nil }

    /// The admin key for status replies, nothing for the rest.
    public func openingKey(for type: MessageType, sender: UInt32) -> KeyLookup {
        type == .statusReply ? .key(adminKey) : .unknown
    }
}
