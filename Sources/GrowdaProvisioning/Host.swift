/// Host names and addresses as the configuration and bundles hold them.
public enum Host {
    /// `host` as stored: brackets around an IPv6 address removed, and checked to be a DNS name
    /// (letters, digits, '-' and '.', labels of 1–63 characters), an IPv4 address or an IPv6 address.
    ///
    /// - Throws: ``ProvisioningError/invalidHost(host:reason:)``.
    public static func validated(_ host: String) throws(ProvisioningError) -> String {
        var name = host
        if name.hasPrefix("[") && name.hasSuffix("]") && name.count > 2 { name = String(name.dropFirst().dropLast()) }
        guard !name.isEmpty else { throw .invalidHost(host: host, reason: "it is empty") }
        guard name.utf8.count <= 253 else { throw .invalidHost(host: host, reason: "it is longer than 253 characters") }
        if name.contains(":") {
            let allowed = name.unicodeScalars.allSatisfy { $0.properties.isASCIIHexDigit || $0 == ":" || $0 == "." }
            guard allowed, name.filter({ $0 == ":" }).count >= 2 else {
                throw .invalidHost(host: host, reason: "an IPv6 address holds only hex digits, ':' and '.'")
            }
            return name
        }
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.utf8.count <= 63 else {
                throw .invalidHost(host: host, reason: "each dot-separated part must have 1–63 characters")
            }
            guard label.utf8.allSatisfy(isHostNameByte), label.first != "-", label.last != "-" else {
                throw .invalidHost(
                    host: host,
                    reason: "a host name holds only letters, digits, '-' (not at either end of a part) and '.'"
                )
            }
        }
        return name
    }

    /// Whether `byte` is an ASCII letter, a digit or '-'.
    private static func isHostNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
