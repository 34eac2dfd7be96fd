#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Every way a GrowdaCrypto call can fail. The set is closed: callers can switch over it exhaustively.
///
/// No case carries key bytes; descriptions say what failed, with which input, and what to do next.
public enum CryptoError: Error, Sendable, Equatable {
    /// `sodium_init` failed, so no cryptography can run in this process.
    case initialisationFailed(code: Int32)
    /// A libsodium function returned a failure code that has no more specific meaning.
    case sodiumCallFailed(call: String, code: Int32)
    /// libsodium could not allocate guarded memory for key material.
    case secureMemoryUnavailable(byteCount: Int)
    /// Key bytes of the wrong length were given for a key of `kind`.
    case invalidKeyLength(kind: KeyKind, expected: Int, actual: Int)
    /// An Ed25519 secret key whose public half does not belong to its seed.
    case inconsistentSigningKey
    /// Nonce bytes of the wrong length were given.
    case invalidNonceLength(expected: Int, actual: Int)
    /// Signature bytes of the wrong length were given.
    case invalidSignatureLength(expected: Int, actual: Int)
    /// A ciphertext shorter than the authentication tag (or a combined box shorter than nonce and tag).
    case ciphertextTooShort(minimum: Int, actual: Int)
    /// A caller-provided output buffer cannot hold the result.
    case outputBufferTooSmall(required: Int, actual: Int)
    /// The ciphertext, nonce or key is not the one that was sealed: tampered, truncated or wrong key.
    case authenticationFailure
    /// The signature does not verify for this message and verify key.
    case invalidSignature
    /// A key file that group or others may read or write.
    case keyFileInsecurePermissions(path: String, mode: UInt32)
    /// A key-file path that names something other than a regular file (a directory, a FIFO, …).
    case keyFileNotRegular(path: String, type: String)
    /// A key file whose contents do not follow the key-file format.
    case keyFileMalformed(path: String, reason: String)
    /// A key file that holds a different kind of key from the one asked for.
    case keyFileWrongKind(path: String, expected: KeyKind, found: String)
    /// Writing a key file where one already exists, without asking to overwrite it.
    case keyFileExists(path: String)
    /// A file-system call on a key file failed.
    case fileSystemFailure(call: String, path: String, errno: Int32)
    /// A key bundle whose contents do not follow the bundle format or lack an entry its reader needs;
    /// `line` (1-based) is nil when the problem is the file as a whole.
    case keyBundleMalformed(path: String, line: Int?, reason: String)
    /// A field, key or comment that a key bundle cannot hold, or an entry left unset when writing it.
    case keyBundleInvalidEntry(name: String, reason: String)
}

extension CryptoError: CustomStringConvertible {
    /// What failed and what to do about it, in one or two sentences.
    public var description: String {
        switch self {
        case .initialisationFailed(let code):
            return "libsodium failed to initialise (sodium_init returned \(code)); no cryptography is possible. "
                + "Check that the system can supply randomness (/dev/urandom or getrandom) and restart."
        case .sodiumCallFailed(let call, let code):
            return "libsodium's \(call) failed with code \(code). This points at a bug or an out-of-range "
                + "input: report it with the call name."
        case .secureMemoryUnavailable(let byteCount):
            return "Could not allocate \(byteCount) bytes of guarded memory for key material. "
                + "Free memory or raise the locked-memory limit (ulimit -l)."
        case .invalidKeyLength(let kind, let expected, let actual):
            return "A \(kind.rawValue) key must be \(expected) bytes, got \(actual). "
                + "Check that the key came from Growda and was not truncated or re-encoded."
        case .inconsistentSigningKey:
            return "The signing key's public half does not match its secret seed: the key is corrupt. "
                + "Restore it from a backup or generate a new signing key."
        case .invalidNonceLength(let expected, let actual):
            return "A nonce must be \(expected) bytes, got \(actual). Check the message header that carried it."
        case .invalidSignatureLength(let expected, let actual):
            return "A signature must be \(expected) bytes, got \(actual). Check the message that carried it."
        case .ciphertextTooShort(let minimum, let actual):
            return "The ciphertext is \(actual) bytes, shorter than the \(minimum) bytes any sealed box has: "
                + "it was truncated. Ask the sender to send it again."
        case .outputBufferTooSmall(let required, let actual):
            return "The output buffer has \(actual) bytes but \(required) are needed. "
                + "Size it with SecretBox.sealedByteCount or SecretBox.openedByteCount."
        case .authenticationFailure:
            return "The sealed box did not authenticate: it was altered or truncated, or it was sealed with "
                + "another key or nonce. Discard it; check the sender's key if this persists."
        case .invalidSignature:
            return "The signature does not match the message and verify key. Discard the message; check "
                + "that the node holds the aggregator's current verify key."
        case .keyFileInsecurePermissions(let path, let mode):
            return "Key file \(path) has mode \(Self.octal(mode)); key files must be readable and writable "
                + "by their owner only. Run `chmod 600 \(path)` and try again."
        case .keyFileNotRegular(let path, let type):
            return "Key file \(path) is a \(type), not a regular file. Point Growda at the key file itself."
        case .keyFileMalformed(let path, let reason):
            return "Key file \(path) is not a Growda key file: \(reason). "
                + "Restore it from a backup or write it again with Growda."
        case .keyFileWrongKind(let path, let expected, let found):
            return "Key file \(path) holds a \(found) key, not a \(expected.rawValue) key. "
                + "Check which file the configuration names."
        case .keyFileExists(let path):
            return "Key file \(path) already exists and was left as it is. "
                + "Remove it first, or ask explicitly to overwrite it."
        case .keyBundleMalformed(let path, let line, let reason):
            let place = line.map { " (line \($0))" } ?? ""
            return "Key bundle \(path) is not a valid Growda bundle\(place): \(reason). "
                + "Restore it from a backup or have it issued again."
        case .keyBundleInvalidEntry(let name, let reason):
            return "Cannot put `\(name)` in a key bundle: \(reason). This points at a bad input or a bug: "
                + "check the value given for it."
        case .fileSystemFailure(let call, let path, let errno):
            return "\(call) failed on \(path): \(String(cString: strerror(errno))) (errno \(errno)). "
                + "Check that the path exists and that this user may use it."
        }
    }

    /// A file mode's permission bits as four octal digits, e.g. `0644`.
    private static func octal(_ mode: UInt32) -> String {
        let digits = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
