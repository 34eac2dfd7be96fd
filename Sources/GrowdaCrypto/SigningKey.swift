import CSodium

/// An Ed25519 secret key (64 bytes: the 32-byte seed followed by the public key): the aggregator's
/// key for signing global models.
///
/// The bytes live in guarded memory that is zeroed when the last copy of the key is released. A key is
/// never printed: `description`, `debugDescription` and its mirror all read `SigningKey(redacted)`. Its
/// ``fingerprint`` is its ``verifyKey``'s, so the two can be matched. Equality is checked in constant time.
///
/// To sign a large payload, sign its ``GenericHash`` digest: hashing 4 MB with BLAKE2b is several times
/// faster than Ed25519's own pass over the message.
public struct SigningKey: Sendable {
    /// The secret-key length in bytes (`crypto_sign_SECRETKEYBYTES`).
    public static let byteCount = Int(crypto_sign_secretkeybytes())
    /// The seed length in bytes (`crypto_sign_SEEDBYTES`).
    public static let seedByteCount = Int(crypto_sign_seedbytes())

    let storage: SecureBytes

    /// The public half, which nodes hold to check signatures.
    public let verifyKey: VerifyKey

    /// The public half, which nodes hold to check signatures (the same as ``verifyKey``).
    public var publicKey: VerifyKey { verifyKey }

    /// A short, stable, non-secret name for this key: its ``verifyKey``'s fingerprint.
    public var fingerprint: String { verifyKey.fingerprint }

    /// Wraps a guarded 64-byte secret key after checking that its public half belongs to its seed.
    init(storage: SecureBytes) throws(CryptoError) {
        guard storage.count == Self.byteCount else {
            throw .invalidKeyLength(kind: .signing, expected: Self.byteCount, actual: storage.count)
        }
        let seed = try SecureBytes(count: Self.seedByteCount) { seed throws(CryptoError) in
            let code = storage.withUnsafeBytes { secret in
                crypto_sign_ed25519_sk_to_seed(seed.bytePointer, secret.bytePointer)
            }
            try Sodium.check(code, "crypto_sign_ed25519_sk_to_seed")
        }
        let derived = try Self.keyPair(seed: seed)
        guard derived.storage.constantTimeEquals(storage) else { throw .inconsistentSigningKey }
        self = derived
    }

    /// Derives the key pair from a guarded seed (`crypto_sign_seed_keypair`).
    private init(derivingFrom seed: SecureBytes) throws(CryptoError) {
        self = try Self.keyPair(seed: seed)
    }

    private static func keyPair(seed: SecureBytes) throws(CryptoError) -> SigningKey {
        var publicBytes = [UInt8](repeating: 0, count: VerifyKey.byteCount)
        let secret = try SecureBytes(count: byteCount) { secret throws(CryptoError) in
            let code = seed.withUnsafeBytes { seedBytes in
                crypto_sign_seed_keypair(
                    &publicBytes,
                    secret.bytePointer,
                    seedBytes.bytePointer
                )
            }
            try Sodium.check(code, "crypto_sign_seed_keypair")
        }
        return try SigningKey(checkedStorage: secret, verifyKey: VerifyKey(checkedBytes: publicBytes))
    }

    private init(checkedStorage: SecureBytes, verifyKey: VerifyKey) {
        self.storage = checkedStorage
        self.verifyKey = verifyKey
    }

    /// A fresh key pair from libsodium's random generator.
    public static func generate() throws(CryptoError) -> SigningKey {
        let seed = try SecureBytes(count: seedByteCount) { seed in randombytes_buf(seed.baseAddress!, seed.count) }
        return try SigningKey(derivingFrom: seed)
    }

    /// The key pair derived from a 32-byte seed, as RFC 8032 defines it.
    public init(seed: UnsafeRawBufferPointer) throws(CryptoError) {
        guard seed.count == Self.seedByteCount else {
            throw .invalidKeyLength(kind: .signing, expected: Self.seedByteCount, actual: seed.count)
        }
        try self.init(derivingFrom: SecureBytes(copying: seed))
    }

    /// The key pair derived from a 32-byte seed, as RFC 8032 defines it.
    public init(seed: some Sequence<UInt8>) throws(CryptoError) {
        self = try Sodium.withBytes(of: seed) { buffer throws(CryptoError) in try SigningKey(seed: buffer) }
    }

    /// A key from its 64 secret-key bytes (seed then public key).
    ///
    /// - Throws: ``CryptoError/invalidKeyLength(kind:expected:actual:)``, or
    ///   ``CryptoError/inconsistentSigningKey`` when the public half does not belong to the seed.
    public init(bytes: UnsafeRawBufferPointer) throws(CryptoError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidKeyLength(kind: .signing, expected: Self.byteCount, actual: bytes.count)
        }
        try self.init(storage: SecureBytes(copying: bytes))
    }

    /// A key from its 64 secret-key bytes (seed then public key).
    public init(bytes: some Sequence<UInt8>) throws(CryptoError) {
        self = try Sodium.withBytes(of: bytes) { buffer throws(CryptoError) in try SigningKey(bytes: buffer) }
    }

    /// The detached Ed25519 signature of `message` (`crypto_sign_detached`).
    public func sign(_ message: UnsafeRawBufferPointer) throws(CryptoError) -> Signature {
        var signature = [UInt8](repeating: 0, count: Signature.byteCount)
        let code = storage.withUnsafeBytes { secret in
            message.withBytePointer { messageBytes in
                crypto_sign_detached(
                    &signature,
                    nil,
                    messageBytes,
                    UInt64(message.count),
                    secret.bytePointer
                )
            }
        }
        try Sodium.check(code, "crypto_sign_detached")
        return Signature(checkedBytes: signature)
    }

    /// The detached Ed25519 signature of `message` (`crypto_sign_detached`).
    public func sign(_ message: some Sequence<UInt8>) throws(CryptoError) -> Signature {
        try Sodium.withBytes(of: message) { buffer throws(CryptoError) in try sign(buffer) }
    }

    /// The signature of a digest's 32 bytes: how Growda signs a large payload.
    public func sign(_ digest: GenericHash.Digest) throws(CryptoError) -> Signature {
        try sign(digest.bytes)
    }

    /// Calls `body` with the 64 raw secret-key bytes, to hand them to another encoder.
    ///
    /// The bytes must not outlive the closure, be logged, or be copied into memory that is not wiped.
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try storage.withUnsafeBytes(body)
    }
}

extension SigningKey: Equatable {
    /// Whether both keys hold the same bytes, compared in constant time (`sodium_memcmp`).
    public static func == (lhs: SigningKey, rhs: SigningKey) -> Bool {
        lhs.storage.constantTimeEquals(rhs.storage)
    }
}

extension SigningKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Always `SigningKey(redacted)`: key bytes are never printed.
    public var description: String { "SigningKey(redacted)" }

    /// Always `SigningKey(redacted)`: key bytes are never printed.
    public var debugDescription: String { description }

    /// A mirror with no children, so `dump` and debuggers show no key bytes.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
