import CSodium

extension SecureBytes {
    /// One part of a text assembled in guarded memory by ``text(_:)``.
    enum TextPiece {
        /// Plain, non-secret text, copied as UTF-8.
        case text(String)
        /// Key bytes, written as standard base64 with padding (RFC 4648 §4).
        case base64(SecureBytes)
    }

    /// libsodium's name for standard base64 with padding.
    static let base64Variant = Int32(sodium_base64_VARIANT_ORIGINAL)

    /// The pieces joined into one guarded buffer, key bytes base64-encoded on the way: how key files and
    /// bundles are built without a key byte passing through a Swift `String`.
    static func text(_ pieces: [TextPiece]) throws(CryptoError) -> SecureBytes {
        var parts: [Part] = []
        for piece in pieces {
            switch piece {
            case .text(let string):
                parts.append(.plain(Array(string.utf8)))
            case .base64(let key):
                parts.append(.encoded(try base64(of: key)))
            }
        }
        let total = parts.reduce(0) { $0 + $1.count }
        return try SecureBytes(count: total) { buffer in
            var offset = 0
            for part in parts {
                let destination = UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + part.count)])
                switch part {
                case .plain(let bytes):
                    destination.copyBytes(from: bytes)
                case .encoded(let encoded):
                    encoded.withUnsafeBytes { source in
                        destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[..<part.count]))
                    }
                }
                offset += part.count
            }
        }
    }

    /// A piece ready to copy: plain bytes, or base64 text in guarded memory ending in a NUL that is not copied.
    private enum Part {
        case plain([UInt8])
        case encoded(SecureBytes)

        /// The bytes this part adds to the text.
        var count: Int {
            switch self {
            case .plain(let bytes): return bytes.count
            case .encoded(let encoded): return encoded.count - 1
            }
        }
    }

    /// The base64 of `key` in guarded memory, NUL-terminated as `sodium_bin2base64` writes it.
    private static func base64(of key: SecureBytes) throws(CryptoError) -> SecureBytes {
        let encodedCount = sodium_base64_encoded_len(key.count, base64Variant)
        return try SecureBytes(count: encodedCount) { field throws(CryptoError) in
            let encoded = key.withUnsafeBytes { bytes in
                sodium_bin2base64(
                    field.baseAddress!.assumingMemoryBound(to: CChar.self),
                    field.count,
                    bytes.bytePointer,
                    bytes.count,
                    base64Variant
                )
            }
            guard encoded != nil else { throw .sodiumCallFailed(call: "sodium_bin2base64", code: -1) }
        }
    }
}
