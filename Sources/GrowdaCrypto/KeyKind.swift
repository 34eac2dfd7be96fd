/// The kinds of key GrowdaCrypto knows, as named in errors and in key files.
public enum KeyKind: String, Sendable, CaseIterable {
    /// A ``SecretBoxKey``: seals and opens updates and broadcasts.
    case secretBox = "secretbox"
    /// A ``SigningKey``: the aggregator's Ed25519 secret key.
    case signing = "signing"
    /// A ``VerifyKey``: the aggregator's Ed25519 public key, held by every node.
    case verify = "verify"
    /// A ``ConsoleToken``: the login secret of a web console (the dashboard or a diagnosis desk).
    case console = "console"

    /// Whether the key must be kept secret.
    public var isSecret: Bool { self != .verify }

    /// The first field of this kind's key-file line, e.g. `growda-secretbox-key`.
    var fileTag: String { "growda-\(rawValue)-key" }
}
