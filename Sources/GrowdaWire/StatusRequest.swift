/// Operator → aggregator (DEALER → ROUTER): a status query, sealed with the admin key; no tensors.
///
/// Body fields: `request_id` (decimal, echoed in the reply), `what` (the query, e.g. `summary`, `nodes`;
/// the aggregator defines the vocabulary).
public struct StatusRequest: Sendable, Equatable {
    /// A random number the reply echoes.
    public var requestID: UInt64
    /// What the operator asks for.
    public var what: String

    /// Makes a status request.
    public init(requestID: UInt64, what: String) {
        self.requestID = requestID
        self.what = what
    }
}

extension StatusRequest: MessageBody {
    static var type: MessageType { .statusRequest }
    var senderID: UInt32 { SenderID.admin }

    func fields(limits: WireLimits) throws(WireEncodingError) -> [String: String] {
        ["request_id": String(requestID), "what": what]
    }

    init(sender: UInt32, fields: MetadataFields, tensors: WireTensors, limits: WireLimits) throws(RejectionReason) {
        guard tensors.count == 0 else { throw .malformed }
        self.init(requestID: try fields.uint64("request_id"), what: try fields.text("what"))
    }
}
