/// Why a received message was refused: the closed set every refusal is counted under.
///
/// Decoding (``WireDecoder``) and validation (``UpdateValidator``, ``ModelValidator``) return one of
/// these for every byte string they do not accept; nothing else can come out of them. The raw values
/// are stable snake_case names, fit for metric labels and log metadata (`reject.reason`).
public enum RejectionReason: String, Error, CaseIterable, Sendable, Hashable {
    /// The frames do not follow the protocol's structure: frame count or size, magic, flags, message
    /// type, the safetensors body, or a required field missing or badly formed.
    case malformed
    /// Frame 1 carries a format version this code does not speak (only version 1 exists).
    case unsupportedVersion = "unsupported_version"
    /// No key is known for the sender id in frame 1, or that sender may not send this message type.
    case unknownSender = "unknown_sender"
    /// The sender id belongs to a node whose key was revoked.
    case revokedSender = "revoked_sender"
    /// Authentication failed: the Poly1305 tag, the aggregator's Ed25519 signature, or the sealed
    /// body's copy of frame 1's type, sender and recipient.
    case badMAC = "bad_mac"
    /// An update whose sequence number the aggregator has already settled (accepted or refused for good),
    /// or a reply that answers no request in flight.
    case replay
    /// An update trained from a model version too old (staleness above the bound) or newer than the
    /// aggregator's; a model no newer than the one already held.
    case stale
    /// The tensors' names, shapes or dtypes differ from the model's: a tensor missing, extra, reshaped
    /// or not F32.
    case wrongTensors = "wrong_tensors"
    /// A tensor holds NaN or an infinity.
    case nonFinite = "non_finite"
    /// The update's L2 norm, over all its tensors, is above the configured bound.
    case normTooLarge = "norm_too_large"
    /// The message, or a bounded part of it (safetensors header, metadata, tensor count, list), is
    /// larger than ``WireLimits`` allows.
    case oversize
    /// An update that reached an aggregator which has stopped making versions (a stop rule fired, such as
    /// `stop.max_versions` or `stop.plateau`): settled, so the node does not resend it.
    case stopped
    /// A compressed update whose tensors do not follow their encoding (Protocol.md, "Compressed updates"):
    /// a length that does not fit, a count above the tensor's size, indices out of order or range, a
    /// negative or non-finite scale.
    case badEncoding = "bad_encoding"

    /// One line for an operator: what was refused and why.
    public var explanation: String {
        switch self {
        case .malformed: "the message does not follow the wire format (frames, header, body or fields)"
        case .unsupportedVersion: "the message uses a wire format version this aggregator does not speak"
        case .unknownSender: "no key is registered for the sender id, or it may not send this message type"
        case .revokedSender: "the sender's key was revoked"
        case .badMAC: "the message failed authentication: altered in transit, forged, or sealed with another key"
        case .replay: "the update's sequence number was already settled, or the reply answers no open request"
        case .stale: "the update was trained from a model too old or unknown, or the model is not newer"
        case .wrongTensors: "the tensors' names, shapes or dtypes do not match the model"
        case .nonFinite: "a tensor holds NaN or an infinity"
        case .normTooLarge: "the update's L2 norm is above the configured bound"
        case .oversize: "the message or a part of it is larger than the configured limits"
        case .stopped: "the federation has stopped making versions (a stop rule fired); the update was not folded"
        case .badEncoding: "the compressed update's tensors do not follow their encoding"
        }
    }
}

extension RejectionReason: CustomStringConvertible {
    /// The raw value, e.g. `bad_mac`.
    public var description: String { rawValue }
}
