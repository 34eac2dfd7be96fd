import GrowdaCrypto

/// Aggregator → one node (ROUTER → DEALER): the answer to a ``SnapshotRequest``. Sealed with the node's
/// key and signed by the aggregator (frame 3), whether or not it carries the model.
///
/// Body fields: `request_id`, `recipient`, `version` (the aggregator's latest), `acked_seq` (decimal),
/// `has_model` (`true`/`false`); with a model, also `created` and `spec` and the weights as tensors;
/// without one, no tensors. A model's reply also carries its `privacy` policy when the federation sets
/// one (as ``ModelMessage`` does). An aggregator that admits updates (all of this build's) also sends
/// `send_ok` (decimal). An aggregator that announces how it runs its rounds sends `mode` (`async` or
/// `sync`); older ones leave it out. Two optional fields carry revocation: `model_key`, the federation's
/// current model key sealed under the node's own key (after a rotation the node takes it), and
/// `revoked` = `true`, sent only to a revoked node. An aggregator that keeps the best version by its
/// evaluation metric names it in `best_version` (decimal); a reply to a request with `want` = `best` carries
/// that version's model and `best` = `true` (then `version` is the best version's, not the latest's). An
/// aggregator that has stopped making versions (a stop rule fired) sends `stopped` = `true`. An aggregator
/// whose federation compresses updates announces the codec nodes use in `codec` (``UpdateCodec``'s text).
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
    /// The best version by the aggregator's evaluation metric, whose model a node may ask for with
    /// `want` = `best`; nil when the aggregator keeps none (no evaluation, or `eval.keep_best = false`).
    public var bestVersion: UInt64?
    /// The model carried (or, up to date, the version named) is the best version, not the latest: a node
    /// keeps it to diagnose with and goes on training from the latest.
    public var best: Bool
    /// The aggregator has stopped making versions (a stop rule fired): updates are refused as `stopped`,
    /// so a node stops training and keeps the final model.
    public var stopped: Bool
    /// The codec the federation asks nodes to compress their updates with (`wire.codec`); nil from an
    /// aggregator that does not announce one (nodes then send F32 tensors).
    public var codec: UpdateCodec?

    /// The size of `model_key`: a 24-byte nonce, the 16-byte tag and the 32-byte key.
    public static let modelKeyByteCount = SecretBox.nonceByteCount + SecretBox.macByteCount + SecretBoxKey.byteCount

    /// Makes a snapshot reply.
    public init(
        recipient: UInt32, requestID: UInt64, ackedSeq: UInt64, content: Content, sendOK: UInt64? = nil,
        mode: FederationMode? = nil, modelKey: SecretBox.SealedBox? = nil, revoked: Bool = false,
        bestVersion: UInt64? = nil, best: Bool = false, stopped: Bool = false, codec: UpdateCodec? = nil
    ) {
        self.codec = codec
        self.bestVersion = bestVersion
        self.best = best
        self.stopped = stopped
        self.recipient = recipient
        self.requestID = requestID
        self.ackedSeq = ackedSeq
        self.content = content
        self.sendOK = sendOK
        self.mode = mode
        self.modelKey = modelKey
        self.revoked = revoked
    }

    /// The aggregator's latest model version (the best version's when ``best``).
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
            if let privacy = model.privacy { fields["privacy"] = privacy }
        }
        if let sendOK { fields["send_ok"] = String(sendOK) }
        if let mode { fields["mode"] = mode.rawValue }
        if let modelKey { fields["model_key"] = MetadataFields.hexText(modelKey.combined) }
        if revoked { fields["revoked"] = "true" }
        if let bestVersion { fields["best_version"] = String(bestVersion) }
        if best { fields["best"] = "true" }
        if stopped { fields["stopped"] = "true" }
        if let codec { fields["codec"] = codec.description }
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
                    weights: tensors,
                    privacy: fields.fields["privacy"]
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
        var codec: UpdateCodec? = nil
        if let text = fields.fields["codec"] {
            guard let known = UpdateCodec(text) else { throw .malformed }
            codec = known
        }
        for flag in ["revoked", "best", "stopped"] {
            guard fields.fields[flag] == nil || fields.fields[flag] == "true" else { throw .malformed }
        }
        self.init(
            recipient: try fields.uint32("recipient"),
            requestID: try fields.uint64("request_id"),
            ackedSeq: try fields.uint64("acked_seq"),
            content: content,
            sendOK: try fields.optionalUInt64("send_ok"),
            mode: mode,
            modelKey: modelKey,
            revoked: fields.fields["revoked"] == "true",
            bestVersion: try fields.optionalUInt64("best_version"),
            best: fields.fields["best"] == "true",
            stopped: fields.fields["stopped"] == "true",
            codec: codec
        )
    }
}
