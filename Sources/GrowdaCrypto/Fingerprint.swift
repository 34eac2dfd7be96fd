import CSodium

/// Short, stable, display-safe names for keys.
///
/// A fingerprint is the first 8 bytes, as 16 hex digits, of a 16-byte BLAKE2b hash (`crypto_generichash`)
/// of the key bytes, keyed with the label `growda.key-fingerprint.v1.<kind>` (kind as in ``KeyKind``).
/// The label separates kinds, so a secret-box key and a verify key never share a fingerprint by accident.
/// A signing key's fingerprint is its verify key's, so an operator can match the two. 64 bits reveal
/// nothing usable about a 256-bit key.
enum Fingerprint {
    /// Hex digits shown.
    static let hexDigits = 16
    /// BLAKE2b's smallest output; the fingerprint is its first `hexDigits / 2` bytes.
    private static let hashByteCount = Int(crypto_generichash_bytes_min())

    /// The fingerprint of `key`, a key of `kind`.
    static func compute(of key: UnsafeRawBufferPointer, kind: KeyKind) throws(CryptoError) -> String {
        let label = Array("growda.key-fingerprint.v1.\(kind.rawValue)".utf8)
        var hash = [UInt8](repeating: 0, count: hashByteCount)
        let code = key.withBytePointer { keyBytes in
            crypto_generichash(&hash, hashByteCount, keyBytes, UInt64(key.count), label, label.count)
        }
        try Sodium.check(code, "crypto_generichash")
        return Hex.encode(hash.prefix(hexDigits / 2))
    }
}
