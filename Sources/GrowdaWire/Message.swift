/// Any message the wire carries, as the decoder returns it.
public enum Message: Sendable, Equatable {
    /// Node → aggregator: a model delta.
    case update(UpdateMessage)
    /// Node → aggregator: liveness and queue state.
    case heartbeat(HeartbeatMessage)
    /// Aggregator → all nodes: a global model version.
    case model(ModelMessage)
    /// Node → aggregator: ask for the latest model and the acknowledged sequence.
    case snapshotRequest(SnapshotRequest)
    /// Aggregator → one node: the latest model (or its version) and the acknowledged sequence.
    case snapshotReply(SnapshotReply)
    /// Operator → aggregator: a status query.
    case statusRequest(StatusRequest)
    /// Aggregator → operator: the status answer.
    case statusReply(StatusReply)

    /// The message's type.
    public var type: MessageType {
        switch self {
        case .update: .update
        case .heartbeat: .heartbeat
        case .model: .model
        case .snapshotRequest: .snapshotRequest
        case .snapshotReply: .snapshotReply
        case .statusRequest: .statusRequest
        case .statusReply: .statusReply
        }
    }

    /// The sender id, as frame 1 carried it.
    public var sender: UInt32 {
        switch self {
        case .update(let message): message.senderID
        case .heartbeat(let message): message.senderID
        case .model(let message): message.senderID
        case .snapshotRequest(let message): message.senderID
        case .snapshotReply(let message): message.senderID
        case .statusRequest(let message): message.senderID
        case .statusReply(let message): message.senderID
        }
    }
}
