/// Aggregator → all nodes: one global model version. Sealed with the federation's model key and signed
/// with the aggregator's Ed25519 key (frame 3), so a node that holds the model key cannot forge one.
///
/// Body fields: `version`, `created` (decimal), `spec` (opaque text: the model spec as the checkpoint
/// stores it); optionally `privacy` (opaque text: the federation's privacy policy, a JSON object every
/// node trains this version under; absent: no privacy rule); tensors: the weights.
public struct ModelMessage: Sendable, Equatable {
    /// The global model version t.
    public var version: UInt64
    /// When the version was made, in milliseconds since the Unix epoch.
    public var created: UInt64
    /// The model's spec, opaque to the wire (a JSON document in practice).
    public var spec: String
    /// The weights.
    public var weights: WireTensors
    /// The federation's privacy policy for training from this version, opaque to the wire (JSON in
    /// practice); nil when the federation sets none.
    public var privacy: String?

    /// Makes a model message.
    public init(version: UInt64, created: UInt64, spec: String, weights: WireTensors, privacy: String? = nil) {
        self.privacy = privacy
        self.version = version
        self.created = created
        self.spec = spec
        self.weights = weights
    }
}

extension ModelMessage: MessageBody {
    static var type: MessageType { .model }
    var senderID: UInt32 { SenderID.aggregator }
    var bodyTensors: WireTensors { weights }

    func fields(limits: WireLimits) throws(WireEncodingError) -> [String: String] {
        var fields = ["version": String(version), "created": String(created), "spec": spec]
        if let privacy { fields["privacy"] = privacy }
        return fields
    }

    init(sender: UInt32, fields: MetadataFields, tensors: WireTensors, limits: WireLimits) throws(RejectionReason) {
        self.init(
            version: try fields.uint64("version"),
            created: try fields.uint64("created"),
            spec: try fields.text("spec"),
            weights: tensors,
            privacy: fields.fields["privacy"]
        )
    }
}
