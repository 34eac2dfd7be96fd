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
