extension SecretBoxKey {
    /// This key sealed under `key` with a fresh random nonce: how the aggregator hands a node the
    /// federation's new model key after a rotation (the box is not secret; only `key` opens it).
    public func wrapped(under key: SecretBoxKey) throws(CryptoError) -> SecretBox.SealedBox {
        try storage.withUnsafeBytes { bytes throws(CryptoError) in try SecretBox.seal(bytes, key: key) }
    }

    /// The key sealed in `box` under `key` (see ``wrapped(under:)``), opened straight into guarded memory:
    /// the plaintext key never sits in ordinary memory.
    ///
    /// - Throws: ``CryptoError/authenticationFailure`` when the box was altered or sealed under another
    ///   key; ``CryptoError/invalidKeyLength(kind:expected:actual:)`` when it does not hold a 32-byte key.
    public init(unwrapping box: SecretBox.SealedBox, with key: SecretBoxKey) throws(CryptoError) {
        let count = try SecretBox.openedByteCount(ciphertextByteCount: box.ciphertext.count)
        guard count == Self.byteCount else {
            throw .invalidKeyLength(kind: .secretBox, expected: Self.byteCount, actual: count)
        }
        let storage = try SecureBytes(count: count) { destination throws(CryptoError) in
            let opened = box.ciphertext.withUnsafeBytes { ciphertext in
                Result { () throws(CryptoError) in
                    try SecretBox.open(ciphertext, nonce: box.nonce, key: key, into: destination)
                }
            }
            _ = try opened.get()
        }
        try self.init(storage: storage)
    }
}
