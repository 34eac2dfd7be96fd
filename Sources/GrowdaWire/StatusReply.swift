/// Aggregator → operator: the answer to a ``StatusRequest``, sealed with the admin key; no tensors.
///
/// Body fields: `request_id`, `recipient` (always 4294967295, the admin id), `json` (an opaque JSON
/// document that the aggregator defines).
public struct StatusReply: Sendable, Equatable {
    /// The request's id, echoed.
    public var requestID: UInt64
    /// The answer, as JSON text; the wire does not parse it.
    public var json: String

    /// Makes a status reply.
    public init(requestID: UInt64, json: String) {
        self.requestID = requestID
        self.json = json
    }
}

extension StatusReply: MessageBody {
    static var type: MessageType { .statusReply }
    var senderID: UInt32 { SenderID.aggregator }
    var recipientID: UInt32? { SenderID.admin }

    func fields(limits: WireLimits) throws(WireEncodingError) -> [String: String] {
        ["request_id": String(requestID), "json": json]
    }

    init(sender: UInt32, fields: MetadataFields, tensors: WireTensors, limits: WireLimits) throws(RejectionReason) {
        guard tensors.count == 0 else { throw .malformed }
        self.init(requestID: try fields.uint64("request_id"), json: try fields.text("json"))
    }
}
