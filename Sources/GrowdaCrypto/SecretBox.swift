import CSodium

/// Authenticated encryption with a shared key: libsodium's `crypto_secretbox` (XSalsa20-Poly1305).
///
/// Growda seals each node's updates with that node's key and each global model with the federation's
/// model key. A sealed box is a 24-byte nonce plus the ciphertext, which is the 16-byte Poly1305 tag
/// followed by the encrypted bytes (the `crypto_secretbox_easy` layout), so the ciphertext is always
/// ``macByteCount`` bytes longer than the plaintext.
///
/// ```swift
/// let key = try SecretBoxKey.generate()
/// let box = try SecretBox.seal(payload, key: key)          // random nonce
/// let payload = try SecretBox.open(box, key: key)          // throws .authenticationFailure if altered
/// ```
///
/// Large payloads can skip every copy but the encryption itself: ``seal(_:key:nonce:into:)`` and
/// ``open(_:nonce:key:into:)`` write into a buffer the caller owns (it may overlap the input, shifted by
/// the tag, for in-place work), and the array-returning forms write straight into the new array's storage.
public enum SecretBox {
    /// The key length in bytes (`crypto_secretbox_KEYBYTES`).
    public static let keyByteCount = SecretBoxKey.byteCount
    /// The nonce length in bytes (`crypto_secretbox_NONCEBYTES`).
    public static let nonceByteCount = Nonce.byteCount
    /// The authentication tag's length in bytes (`crypto_secretbox_MACBYTES`).
    public static let macByteCount = Int(crypto_secretbox_macbytes())

    /// The ciphertext length for a plaintext of `plaintextByteCount` bytes.
    public static func sealedByteCount(plaintextByteCount: Int) -> Int {
        plaintextByteCount + macByteCount
    }

    /// The plaintext length for a ciphertext of `ciphertextByteCount` bytes.
    ///
    /// - Throws: ``CryptoError/ciphertextTooShort(minimum:actual:)`` below ``macByteCount``.
    public static func openedByteCount(ciphertextByteCount: Int) throws(CryptoError) -> Int {
        guard ciphertextByteCount >= macByteCount else {
            throw .ciphertextTooShort(minimum: macByteCount, actual: ciphertextByteCount)
        }
        return ciphertextByteCount - macByteCount
    }

    // MARK: Sealing

    /// Seals `plaintext` into `ciphertext`, which must hold ``sealedByteCount(plaintextByteCount:)``
    /// bytes; returns how many bytes were written.
    ///
    /// `ciphertext` may start where `plaintext` starts minus ``macByteCount`` bytes, to seal in place.
    /// Never seal two messages with the same key and nonce.
    public static func seal(
        _ plaintext: UnsafeRawBufferPointer,
        key: SecretBoxKey,
        nonce: Nonce,
        into ciphertext: UnsafeMutableRawBufferPointer
    ) throws(CryptoError) -> Int {
        let required = sealedByteCount(plaintextByteCount: plaintext.count)
        guard ciphertext.count >= required else {
            throw .outputBufferTooSmall(required: required, actual: ciphertext.count)
        }
        let code = key.storage.withUnsafeBytes { keyBytes in
            plaintext.withBytePointer { message in
                crypto_secretbox_easy(
                    ciphertext.bytePointer,
                    message,
                    UInt64(plaintext.count),
                    nonce.bytes,
                    keyBytes.bytePointer
                )
            }
        }
        try Sodium.check(code, "crypto_secretbox_easy")
        return required
    }

    /// Seals `plaintext` under `key` with `nonce`, or with a fresh random nonce when `nonce` is `nil`.
    public static func seal(
        _ plaintext: UnsafeRawBufferPointer,
        key: SecretBoxKey,
        nonce: Nonce? = nil
    ) throws(CryptoError) -> SealedBox {
        let sealingNonce: Nonce
        if let nonce { sealingNonce = nonce } else { sealingNonce = try Nonce() }
        var failure: CryptoError?
        let ciphertext = [UInt8](
            unsafeUninitializedCapacity: sealedByteCount(plaintextByteCount: plaintext.count)
        ) { buffer, initialisedCount in
            do throws(CryptoError) {
                initialisedCount = try seal(
                    plaintext,
                    key: key,
                    nonce: sealingNonce,
                    into: UnsafeMutableRawBufferPointer(buffer)
                )
            } catch {
                failure = error
                initialisedCount = 0
            }
        }
        if let failure { throw failure }
        return SealedBox(nonce: sealingNonce, checkedCiphertext: ciphertext)
    }

