/// The kind of a message, as carried in byte 5 of frame 1 and repeated as `"type"` in the sealed body.
public enum MessageType: UInt8, CaseIterable, Sendable, Hashable {
    /// Node → aggregator: a model delta with its sequence number, base version, sample count and metrics.
    case update = 1
    /// Node → aggregator: liveness, the model version held, the node's state and its unacknowledged queue.
    case heartbeat = 2
    /// Aggregator → all nodes: a global model version, sealed with the model key and signed.
    case model = 3
    /// Node → aggregator: "send me the latest model, and tell me what you have accepted from me".
    case snapshotRequest = 4
    /// Aggregator → one node: the latest model (unless the node has it) and the node's acknowledged sequence.
    case snapshotReply = 5
    /// Operator → aggregator: a status query, sealed with the admin key.
    case statusRequest = 6
    /// Aggregator → operator: the answer to a status query, as an opaque JSON document.
    case statusReply = 7

    /// Who may send this type, which fixes the sender id in frame 1 and the key that seals the body.
    public enum Sender: Sendable, Hashable {
        /// A node (ids 1 … 0xFFFF_FFFE); sealed with the node's own key.
        case node
        /// The aggregator (id 0); sealed with the model key (``model``) or the recipient's key (replies).
        case aggregator
        /// The operator (id 0xFFFF_FFFF); sealed with the admin key.
        case admin
    }

    /// Who may send this type.
    public var sender: Sender {
        switch self {
        case .update, .heartbeat, .snapshotRequest: .node
        case .model, .snapshotReply, .statusReply: .aggregator
        case .statusRequest: .admin
        }
    }

    /// Whether messages of this type carry frame 3, the aggregator's Ed25519 signature.
    public var isSigned: Bool { self == .model || self == .snapshotReply }

    /// Whether the sealed body names a recipient (`"recipient"`): the replies, sealed for one party.
    public var hasRecipient: Bool { self == .snapshotReply || self == .statusReply }

    /// The number of frames a message of this type has: 3 when signed, else 2.
    public var frameCount: Int { isSigned ? 3 : 2 }

    /// The name carried in the body's `"type"` metadata field, e.g. `snapshot_request`.
    public var name: String {
        switch self {
        case .update: "update"
        case .heartbeat: "heartbeat"
        case .model: "model"
        case .snapshotRequest: "snapshot_request"
        case .snapshotReply: "snapshot_reply"
        case .statusRequest: "status_request"
        case .statusReply: "status_reply"
        }
    }
}

/// The sender ids with a fixed meaning; nodes get the ids in between when they are provisioned.
public enum SenderID {
    /// The aggregator's id.
    public static let aggregator: UInt32 = 0
    /// The operator's id (status requests, and the recipient of status replies).
    public static let admin: UInt32 = 0xFFFF_FFFF
    /// The ids a node may have.
    public static let nodes: ClosedRange<UInt32> = 1...0xFFFF_FFFE

    /// Whether `id` may send messages whose sender role is `role`.
    public static func id(_ id: UInt32, canSendAs role: MessageType.Sender) -> Bool {
        switch role {
        case .node: nodes.contains(id)
        case .aggregator: id == aggregator
        case .admin: id == admin
        }
    }
}
