import GrowdaCrypto

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Every way setting up a federation or a node can fail. No case carries key bytes; descriptions say what
/// failed, with which input, and what to do next.
public enum ProvisioningError: Error, Sendable, Equatable {
    /// A key, key-file or bundle operation failed in GrowdaCrypto.
    case crypto(CryptoError)
    /// `directory` already holds a federation (`found` is the entry that shows it).
    case federationExists(directory: String, found: String)
    /// `directory` holds no federation configuration.
    case notAFederation(directory: String)
    /// A configuration line that is not `key = value`, a comment or blank.
    case configMalformed(path: String, line: Int, reason: String)
    /// A configuration value out of range or of the wrong shape; `line` is nil for a value not from the file.
    case configInvalid(path: String, line: Int?, key: String, reason: String)
    /// A host name or address that nodes could not connect to or the aggregator could not bind.
    case invalidHost(host: String, reason: String)
    /// A node name that breaks the naming rule.
    case invalidNodeName(name: String, reason: String)
    /// A node name already used by an active node.
    case nodeNameTaken(name: String, id: UInt32)
    /// No node of this name was ever added.
    case unknownNode(name: String)
    /// The node was already revoked (at `revoked`, an ISO 8601 time).
    case nodeAlreadyRevoked(name: String, id: UInt32, revoked: String)
    /// Writing a bundle where a file already exists, without asking to overwrite it.
    case bundleExists(path: String)
    /// A bundle that is well formed but holds a bad value (a node id of 0, an endpoint that is not tcp://).
    case bundleInvalid(path: String, reason: String)
    /// A node registry that cannot be read as one.
    case registryMalformed(path: String, reason: String)
    /// Every node id has been used.
    case nodeIDsExhausted
    /// A file-system operation on a federation's folder failed.
    case fileSystemFailure(operation: String, path: String, errno: Int32)
}

extension ProvisioningError: CustomStringConvertible {
    /// What failed and what to do about it.
    public var description: String {
        switch self {
        case .crypto(let error):
            return error.description
        case .federationExists(let directory, let found):
            return "\(directory) already holds a federation (\(found) is there). Use it as it is, or pick "
                + "another folder; to start over, move \(directory) away first: its keys are needed by every "
                + "node already added."
        case .notAFederation(let directory):
            return "\(directory) holds no federation (no \(Federation.configFileName) there). Check the "
                + "folder named, or make one with `growda federation init --dir \(directory)`."
        case .configMalformed(let path, let line, let reason):
            return "\(path) line \(line): \(reason). Lines are `key = value`, `# comment` or blank; fix the line."
        case .configInvalid(let path, let line, let key, let reason):
            let place = line.map { " line \($0)" } ?? ""
            return "\(path)\(place): \(key) \(reason). Fix the value in \(path)."
        case .invalidHost(let host, let reason):
            return "\"\(host)\" is not a usable host: \(reason). Give a host name (agg.example.org), an IPv4 "
                + "address (10.0.0.5) or an IPv6 address (::1)."
        case .invalidNodeName(let name, let reason):
            return "\"\(name)\" is not a valid node name: \(reason). Use 1–64 letters, digits, '.', '_' or '-', "
                + "e.g. st-marys."
        case .nodeNameTaken(let name, let id):
            return "An active node is already named \(name) (node \(id)). Pick another name, or revoke node "
                + "\(name) first with `growda node revoke \(name)`."
        case .unknownNode(let name):
            return "No node is named \(name). `growda node list` shows the nodes of the federation."
        case .nodeAlreadyRevoked(let name, let id, let revoked):
            return "Node \(name) (node \(id)) was already revoked at \(revoked); nothing changed. "
                + "Add it again with `growda node add \(name)` if it should rejoin (it gets a new id and key)."
        case .bundleExists(let path):
            return "\(path) already exists and was left as it is. Give another output path, remove the file, "
                + "or ask to overwrite it (`--force`)."
        case .bundleInvalid(let path, let reason):
            return "Node bundle \(path) is not usable: \(reason). Ask the federation's admin for a new bundle."
        case .registryMalformed(let path, let reason):
            return "The node registry \(path) cannot be read: \(reason). Restore it from a backup; do not "
                + "edit it by hand."
        case .nodeIDsExhausted:
            return "Every node id has been used (ids are never reused). Start a new federation."
        case .fileSystemFailure(let operation, let path, let errno):
            return "Could not \(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno)). "
                + "Check that the path exists and that this user may use it."
        }
    }
}

extension ProvisioningError {
    /// Runs `body`, wrapping a ``CryptoError`` it throws in ``crypto(_:)``.
    static func wrapping<Result>(_ body: () throws(CryptoError) -> Result) throws(ProvisioningError) -> Result {
        do throws(CryptoError) {
            return try body()
        } catch {
            throw .crypto(error)
        }
    }
}
