import CSodium

extension SecretBox {
    /// A 24-byte secretbox nonce. Random nonces of this size never repeat in practice, so every seal
    /// takes a fresh one; the nonce travels in the clear beside the ciphertext.
    public struct Nonce: Sendable, Hashable {
        /// The nonce length in bytes (`crypto_secretbox_NONCEBYTES`).
        public static let byteCount = Int(crypto_secretbox_noncebytes())

        /// The nonce bytes.
        public let bytes: [UInt8]

        /// A fresh random nonce (`randombytes_buf`).
        public init() throws(CryptoError) {
            try Sodium.ensureInitialised()
            var bytes = [UInt8](repeating: 0, count: Self.byteCount)
            randombytes_buf(&bytes, Self.byteCount)
            self.bytes = bytes
        }

        /// A nonce from its 24 bytes, as read from a message header.
        public init(bytes: some Sequence<UInt8>) throws(CryptoError) {
            let bytes = Array(bytes)
            guard bytes.count == Self.byteCount else {
                throw .invalidNonceLength(expected: Self.byteCount, actual: bytes.count)
            }
            self.bytes = bytes
        }

        /// The nonce as 48 lower-case hex digits.
        public var hex: String { Hex.encode(bytes) }
    }
}

extension SecretBox.Nonce: CustomStringConvertible {
    /// `Nonce(<hex>)`.
    public var description: String { "Nonce(\(hex))" }
}
