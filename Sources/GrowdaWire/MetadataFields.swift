/// Reads the typed scalar fields of a body's `__metadata__`, refusing any that is missing or not in its
/// one canonical form as ``RejectionReason/malformed``.
///
/// Every value is a string. Integers are unsigned decimal without sign, spaces or leading zeros ("0",
/// "17"); booleans are "true" or "false"; an optional model version is a decimal or "none".
struct MetadataFields {
    /// The fields as parsed from the body.
    let fields: [String: String]

    /// The text of `key`, which must be present.
    func text(_ key: String) throws(RejectionReason) -> String {
        guard let value = fields[key] else { throw .malformed }
        return value
    }

    /// The unsigned 64-bit decimal in `key`.
    func uint64(_ key: String) throws(RejectionReason) -> UInt64 {
        guard let value = Self.parseDecimal(try text(key)) else { throw .malformed }
        return value
    }

    /// The unsigned 64-bit decimal in `key`, nil when the field is absent (an optional field).
    func optionalUInt64(_ key: String) throws(RejectionReason) -> UInt64? {
        guard fields[key] != nil else { return nil }
        return try uint64(key)
    }

    /// The unsigned 32-bit decimal in `key`.
    func uint32(_ key: String) throws(RejectionReason) -> UInt32 {
        guard let value = UInt32(exactly: try uint64(key)) else { throw .malformed }
        return value
    }

    /// The model version in `key`: a decimal, or "none" for no model.
    func version(_ key: String) throws(RejectionReason) -> UInt64? {
        let value = try text(key)
        if value == "none" { return nil }
        guard let version = Self.parseDecimal(value) else { throw .malformed }
        return version
    }

    /// The boolean in `key`: "true" or "false".
    func bool(_ key: String) throws(RejectionReason) -> Bool {
        switch try text(key) {
        case "true": return true
        case "false": return false
        default: throw .malformed
        }
    }

    /// The lower-case hex bytes in `key` (exactly `count` bytes), nil when the field is absent.
    func optionalHex(_ key: String, count: Int) throws(RejectionReason) -> [UInt8]? {
        guard let text = fields[key] else { return nil }
        let utf8 = Array(text.utf8)
        guard utf8.count == count * 2 else { throw .malformed }
        func nibble(_ c: UInt8) throws(RejectionReason) -> UInt8 {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            default: throw .malformed
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for i in stride(from: 0, to: utf8.count, by: 2) { bytes.append(try nibble(utf8[i]) << 4 | nibble(utf8[i + 1])) }
        return bytes
    }

    /// The lower-case hex text of `bytes`, two characters per byte.
    static func hexText(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] }, as: UTF8.self)
    }

    /// A canonical unsigned decimal (1 to 20 digits, no leading zero but in "0") that fits in 64 bits.
    static func parseDecimal(_ text: String) -> UInt64? {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= 20, utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        guard utf8.first != 0x30 || utf8.count == 1 else { return nil }
        return UInt64(text)
    }

    /// The text form of an optional model version: the decimal, or "none".
    static func versionText(_ version: UInt64?) -> String {
        version.map { String($0) } ?? "none"
    }
}
