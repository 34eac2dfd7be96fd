import CSodium

/// The secret that opens a web console (the federation dashboard or a hospital's diagnosis desk).
///
/// 32 random bytes kept in a key file of kind `console` (mode 0600, ``KeyFile``'s format): the line
/// `growda-console-key v1 BASE64`. A person logs in by pasting the base64 field (or the whole line); a
/// script sends it as `Authorization: Bearer BASE64`. The bytes live in guarded memory, zeroed on release;
/// comparison is in constant time; the token is never printed.
public struct ConsoleToken: Sendable {
    /// The token length in bytes.
    public static let byteCount = 32

    let storage: SecureBytes

    /// A short, stable, non-secret name for this token (16 hex digits of a keyed BLAKE2b hash).
    public let fingerprint: String

    init(storage: SecureBytes) throws(CryptoError) {
        guard storage.count == Self.byteCount else {
            throw .invalidKeyLength(kind: .console, expected: Self.byteCount, actual: storage.count)
        }
        self.storage = storage
        self.fingerprint = try storage.withUnsafeBytes { bytes throws(CryptoError) in
            try Fingerprint.compute(of: bytes, kind: .console)
        }
    }

    /// A fresh token from libsodium's random generator.
    public static func generate() throws(CryptoError) -> ConsoleToken {
        try ConsoleToken(
            storage: SecureBytes(count: byteCount) { bytes in randombytes_buf(bytes.bytePointer, bytes.count) })
    }

    /// Reads the token in the key file at `path` (refused unless mode 0600 or stricter).
    public static func read(path: String) throws(CryptoError) -> ConsoleToken {
        try KeyFile.withContents(path: path) { contents throws(CryptoError) in
            try ConsoleToken(
                storage: KeyFile.parse(contents, path: path, kind: .console, byteCount: byteCount))
        }
    }

    /// Writes the token to a new key file at `path` with mode 0600.
    public func write(path: String, overwrite: Bool = false) throws(CryptoError) {
        try KeyFile.write(storage, kind: .console, fingerprint: fingerprint, path: path, overwrite: overwrite)
    }

    /// Whether `text` is this token: its base64 field, or the whole key line, with surrounding blanks ignored.
    /// Compared in constant time once decoded; text that is not base64 of the right length is simply not it.
    public func matches(_ text: some StringProtocol) -> Bool {
        var field = Substring(text).drop(while: \.isWhitespace)
        while let last = field.last, last.isWhitespace { field = field.dropLast() }
        let prefix = KeyFile.keyLinePrefix(.console)
        if field.hasPrefix(prefix) { field = field.dropFirst(prefix.count) }
        let characters = Array(field.utf8)
        guard characters.count < 128 else { return false }
        var decoded = [UInt8](repeating: 0, count: Self.byteCount + 4)
        defer { sodium_memzero(&decoded, decoded.count) }
        var length = 0
        let status = characters.withUnsafeBufferPointer { input in
            sodium_base642bin(
                &decoded, decoded.count, input.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                input.count, nil, &length, nil, sodium_base64_VARIANT_ORIGINAL)
        }
        guard status == 0, length == Self.byteCount else { return false }
        return storage.withUnsafeBytes { key in sodium_memcmp(key.baseAddress, decoded, Self.byteCount) == 0 }
    }
}

extension ConsoleToken: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Always `ConsoleToken(redacted)`.
    public var description: String { "ConsoleToken(redacted)" }
    /// Always `ConsoleToken(redacted)`.
    public var debugDescription: String { description }
    /// A mirror with no children, so `dump` and debuggers show no token bytes.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
