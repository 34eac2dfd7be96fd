import GrowdaCrypto

/// Why a message could not be encoded. Encoding fails only on the sender's own mistakes (a bad tensor or
/// field, a message past the limits) or when libsodium fails; a receiver never sees these.
public enum WireEncodingError: Error, Sendable, Equatable {
    /// A tensor that cannot go on the wire: an empty, reserved or repeated name, or values that do not
    /// fill its shape.
    case invalidTensor(name: String, problem: String)
    /// A field whose value the wire format cannot carry (a non-finite metric, an unsorted list, …).
    case invalidField(name: String, problem: String)
    /// The message, or a bounded part of it, exceeds the sender's ``WireLimits``.
    case exceedsLimit(what: String, size: Int, limit: Int)
    /// Sealing or signing failed in libsodium.
    case crypto(CryptoError)
}

extension WireEncodingError: CustomStringConvertible {
    /// What is wrong and what to do about it.
    public var description: String {
        switch self {
        case .invalidTensor(let name, let problem):
            "Tensor \"\(name)\" cannot be sent: \(problem). Fix the tensor before encoding the message."
        case .invalidField(let name, let problem):
            "Field \"\(name)\" cannot be sent: \(problem)."
        case .exceedsLimit(let what, let size, let limit):
            "The message's \(what) is \(size), above the limit of \(limit); receivers would refuse it as oversize. "
                + "Raise the limit on both sides or send less."
        case .crypto(let error):
            "Sealing the message failed: \(error)"
        }
    }
}