    /// Seals `plaintext` (an array, a slice, `Data`, …) under `key` with `nonce`, or with a fresh random
    /// nonce when `nonce` is `nil`. Contiguous inputs are read in place, not copied.
    public static func seal(
        _ plaintext: some Sequence<UInt8>,
        key: SecretBoxKey,
        nonce: Nonce? = nil
    ) throws(CryptoError) -> SealedBox {
        try Sodium.withBytes(of: plaintext) { buffer throws(CryptoError) in try seal(buffer, key: key, nonce: nonce) }
    }

    // MARK: Opening

    /// Checks and decrypts `ciphertext` into `plaintext`, which must hold
    /// ``openedByteCount(ciphertextByteCount:)`` bytes; returns how many bytes were written.
    ///
    /// Nothing is written unless the box authenticates. `plaintext` may start where `ciphertext` starts,
    /// to open in place.
    ///
    /// - Throws: ``CryptoError/ciphertextTooShort(minimum:actual:)``,
    ///   ``CryptoError/outputBufferTooSmall(required:actual:)``, or
    ///   ``CryptoError/authenticationFailure`` when the box was altered or the key or nonce is wrong.
    public static func open(
        _ ciphertext: UnsafeRawBufferPointer,
        nonce: Nonce,
        key: SecretBoxKey,
        into plaintext: UnsafeMutableRawBufferPointer
    ) throws(CryptoError) -> Int {
        let required = try openedByteCount(ciphertextByteCount: ciphertext.count)
        guard plaintext.count >= required else {
            throw .outputBufferTooSmall(required: required, actual: plaintext.count)
        }
        let code = key.storage.withUnsafeBytes { keyBytes in
            plaintext.withBytePointer { message in
                crypto_secretbox_open_easy(
                    message,
                    ciphertext.bytePointer,
                    UInt64(ciphertext.count),
                    nonce.bytes,
                    keyBytes.bytePointer
                )
            }
        }
        try Sodium.check(code, "crypto_secretbox_open_easy", failure: .authenticationFailure)
        return required
    }

    /// Checks and decrypts `ciphertext`, sealed under `key` with `nonce`.
    ///
    /// - Throws: ``CryptoError/ciphertextTooShort(minimum:actual:)`` or
    ///   ``CryptoError/authenticationFailure``; never returns a partial or empty result for a bad box.
    public static func open(
        _ ciphertext: UnsafeRawBufferPointer,
        nonce: Nonce,
        key: SecretBoxKey
    ) throws(CryptoError) -> [UInt8] {
        let count = try openedByteCount(ciphertextByteCount: ciphertext.count)
        var failure: CryptoError?
        let plaintext = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialisedCount in
            do throws(CryptoError) {
                initialisedCount = try open(
                    ciphertext,
                    nonce: nonce,
                    key: key,
                    into: UnsafeMutableRawBufferPointer(buffer)
                )
            } catch {
                failure = error
                initialisedCount = 0
            }
        }
        if let failure { throw failure }
        return plaintext
    }

    /// Checks and decrypts `ciphertext` (an array, a slice, `Data`, …), sealed under `key` with `nonce`.
    ///
    /// - Throws: ``CryptoError/ciphertextTooShort(minimum:actual:)`` or
    ///   ``CryptoError/authenticationFailure``.
    public static func open(
        _ ciphertext: some Sequence<UInt8>,
        nonce: Nonce,
        key: SecretBoxKey
    ) throws(CryptoError) -> [UInt8] {
        try Sodium.withBytes(of: ciphertext) { buffer throws(CryptoError) in
            try open(buffer, nonce: nonce, key: key)
        }
    }

    /// Checks and decrypts a sealed box.
    ///
    /// - Throws: ``CryptoError/authenticationFailure`` when the box was altered or the key is wrong.
    public static func open(_ box: SealedBox, key: SecretBoxKey) throws(CryptoError) -> [UInt8] {
        try open(box.ciphertext, nonce: box.nonce, key: key)
    }
}
