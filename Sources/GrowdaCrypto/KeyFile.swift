import CSodium

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads and writes Growda key files: one key per file, readable and writable by its owner only.
///
/// ## Format (version 1)
///
/// UTF-8 text with LF line ends, at most ``maximumByteCount`` bytes, for example (the key with bytes
/// 0, 1, …, 31):
///
/// ```
/// # Growda secretbox key, fingerprint 843e2d2ea4abdb85. Secret: keep this file mode 0600.
/// growda-secretbox-key v1 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
/// ```
///
/// - Blank lines and lines starting with `#` are ignored; trailing spaces, tabs and CRs are ignored.
///   Writers put one comment line naming the kind and fingerprint first.
/// - Exactly one other line, the key line, holds three fields separated by single spaces:
///   1. `growda-<kind>-key`, where kind is `secretbox`, `signing` or `verify` (``KeyKind``);
///   2. the format version, `v1`;
///   3. the key bytes in standard base64 with padding (RFC 4648 §4): 32 bytes for `secretbox` and
///      `verify` keys, 64 for `signing` keys (the Ed25519 seed, then the public key).
///
/// ## Permissions
///
/// Key files follow ``PrivateFile``'s rules. Writing creates the file with mode 0600 from the start (a
/// temporary file opened with `O_CREAT | O_EXCL` and mode 0600 is written, `fsync`ed, then renamed or linked
/// into place, and the directory is `fsync`ed), so the key is never readable by others, not even briefly,
/// and a crash leaves either the old file or the new one. Reading refuses, with
/// ``CryptoError/keyFileInsecurePermissions(path:mode:)``, any file that group or others may read, write or
/// execute, and with ``CryptoError/keyFileNotRegular(path:type:)`` anything but a regular file. The rule
/// covers verify keys too: they are public, but a writable one could be swapped.
///
/// The file's bytes are read into guarded memory and zeroed once the key is made; no key byte passes
/// through a Swift `String`.
public enum KeyFile {
    /// The largest key file accepted, in bytes; real ones are under 200.
    public static let maximumByteCount = 4096
    /// The format version written and accepted.
    static let version = "v1"

    // MARK: Reading

    /// Reads a secret-box key from the key file at `path`.
    ///
    /// - Throws: ``CryptoError/keyFileInsecurePermissions(path:mode:)``,
    ///   ``CryptoError/keyFileNotRegular(path:type:)``, ``CryptoError/keyFileMalformed(path:reason:)``,
    ///   ``CryptoError/keyFileWrongKind(path:expected:found:)`` or
    ///   ``CryptoError/fileSystemFailure(call:path:errno:)``.
    public static func read(_ type: SecretBoxKey.Type, path: String) throws(CryptoError) -> SecretBoxKey {
        try withContents(path: path) { contents throws(CryptoError) in try parse(type, contents, path: path) }
    }

    /// Reads an Ed25519 signing key from the key file at `path`.
    ///
    /// - Throws: as for a secret-box key, and ``CryptoError/inconsistentSigningKey``
    ///   when the public half stored does not belong to the seed.
    public static func read(_ type: SigningKey.Type, path: String) throws(CryptoError) -> SigningKey {
        try withContents(path: path) { contents throws(CryptoError) in try parse(type, contents, path: path) }
    }

    /// Reads an Ed25519 verify key from the key file at `path`.
    ///
    /// - Throws: as for a secret-box key.
    public static func read(_ type: VerifyKey.Type, path: String) throws(CryptoError) -> VerifyKey {
        try withContents(path: path) { contents throws(CryptoError) in try parse(type, contents, path: path) }
    }

    /// The secret-box key in `contents`, the bytes of a key file; `path` is named in errors.
    static func parse(
        _ type: SecretBoxKey.Type,
        _ contents: UnsafeRawBufferPointer,
        path: String
    ) throws(CryptoError) -> SecretBoxKey {
        try SecretBoxKey(storage: parse(contents, path: path, kind: .secretBox, byteCount: SecretBoxKey.byteCount))
    }

    /// The signing key in `contents`, the bytes of a key file; `path` is named in errors.
    static func parse(
        _ type: SigningKey.Type,
        _ contents: UnsafeRawBufferPointer,
        path: String
    ) throws(CryptoError) -> SigningKey {
        try SigningKey(storage: parse(contents, path: path, kind: .signing, byteCount: SigningKey.byteCount))
    }

    /// The verify key in `contents`, the bytes of a key file; `path` is named in errors.
    static func parse(
        _ type: VerifyKey.Type,
        _ contents: UnsafeRawBufferPointer,
        path: String
    ) throws(CryptoError) -> VerifyKey {
        let storage = try parse(contents, path: path, kind: .verify, byteCount: VerifyKey.byteCount)
        return try storage.withUnsafeBytes { bytes throws(CryptoError) in try VerifyKey(bytes: bytes) }
    }

    // MARK: Writing

    /// Writes `key` to a new key file at `path` with mode 0600.
    ///
    /// - Parameter overwrite: whether to replace a file already at `path`; without it an existing file
    ///   is left alone and ``CryptoError/keyFileExists(path:)`` is thrown.
    public static func write(_ key: SecretBoxKey, path: String, overwrite: Bool = false) throws(CryptoError) {
        try write(key.storage, kind: .secretBox, fingerprint: key.fingerprint, path: path, overwrite: overwrite)
    }

    /// Writes `key` (seed and public key) to a new key file at `path` with mode 0600.
    ///
    /// - Parameter overwrite: whether to replace a file already at `path`.
    public static func write(_ key: SigningKey, path: String, overwrite: Bool = false) throws(CryptoError) {
        try write(key.storage, kind: .signing, fingerprint: key.fingerprint, path: path, overwrite: overwrite)
    }

