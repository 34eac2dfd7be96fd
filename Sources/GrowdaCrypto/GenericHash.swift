import CSodium

/// BLAKE2b hashing (libsodium's `crypto_generichash`) with a 32-byte output.
///
/// Growda signs a model by signing its digest: BLAKE2b over 4 MB is several times faster than Ed25519's
/// own hashing of the message, and the 32-byte digest is what the signature covers.
public enum GenericHash {
    /// The digest length in bytes (`crypto_generichash_BYTES`).
    public static let byteCount = Int(crypto_generichash_bytes())

    /// A BLAKE2b digest.
    public struct Digest: Sendable, Hashable {
        /// The digest bytes.
        public let bytes: [UInt8]

        /// The digest as lower-case hex digits.
        public var hex: String { Hex.encode(bytes) }
    }

    /// The 32-byte BLAKE2b digest of `data`.
    public static func hash(_ data: UnsafeRawBufferPointer) throws(CryptoError) -> Digest {
        try hash(data, outputByteCount: byteCount)
    }

    /// The 32-byte BLAKE2b digest of `data` (an array, a slice, `Data`, …), read in place when contiguous.
    public static func hash(_ data: some Sequence<UInt8>) throws(CryptoError) -> Digest {
        try Sodium.withBytes(of: data) { buffer throws(CryptoError) in try hash(buffer) }
    }

    /// The unkeyed BLAKE2b digest of `data` with `outputByteCount` bytes (16 to 64).
    static func hash(_ data: UnsafeRawBufferPointer, outputByteCount: Int) throws(CryptoError) -> Digest {
        try Sodium.ensureInitialised()
        var output = [UInt8](repeating: 0, count: outputByteCount)
        let code = data.withBytePointer { input in
            crypto_generichash(&output, outputByteCount, input, UInt64(data.count), nil, 0)
        }
        try Sodium.check(code, "crypto_generichash")
        return Digest(bytes: output)
    }
}

extension GenericHash.Digest: CustomStringConvertible {
    /// The digest as lower-case hex digits.
    public var description: String { hex }
}
