/// Node → aggregator (DEALER → ROUTER): "send me the latest model unless I have it, and tell me the
/// highest update of mine you have settled". Sealed with the node's key; no tensors.
///
/// Body fields: `request_id` (decimal, echoed in the reply), `have_version` (decimal or `none`), and
/// optionally `want_send` (decimal): the seq of an update the node has ready and asks leave to send, and
/// `want` (`latest` or `best`; absent: `latest`): which model the reply should carry.
public struct SnapshotRequest: Sendable, Equatable {
    /// Which model a node asks for.
    public enum Want: String, Sendable, Equatable {
        /// The latest version, unless the node holds it (what a node trains from).
        case latest
        /// The best version by the aggregator's evaluation metric (what a node may diagnose with); the reply
        /// carries it with `best` = `true`, or the latest as usual when the aggregator keeps no best version.
        case best
    }

    /// The asking node's id.
    public var node: UInt32
    /// A random number the reply echoes, so the node can match it (and refuse any other as a replay).
    public var requestID: UInt64
    /// The model version the node holds, nil when it holds none.
    public var haveVersion: UInt64?
    /// The seq of an update the node has ready to send and asks leave for (see `SnapshotReply.sendOK`);
    /// nil when it has none waiting.
    public var wantSend: UInt64?
    /// Which model the reply should carry; `.latest` unless the node diagnoses with the best version and
    /// does not hold the one the aggregator names (`SnapshotReply.bestVersion`).
    public var want: Want

    /// Makes a snapshot request.
    public init(node: UInt32, requestID: UInt64, haveVersion: UInt64?, wantSend: UInt64? = nil, want: Want = .latest) {
        self.want = want
        self.node = node
        self.requestID = requestID
        self.haveVersion = haveVersion
        self.wantSend = wantSend
    }
}

extension SnapshotRequest: MessageBody {
    static var type: MessageType { .snapshotRequest }
    var senderID: UInt32 { node }

    func fields(limits: WireLimits) throws(WireEncodingError) -> [String: String] {
        var fields = ["request_id": String(requestID), "have_version": MetadataFields.versionText(haveVersion)]
        if let wantSend { fields["want_send"] = String(wantSend) }
        if want == .best { fields["want"] = want.rawValue }
        return fields
    }

    init(sender: UInt32, fields: MetadataFields, tensors: WireTensors, limits: WireLimits) throws(RejectionReason) {
        guard tensors.count == 0 else { throw .malformed }
        var want = Want.latest
        if let text = fields.fields["want"] {
            guard let known = Want(rawValue: text) else { throw .malformed }
            want = known
        }
        self.init(
            node: sender, requestID: try fields.uint64("request_id"), haveVersion: try fields.version("have_version"),
            wantSend: try fields.optionalUInt64("want_send"), want: want)
    }
}