    /// Writes `key` to a new key file at `path` with mode 0600.
    ///
    /// - Parameter overwrite: whether to replace a file already at `path`.
    public static func write(_ key: VerifyKey, path: String, overwrite: Bool = false) throws(CryptoError) {
        let storage = try Sodium.withBytes(of: key.bytes) { bytes throws(CryptoError) in
            try SecureBytes(copying: bytes)
        }
        try write(storage, kind: .verify, fingerprint: key.fingerprint, path: path, overwrite: overwrite)
    }
}

// MARK: - Reading and writing files

extension KeyFile {
    /// Opens, checks and reads the key file at `path`, and calls `body` with its bytes in guarded memory.
    static func withContents<Key>(
        path: String,
        _ body: (UnsafeRawBufferPointer) throws(CryptoError) -> Key
    ) throws(CryptoError) -> Key {
        try PrivateFile.withContents(
            path: path,
            maximumByteCount: maximumByteCount,
            noun: "a key file",
            malformed: { reason in .keyFileMalformed(path: path, reason: reason) },
            body
        )
    }

    /// Writes `key` as a key file at `path`: temporary file with mode 0600, fsync, link or rename.
    static func write(
        _ key: SecureBytes,
        kind: KeyKind,
        fingerprint: String,
        path: String,
        overwrite: Bool
    ) throws(CryptoError) {
        let contents = try encode(key, kind: kind, fingerprint: fingerprint)
        try PrivateFile.write(contents, path: path, overwrite: overwrite)
    }
}

// MARK: - The format

extension KeyFile {
    private static let newline = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " ")

    /// The whole file for `key`, in guarded memory: a comment line, then the key line.
    static func encode(_ key: SecureBytes, kind: KeyKind, fingerprint: String) throws(CryptoError) -> SecureBytes {
        let advice =
            kind.isSecret
            ? "Secret: keep this file mode 0600."
            : "Public, but keep this file mode 0600 so no one can swap it."
        let comment = "# Growda \(kind.rawValue) key, fingerprint \(fingerprint). \(advice)\n"
        return try SecureBytes.text([.text(comment), .text(keyLinePrefix(kind)), .base64(key), .text("\n")])
    }

    /// The start of a key line for `kind`, up to the base64 field: `growda-<kind>-key v1 `.
    static func keyLinePrefix(_ kind: KeyKind) -> String { "\(kind.fileTag) \(version) " }

    /// Finds the one key line in `contents`, checks its kind and version, and decodes its key.
    static func parse(
        _ contents: UnsafeRawBufferPointer,
        path: String,
        kind: KeyKind,
        byteCount: Int
    ) throws(CryptoError) -> SecureBytes {
        let trailing: [UInt8] = [space, UInt8(ascii: "\t"), UInt8(ascii: "\r")]
        var keyLine: Range<Int>?
        var start = 0
        while start < contents.count {
            let end = contents[start...].firstIndex(of: newline) ?? contents.count
            var trimmedEnd = end
            while trimmedEnd > start, trailing.contains(contents[trimmedEnd - 1]) {
                trimmedEnd -= 1
            }
            if trimmedEnd > start && contents[start] != UInt8(ascii: "#") {
                guard keyLine == nil else {
                    throw .keyFileMalformed(path: path, reason: "it has more than one key line")
                }
                keyLine = start..<trimmedEnd
            }
            start = end + 1
        }
        guard let keyLine else { throw .keyFileMalformed(path: path, reason: "it has no key line") }
        return try parseKeyLine(
            UnsafeRawBufferPointer(rebasing: contents[keyLine]),
            path: path,
            kind: kind,
            byteCount: byteCount
        )
    }

    /// Checks `growda-<kind>-key v1 <base64>` and decodes the base64 field into guarded memory.
    static func parseKeyLine(
        _ line: UnsafeRawBufferPointer,
        path: String,
        kind: KeyKind,
        byteCount: Int
    ) throws(CryptoError) -> SecureBytes {
        let shape = "expected a line `growda-<kind>-key v1 <base64>`"
        guard let firstSpace = line.firstIndex(of: space),
            let secondSpace = line[(firstSpace + 1)...].firstIndex(of: space)
        else { throw .keyFileMalformed(path: path, reason: shape) }
        // The tag and the version are not secret, so they may become Strings.
        let tag = String(decoding: line[..<firstSpace], as: UTF8.self)
        let version = String(decoding: line[(firstSpace + 1)..<secondSpace], as: UTF8.self)
        guard tag.hasPrefix("growda-"), tag.hasSuffix("-key"), tag.count > "growda--key".count else {
            throw .keyFileMalformed(path: path, reason: shape)
        }
        guard tag == kind.fileTag else {
            throw .keyFileWrongKind(path: path, expected: kind, found: String(tag.dropFirst(7).dropLast(4)))
        }
        guard version == Self.version else {
            throw .keyFileMalformed(path: path, reason: "format version \(version) is not supported (only v1)")
        }
        let field = UnsafeRawBufferPointer(rebasing: line[(secondSpace + 1)...])
        let badField = "its key field is not the base64 of a \(byteCount)-byte \(kind.rawValue) key"
        guard !field.isEmpty, !field.contains(space) else { throw .keyFileMalformed(path: path, reason: badField) }
        var decodedCount = 0
        let key = try SecureBytes(count: byteCount) { key throws(CryptoError) in
            let code = sodium_base642bin(
                key.bytePointer,
                key.count,
                field.baseAddress!.assumingMemoryBound(to: CChar.self),
                field.count,
                nil,
                &decodedCount,
                nil,
                SecureBytes.base64Variant
            )
            guard code == 0, decodedCount == byteCount else {
                throw .keyFileMalformed(path: path, reason: badField)
            }
        }
        return key
    }
}
