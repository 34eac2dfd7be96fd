extension SecretBox {
    /// A sealed message: its nonce, and the ciphertext (tag then encrypted bytes).
    ///
    /// On Growda's wire the nonce rides in the clear header and the ciphertext is the body; ``combined``
    /// (nonce then ciphertext) is the form for storing a box in one piece.
    public struct SealedBox: Sendable, Hashable {
        /// The nonce the box was sealed with.
        public let nonce: Nonce
        /// The Poly1305 tag (``SecretBox/macByteCount`` bytes) followed by the encrypted bytes.
        public let ciphertext: [UInt8]

        init(nonce: Nonce, checkedCiphertext: [UInt8]) {
            self.nonce = nonce
            self.ciphertext = checkedCiphertext
        }

        /// A box from a nonce and a ciphertext received separately.
        ///
        /// - Throws: ``CryptoError/ciphertextTooShort(minimum:actual:)`` when the ciphertext cannot even
        ///   hold the tag.
        public init(nonce: Nonce, ciphertext: some Sequence<UInt8>) throws(CryptoError) {
            let ciphertext = Array(ciphertext)
            _ = try SecretBox.openedByteCount(ciphertextByteCount: ciphertext.count)
            self.init(nonce: nonce, checkedCiphertext: ciphertext)
        }

        /// A box from its ``combined`` form: the nonce, then the ciphertext.
        ///
        /// - Throws: ``CryptoError/ciphertextTooShort(minimum:actual:)`` when there is less than a nonce
        ///   and a tag.
        public init(combined: some Sequence<UInt8>) throws(CryptoError) {
            let combined = Array(combined)
            let minimum = Nonce.byteCount + SecretBox.macByteCount
            guard combined.count >= minimum else {
                throw .ciphertextTooShort(minimum: minimum, actual: combined.count)
            }
            try self.init(
                nonce: Nonce(bytes: combined[..<Nonce.byteCount]),
                ciphertext: combined[Nonce.byteCount...]
            )
        }

        /// The nonce followed by the ciphertext.
        public var combined: [UInt8] { nonce.bytes + ciphertext }
    }
}

extension SecretBox.SealedBox: CustomStringConvertible {
    /// The nonce and the ciphertext's length (not its bytes, which may be megabytes).
    public var description: String { "SealedBox(nonce: \(nonce.hex), ciphertext: \(ciphertext.count) bytes)" }
}
