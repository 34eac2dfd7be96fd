/// The rule for node names: 1–64 characters of `a-z A-Z 0-9 . _ -`, unique among the active nodes of a
/// federation. Names are labels for people; files and messages use the node's numeric id.
public enum NodeName {
    /// The longest name, in characters.
    public static let maximumLength = 64

    /// Checks `name` against the rule.
    ///
    /// - Throws: ``ProvisioningError/invalidNodeName(name:reason:)`` saying what is wrong.
    public static func validate(_ name: String) throws(ProvisioningError) {
        if let problem = problem(with: name) { throw .invalidNodeName(name: name, reason: problem) }
    }

    /// What is wrong with `name`, or nil when it follows the rule.
    static func problem(with name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name.unicodeScalars.count > maximumLength {
            return "it has \(name.unicodeScalars.count) characters, more than \(maximumLength)"
        }
        if let bad = name.unicodeScalars.first(where: { !isAllowed($0) }) {
            return "it holds '\(bad.escaped(asASCII: true))'"
        }
        return nil
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": return true
        default: return false
        }
    }
}
