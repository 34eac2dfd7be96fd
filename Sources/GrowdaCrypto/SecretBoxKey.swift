import CSodium

/// A 32-byte XSalsa20-Poly1305 key for ``SecretBox``: a node's own key or the federation's model key.
///
/// The bytes live in guarded memory that is zeroed when the last copy of the key is released. A key is
/// never printed: `description`, `debugDescription` and its mirror all read `SecretBoxKey(redacted)`.
/// Use ``fingerprint`` to tell keys apart. Equality is checked in constant time.
public struct SecretBoxKey: Sendable {
    /// The key length in bytes (`crypto_secretbox_KEYBYTES`).
    public static let byteCount = Int(crypto_secretbox_keybytes())

    let storage: SecureBytes

    /// A short, stable, non-secret name for this key (16 hex digits of a keyed BLAKE2b hash).
    public let fingerprint: String

    /// Wraps guarded bytes already checked to be ``byteCount`` long.
    init(storage: SecureBytes) throws(CryptoError) {
        guard storage.count == Self.byteCount else {
            throw .invalidKeyLength(kind: .secretBox, expected: Self.byteCount, actual: storage.count)
        }
        self.storage = storage
        self.fingerprint = try storage.withUnsafeBytes { bytes throws(CryptoError) in
            try Fingerprint.compute(of: bytes, kind: .secretBox)
        }
    }

    /// A fresh key from libsodium's random generator (`crypto_secretbox_keygen`).
    public static func generate() throws(CryptoError) -> SecretBoxKey {
        let storage = try SecureBytes(count: byteCount) { bytes in crypto_secretbox_keygen(bytes.bytePointer) }
        return try SecretBoxKey(storage: storage)
    }

    /// A key from its raw bytes, which must be ``byteCount`` long.
    ///
    /// The bytes are copied into guarded memory; wiping the caller's copy is the caller's job.
    public init(bytes: UnsafeRawBufferPointer) throws(CryptoError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidKeyLength(kind: .secretBox, expected: Self.byteCount, actual: bytes.count)
        }
        try self.init(storage: SecureBytes(copying: bytes))
    }

    /// A key from its raw bytes, which must be ``byteCount`` long.
    ///
    /// The bytes are copied into guarded memory; wiping the caller's copy is the caller's job.
    public init(bytes: some Sequence<UInt8>) throws(CryptoError) {
        self = try Sodium.withBytes(of: bytes) { buffer throws(CryptoError) in try SecretBoxKey(bytes: buffer) }
    }

    /// Calls `body` with the raw key bytes, to hand them to another encoder (a node bundle, say).
    ///
    /// The bytes must not outlive the closure, be logged, or be copied into memory that is not wiped.
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try storage.withUnsafeBytes(body)
    }
}

extension SecretBoxKey: Equatable {
    /// Whether both keys hold the same bytes, compared in constant time (`sodium_memcmp`).
    public static func == (lhs: SecretBoxKey, rhs: SecretBoxKey) -> Bool {
        lhs.storage.constantTimeEquals(rhs.storage)
    }
}

extension SecretBoxKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Always `SecretBoxKey(redacted)`: key bytes are never printed.
    public var description: String { "SecretBoxKey(redacted)" }

    /// Always `SecretBoxKey(redacted)`: key bytes are never printed.
    public var debugDescription: String { description }

    /// A mirror with no children, so `dump` and debuggers show no key bytes.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
