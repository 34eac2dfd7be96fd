import GrowdaCrypto

/// Aggregator → one node (ROUTER → DEALER): the answer to a ``SnapshotRequest``. Sealed with the node's
/// key and signed by the aggregator (frame 3), whether or not it carries the model.
///
/// Body fields: `request_id`, `recipient`, `version` (the aggregator's latest), `acked_seq` (decimal),
/// `has_model` (`true`/`false`); with a model, also `created` and `spec` and the weights as tensors;
/// without one, no tensors. An aggregator that admits updates (all of this build's) also sends
/// `send_ok` (decimal). An aggregator that announces how it runs its rounds sends `mode` (`async` or
/// `sync`); older ones leave it out. Two optional fields carry revocation: `model_key`, the federation's
/// current model key sealed under the node's own key (after a rotation the node takes it), and
/// `revoked` = `true`, sent only to a revoked node.
public struct SnapshotReply: Sendable, Equatable {
    /// What the reply carries besides the acknowledgement.
    public enum Content: Sendable, Equatable {
        /// The node already holds the latest version, which is this one.
        case upToDate(version: UInt64)
        /// The latest model.
        case model(ModelMessage)
    }

    /// The node the reply is for.
    public var recipient: UInt32
    /// The request's id, echoed.
    public var requestID: UInt64
    /// The highest update sequence number the aggregator has settled from this node (accepted and on
    /// disk, or refused for a reason a resend cannot fix); 0 when none. The node drops every queued
    /// update at or below it.
    public var ackedSeq: UInt64
    /// The latest model, or only its version when the node has it.
    public var content: Content
    /// Admission: the highest seq of this node's updates the aggregator will take now (the node sends
    /// its updates up to it; 0: none for now, ask again). Nil from an aggregator without admission
    /// control: the node sends without asking.
    public var sendOK: UInt64?
    /// How the aggregator runs its rounds (synchronous nodes wait for a newer version after each update).
    /// Nil from an aggregator that does not announce it: the node falls back to its own setting.
    public var mode: FederationMode?
    /// The key that seals model broadcasts now, itself sealed under the recipient's own key (see
    /// `SecretBoxKey.wrapped(under:)`): after a revocation the federation rotates it, and this is how
    /// the remaining nodes learn the new one. Nil from an aggregator that does not send it.
    public var modelKey: SecretBox.SealedBox?
    /// The recipient was revoked: it may no longer take part, and should stop.
    public var revoked: Bool

    /// The size of `model_key`: a 24-byte nonce, the 16-byte tag and the 32-byte key.
    public static let modelKeyByteCount = SecretBox.nonceByteCount + SecretBox.macByteCount + SecretBoxKey.byteCount

    /// Makes a snapshot reply.
    public init(
        recipient: UInt32, requestID: UInt64, ackedSeq: UInt64, content: Content, sendOK: UInt64? = nil,
        mode: FederationMode? = nil, modelKey: SecretBox.SealedBox? = nil, revoked: Bool = false
    ) {
        self.recipient = recipient
        self.requestID = requestID
        self.ackedSeq = ackedSeq
        self.content = content
        self.sendOK = sendOK
        self.mode = mode
        self.modelKey = modelKey
        self.revoked = revoked
    }

    /// The aggregator's latest model version.
    public var latestVersion: UInt64 {
        switch content {
        case .upToDate(let version): version
        case .model(let model): model.version
        }
    }

    /// The model, when the reply carries one.
    public var model: ModelMessage? {
        if case .model(let model) = content { return model }
        return nil
    }
}

extension SnapshotReply: MessageBody {
    static var type: MessageType { .snapshotReply }
    var senderID: UInt32 { SenderID.aggregator }
    var recipientID: UInt32? { recipient }
    var bodyTensors: WireTensors { model?.weights ?? .empty }

    func fields(limits: WireLimits) throws(WireEncodingError) -> [String: String] {
        var fields = [
            "request_id": String(requestID),
            "version": String(latestVersion),
            "acked_seq": String(ackedSeq),
            "has_model": model == nil ? "false" : "true",
        ]
        if let model {
            fields["created"] = String(model.created)
            fields["spec"] = model.spec
        }
        if let sendOK { fields["send_ok"] = String(sendOK) }
        if let mode { fields["mode"] = mode.rawValue }
        if let modelKey { fields["model_key"] = MetadataFields.hexText(modelKey.combined) }
        if revoked { fields["revoked"] = "true" }
        return fields
    }

    init(sender: UInt32, fields: MetadataFields, tensors: WireTensors, limits: WireLimits) throws(RejectionReason) {
        let version = try fields.uint64("version")
        let content: Content
        if try fields.bool("has_model") {
            content = .model(
                ModelMessage(
                    version: version,
                    created: try fields.uint64("created"),
                    spec: try fields.text("spec"),
                    weights: tensors
                ))
        } else {
            guard tensors.count == 0 else { throw .malformed }
            content = .upToDate(version: version)
        }
        var mode: FederationMode? = nil
        if let text = fields.fields["mode"] {
            guard let known = FederationMode(rawValue: text) else { throw .malformed }
            mode = known
        }
        var modelKey: SecretBox.SealedBox? = nil
        if let combined = try fields.optionalHex("model_key", count: Self.modelKeyByteCount) {
            guard let box = try? SecretBox.SealedBox(combined: combined) else { throw .malformed }
            modelKey = box
        }
        guard fields.fields["revoked"] == nil || fields.fields["revoked"] == "true" else { throw .malformed }
        self.init(
            recipient: try fields.uint32("recipient"),
            requestID: try fields.uint64("request_id"),
            ackedSeq: try fields.uint64("acked_seq"),
            content: content,
            sendOK: try fields.optionalUInt64("send_ok"),
            mode: mode,
            modelKey: modelKey,
            revoked: fields.fields["revoked"] == "true"
        )
    }
}
