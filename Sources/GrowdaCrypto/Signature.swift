import CSodium

/// A detached Ed25519 signature (64 bytes), made by a ``SigningKey``.
public struct Signature: Sendable, Hashable {
    /// The signature length in bytes (`crypto_sign_BYTES`).
    public static let byteCount = Int(crypto_sign_bytes())

    /// The signature bytes.
    public let bytes: [UInt8]

    init(checkedBytes: [UInt8]) {
        bytes = checkedBytes
    }

    /// A signature from its 64 bytes, as carried on the wire.
    public init(bytes: some Sequence<UInt8>) throws(CryptoError) {
        let bytes = Array(bytes)
        guard bytes.count == Self.byteCount else {
            throw .invalidSignatureLength(expected: Self.byteCount, actual: bytes.count)
        }
        self.bytes = bytes
    }

    /// The signature as 128 lower-case hex digits.
    public var hex: String { Hex.encode(bytes) }
}
