/// Node → aggregator (DEALER → ROUTER): "send me the latest model unless I have it, and tell me the
/// highest update of mine you have settled". Sealed with the node's key; no tensors.
///
/// Body fields: `request_id` (decimal, echoed in the reply), `have_version` (decimal or `none`).
public struct SnapshotRequest: Sendable, Equatable {
    /// The asking node's id.
    public var node: UInt32
    /// A random number the reply echoes, so the node can match it (and refuse any other as a replay).
    public var requestID: UInt64
    /// The model version the node holds, nil when it holds none.
    public var haveVersion: UInt64?

    /// Makes a snapshot request.
    public init(node: UInt32, requestID: UInt64, haveVersion: UInt64?) {
        self.node = node
        self.requestID = requestID
        self.haveVersion = haveVersion
    }
}

extension SnapshotRequest: MessageBody {
    static var type: MessageType { .snapshotRequest }
    var senderID: UInt32 { node }

    func fields(limits: WireLimits) throws(WireEncodingError) -> [String: String] {
        ["request_id": String(requestID), "have_version": MetadataFields.versionText(haveVersion)]
    }

    init(sender: UInt32, fields: MetadataFields, tensors: WireTensors, limits: WireLimits) throws(RejectionReason) {
        guard tensors.count == 0 else { throw .malformed }
        self.init(
            node: sender, requestID: try fields.uint64("request_id"), haveVersion: try fields.version("have_version"))
    }
}
