import CSodium

/// An Ed25519 public key (32 bytes): what a node holds to check the aggregator's signatures.
///
/// A verify key is not secret, but it is still shown by ``fingerprint`` only, so logs stay uniform; use
/// ``bytes`` or ``hex`` where the full key is wanted.
public struct VerifyKey: Sendable, Hashable {
    /// The public-key length in bytes (`crypto_sign_PUBLICKEYBYTES`).
    public static let byteCount = Int(crypto_sign_publickeybytes())

    /// The key bytes.
    public let bytes: [UInt8]

    /// A short, stable name for this key (16 hex digits of a keyed BLAKE2b hash); equal to its signing
    /// key's fingerprint.
    public let fingerprint: String

    /// Wraps bytes already checked to be ``byteCount`` long.
    init(checkedBytes: [UInt8]) throws(CryptoError) {
        bytes = checkedBytes
        fingerprint = try Sodium.withBytes(of: checkedBytes) { buffer throws(CryptoError) in
            try Fingerprint.compute(of: buffer, kind: .verify)
        }
    }

    /// A verify key from its 32 bytes.
    public init(bytes: some Sequence<UInt8>) throws(CryptoError) {
        let bytes = Array(bytes)
        guard bytes.count == Self.byteCount else {
            throw .invalidKeyLength(kind: .verify, expected: Self.byteCount, actual: bytes.count)
        }
        try Sodium.ensureInitialised()
        try self.init(checkedBytes: bytes)
    }

    /// The key as 64 lower-case hex digits.
    public var hex: String { Hex.encode(bytes) }

    /// Whether `signature` is a valid Ed25519 signature of `message` by this key
    /// (`crypto_sign_verify_detached`).
    public func isValidSignature(_ signature: Signature, for message: UnsafeRawBufferPointer) -> Bool {
        let code = message.withBytePointer { messageBytes in
            crypto_sign_verify_detached(signature.bytes, messageBytes, UInt64(message.count), bytes)
        }
        return code == 0
    }

    /// Whether `signature` is a valid Ed25519 signature of `message` by this key.
    public func isValidSignature(_ signature: Signature, for message: some Sequence<UInt8>) -> Bool {
        Sodium.withBytes(of: message) { buffer in isValidSignature(signature, for: buffer) }
    }

    /// Whether `signature` is a valid signature of `digest`'s 32 bytes by this key.
    public func isValidSignature(_ signature: Signature, for digest: GenericHash.Digest) -> Bool {
        isValidSignature(signature, for: digest.bytes)
    }

    /// Checks `signature` over `message`.
    ///
    /// - Throws: ``CryptoError/invalidSignature`` when it is not this key's signature of `message`.
    public func verify(_ signature: Signature, for message: UnsafeRawBufferPointer) throws(CryptoError) {
        let code = message.withBytePointer { messageBytes in
            crypto_sign_verify_detached(signature.bytes, messageBytes, UInt64(message.count), bytes)
        }
        try Sodium.check(code, "crypto_sign_verify_detached", failure: .invalidSignature)
    }

    /// Checks `signature` over `message`.
    ///
    /// - Throws: ``CryptoError/invalidSignature`` when it is not this key's signature of `message`.
    public func verify(_ signature: Signature, for message: some Sequence<UInt8>) throws(CryptoError) {
        try Sodium.withBytes(of: message) { buffer throws(CryptoError) in try verify(signature, for: buffer) }
    }

    /// Checks `signature` over `digest`'s 32 bytes.
    ///
    /// - Throws: ``CryptoError/invalidSignature`` when it is not this key's signature of `digest`.
    public func verify(_ signature: Signature, for digest: GenericHash.Digest) throws(CryptoError) {
        try verify(signature, for: digest.bytes)
    }
}

extension VerifyKey: CustomStringConvertible {
    /// `VerifyKey(fingerprint: …)`.
    public var description: String { "VerifyKey(fingerprint: \(fingerprint))" }
}
