/// What the encoder and decoder need from each message struct: its type, who sends it and to whom, its
/// own metadata fields and tensors, and how to read it back from a checked body.
///
/// The common fields (`type`, `sender`, `recipient`) are written and checked by ``WireEncoder`` and
/// ``WireDecoder``; a conforming type handles only its own.
protocol MessageBody: Sendable {
    /// The message type, fixed per struct.
    static var type: MessageType { get }
    /// The sender id that goes into frame 1 and the body's `"sender"`.
    var senderID: UInt32 { get }
    /// The recipient id for replies (the body's `"recipient"`), nil for other types.
    var recipientID: UInt32? { get }
    /// The tensors the body carries.
    var bodyTensors: WireTensors { get }
    /// A compressed update's encoded tensors, carried instead of ``bodyTensors`` (nil for every other body).
    var bodyCoded: CodedTensors? { get }
    /// The type's own metadata fields, checked against `limits` where they are bounded.
    func fields(limits: WireLimits) throws(WireEncodingError) -> [String: String]
    /// Reads the message from an authenticated body whose common fields were checked.
    init(sender: UInt32, fields: MetadataFields, tensors: WireTensors, limits: WireLimits) throws(RejectionReason)
}

extension MessageBody {
    /// No tensors: the default for the types that carry none.
    var bodyTensors: WireTensors { .empty }
    /// Nothing compressed: the default for everything but compressed updates.
    var bodyCoded: CodedTensors? { nil }
    /// No recipient: the default for everything but replies.
    var recipientID: UInt32? { nil }
}
