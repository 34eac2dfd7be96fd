/// Node → aggregator: a model delta trained from a base version, with what the aggregator needs to weigh
/// and order it. Sealed with the node's key.
///
/// Body fields: `seq`, `base_version`, `samples` (decimal), `metrics` (a JSON object of numbers);
/// tensors: the delta Δ = w_local − w_base, one F32 tensor per model tensor. A compressed update also
/// carries `codec` (an ``UpdateEncoding``'s name) and one U8 tensor per model tensor instead
/// (``coded``), which ``UpdateValidator`` decodes against the model's layout.
public struct UpdateMessage: Sendable, Equatable {
    /// The sending node's id.
    public var node: UInt32
    /// The node's update counter: 1 for its first update, one more for each after; never reused.
    public var seq: UInt64
    /// The model version the node trained from.
    public var baseVersion: UInt64
    /// How many local samples the training saw (FedAvg's weight n).
    public var sampleCount: UInt64
    /// Local training metrics by name, e.g. `["loss": 0.31, "val_accuracy": 0.9]`; finite values only.
    public var metrics: [String: Double]
    /// The delta tensors (empty for a compressed update, whose delta is in ``coded``).
    public var delta: WireTensors
    /// A compressed update's encoded delta; nil for F32 tensors in ``delta``.
    public var coded: CodedTensors?

    /// Makes an update.
    public init(
        node: UInt32,
        seq: UInt64,
        baseVersion: UInt64,
        sampleCount: UInt64,
        metrics: [String: Double],
        delta: WireTensors,
        coded: CodedTensors? = nil
    ) {
        self.node = node
        self.seq = seq
        self.baseVersion = baseVersion
        self.sampleCount = sampleCount
        self.metrics = metrics
        self.delta = delta
        self.coded = coded
    }

    /// A compressed update: the delta in `coded`, no F32 tensors.
    public init(
        node: UInt32, seq: UInt64, baseVersion: UInt64, sampleCount: UInt64, metrics: [String: Double],
        coded: CodedTensors
    ) {
        self.init(
            node: node, seq: seq, baseVersion: baseVersion, sampleCount: sampleCount, metrics: metrics, delta: .empty,
            coded: coded)
    }
}

extension UpdateMessage: MessageBody {
    static var type: MessageType { .update }
    var senderID: UInt32 { node }
    var bodyTensors: WireTensors { coded == nil ? delta : .empty }
    var bodyCoded: CodedTensors? { coded }

    func fields(limits: WireLimits) throws(WireEncodingError) -> [String: String] {
        guard metrics.count <= limits.maxMetrics else {
            throw .exceedsLimit(what: "metrics count", size: metrics.count, limit: limits.maxMetrics)
        }
        var fields = [
            "seq": String(seq),
            "base_version": String(baseVersion),
            "samples": String(sampleCount),
            "metrics": try JSONText.encodeMetrics(metrics),
        ]
        if let coded { fields["codec"] = coded.encoding.rawValue }
        return fields
    }

    init(sender: UInt32, fields: MetadataFields, tensors: WireTensors, limits: WireLimits) throws(RejectionReason) {
        try self.init(sender: sender, fields: fields, tensors: tensors, coded: nil, limits: limits)
    }

    /// Reads an update whose tensors are F32 (`tensors`) or, when its `codec` field names an encoding, U8
    /// (`coded`; the decoder checked which).
    init(
        sender: UInt32, fields: MetadataFields, tensors: WireTensors, coded: CodedTensors?, limits: WireLimits
    ) throws(RejectionReason) {
        self.init(
            node: sender,
            seq: try fields.uint64("seq"),
            baseVersion: try fields.uint64("base_version"),
            sampleCount: try fields.uint64("samples"),
            metrics: try JSONText.decodeMetrics(try fields.text("metrics"), maxEntries: limits.maxMetrics),
            delta: tensors,
            coded: coded
        )
    }
}
