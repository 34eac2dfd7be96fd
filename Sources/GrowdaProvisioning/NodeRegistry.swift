import Foundation
import GrowdaCrypto

/// One node as the registry records it: no key bytes, only the key's fingerprint.
public struct NodeRecord: Sendable, Equatable, Codable {
    /// The node's id: 1, 2, 3… in the order nodes were added, never reused.
    public var id: UInt32
    /// The node's name.
    public var name: String
    /// The fingerprint of the node's secretbox key.
    public var keyFingerprint: String
    /// When the node was added (whole seconds).
    public var added: Date
    /// When the node was revoked, or nil while it is active.
    public var revoked: Date?

    /// A record.
    public init(id: UInt32, name: String, keyFingerprint: String, added: Date, revoked: Date? = nil) {
        self.id = id
        self.name = name
        self.keyFingerprint = keyFingerprint
        self.added = added
        self.revoked = revoked
    }

    /// Whether the node has not been revoked.
    public var isActive: Bool { revoked == nil }

    private enum CodingKeys: String, CodingKey {
        case id, name, added, revoked
        case keyFingerprint = "key_fingerprint"
    }

    /// Encodes every field, `revoked` as `null` while the node is active.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(keyFingerprint, forKey: .keyFingerprint)
        try container.encode(added, forKey: .added)
        try container.encode(revoked, forKey: .revoked)
    }
}

/// The nodes of a federation, as `nodes/registry.json` holds them: a JSON array of
/// `{"id", "name", "key_fingerprint", "added", "revoked"}` objects, times in ISO 8601 (UTC, whole
/// seconds), `revoked` null for an active node. Entries are never removed, so ids are never reused.
///
/// The file is written atomically (temporary file, fsync, rename) with mode 0600.
public struct NodeRegistry: Sendable, Equatable {
    /// Every node ever added, revoked ones included, in id order.
    public private(set) var nodes: [NodeRecord]

    /// A registry of `nodes`.
    public init(nodes: [NodeRecord] = []) {
        self.nodes = nodes.sorted { $0.id < $1.id }
    }

    /// The largest registry file read, in bytes.
    static let maximumByteCount = 64 << 20

    /// Reads and checks the registry at `path`.
    ///
    /// - Throws: ``ProvisioningError/registryMalformed(path:reason:)`` or
    ///   ``ProvisioningError/fileSystemFailure(operation:path:errno:)``.
    public static func load(path: String) throws(ProvisioningError) -> NodeRegistry {
        let bytes = try POSIX.readFile(path, maximumByteCount: maximumByteCount)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let nodes: [NodeRecord]
        do {
            nodes = try decoder.decode([NodeRecord].self, from: Data(bytes))
        } catch {
            throw .registryMalformed(path: path, reason: "it is not a JSON array of node entries (\(error))")
        }
        let registry = NodeRegistry(nodes: nodes)
        if let problem = registry.problem() { throw .registryMalformed(path: path, reason: problem) }
        return registry
    }

    /// Writes the registry to `path`, replacing it atomically.
    public func save(path: String) throws(ProvisioningError) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do {
            data = try encoder.encode(nodes)
        } catch {
            throw .registryMalformed(path: path, reason: "it could not be encoded (\(error))")
        }
        try ProvisioningError.wrapping { () throws(CryptoError) in
            try PrivateFile.write(Array(data) + [UInt8(ascii: "\n")], path: path, overwrite: true)
        }
    }

    /// What breaks the registry's rules (ids in range and unique, valid names, active names unique), or nil.
    func problem() -> String? {
        var ids = Set<UInt32>()
        var activeNames = Set<String>()
        for node in nodes {
            guard NodeRegistry.ids.contains(node.id) else { return "node id \(node.id) is out of range" }
            guard ids.insert(node.id).inserted else { return "node id \(node.id) appears twice" }
            if let problem = NodeName.problem(with: node.name) { return "node \(node.id)'s name: \(problem)" }
            if node.isActive, !activeNames.insert(node.name).inserted {
                return "two active nodes are named \(node.name)"
            }
        }
        return nil
    }

    /// The ids a node may have (0 is the aggregator's, 0xFFFFFFFF the admin's).
    public static let ids: ClosedRange<UInt32> = 1...0xFFFF_FFFE

    /// The active node named `name`, if there is one.
    public func activeNode(named name: String) -> NodeRecord? {
        nodes.first { $0.isActive && $0.name == name }
    }

    /// The node with id `id`, if there is one.
    public func node(id: UInt32) -> NodeRecord? { nodes.first { $0.id == id } }

    /// The active nodes, in id order.
    public var activeNodes: [NodeRecord] { nodes.filter(\.isActive) }

    /// The id the next node gets: one more than the largest ever given.
    ///
    /// - Throws: ``ProvisioningError/nodeIDsExhausted`` when the largest id has been given.
    public func nextID() throws(ProvisioningError) -> UInt32 {
        guard let last = nodes.last?.id else { return Self.ids.lowerBound }
        guard last < Self.ids.upperBound else { throw .nodeIDsExhausted }
        return last + 1
    }

    /// Adds `record`, whose id must be ``nextID()`` and whose name no active node has.
    mutating func append(_ record: NodeRecord) {
        precondition(record.id == (try? nextID()), "node ids are given in order")
        precondition(activeNode(named: record.name) == nil, "active node names are unique")
        nodes.append(record)
    }

    /// Marks node `id` revoked at `time`.
    mutating func revoke(id: UInt32, at time: Date) {
        guard let index = nodes.firstIndex(where: { $0.id == id }) else { return }
        nodes[index].revoked = time
    }
}
