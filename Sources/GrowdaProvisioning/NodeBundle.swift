import GrowdaCrypto

/// Everything one hospital's node needs to join a federation: its id and name, its own secretbox key,
/// the model key, the aggregator's verify key and the aggregator's endpoints.
///
/// It is stored as a ``KeyBundle`` of kind `node` (mode 0600; see that type for the format):
///
/// ```
/// # Growda node bundle for "st-marys" (node 3). Secret: keep this file mode 0600.
/// # Copy it to that hospital only, over a secure channel.
/// growda-bundle v1 node
/// set node-id 3
/// set node-name st-marys
/// set endpoint.updates tcp://agg.example.org:7701
/// set endpoint.models tcp://agg.example.org:7702
/// set endpoint.snapshots tcp://agg.example.org:7703
/// key node growda-secretbox-key v1 <base64>
/// key model growda-secretbox-key v1 <base64>
/// key aggregator growda-verify-key v1 <base64>
/// ```
///
/// Printing a bundle shows key fingerprints only.
public struct NodeBundle: Sendable, Equatable {
    /// The node's id (1…0xFFFFFFFE), which its messages carry.
    public var nodeID: UInt32
    /// The node's name.
    public var nodeName: String
    /// The node's own secretbox key: it seals the node's updates.
    public var nodeKey: SecretBoxKey
    /// The federation's model key: it opens model broadcasts.
    public var modelKey: SecretBoxKey
    /// The aggregator's verify key: it checks model signatures.
    public var aggregatorVerifyKey: VerifyKey
    /// Where the node connects.
    public var endpoints: FederationEndpoints

    /// A bundle from its parts.
    public init(
        nodeID: UInt32,
        nodeName: String,
        nodeKey: SecretBoxKey,
        modelKey: SecretBoxKey,
        aggregatorVerifyKey: VerifyKey,
        endpoints: FederationEndpoints
    ) {
        self.nodeID = nodeID
        self.nodeName = nodeName
        self.nodeKey = nodeKey
        self.modelKey = modelKey
        self.aggregatorVerifyKey = aggregatorVerifyKey
        self.endpoints = endpoints
    }

    /// The fields and key roles of a node bundle.
    public static let layout = KeyBundle.Layout(
        kind: "node",
        fields: [Field.nodeID, Field.nodeName, Field.updates, Field.models, Field.snapshots],
        keys: [
            .init(role: Role.node, kind: .secretBox),
            .init(role: Role.model, kind: .secretBox),
            .init(role: Role.aggregator, kind: .verify),
        ]
    )

    /// The names of a node bundle's fields.
    enum Field {
        static let nodeID = "node-id"
        static let nodeName = "node-name"
        static let updates = "endpoint.updates"
        static let models = "endpoint.models"
        static let snapshots = "endpoint.snapshots"
    }

    /// The names of a node bundle's key roles.
    enum Role {
        static let node = "node"
        static let model = "model"
        static let aggregator = "aggregator"
    }

    /// Reads and checks the node bundle at `path`.
    ///
    /// - Throws: ``ProvisioningError/crypto(_:)`` for a file that is not private
    ///   (``CryptoError/keyFileInsecurePermissions(path:mode:)``, whose description gives the `chmod` that
    ///   fixes it) or not a well-formed bundle, and ``ProvisioningError/bundleInvalid(path:reason:)`` for a
    ///   bad id, name or endpoint.
    public static func read(path: String) throws(ProvisioningError) -> NodeBundle {
        let bundle = try ProvisioningError.wrapping { () throws(CryptoError) in
            try KeyBundle.read(path: path, layout: layout)
        }
        return try validated(bundle, path: path)
    }

    /// The node bundle `bundle` (of ``layout``, read from `path`) holds, once its id, name and endpoints are
    /// checked.
    ///
    /// - Throws: ``ProvisioningError/bundleInvalid(path:reason:)`` for a bad id, name or endpoint.
    static func validated(_ bundle: KeyBundle, path: String) throws(ProvisioningError) -> NodeBundle {
        // The layout guarantees every field and key is present.
        let field = { (name: String) in bundle.field(name) ?? "" }
        guard let id = UInt32(field(Field.nodeID)), NodeRegistry.ids.contains(id) else {
            throw .bundleInvalid(
                path: path, reason: "node-id must be a number from 1 to \(NodeRegistry.ids.upperBound)")
        }
        let name = field(Field.nodeName)
        if let problem = NodeName.problem(with: name) {
            throw .bundleInvalid(path: path, reason: "node-name: \(problem)")
        }
        for name in [Field.updates, Field.models, Field.snapshots] {
            if case .failure(let error) = FederationEndpoints.parse(field(name)) {
                let detail: String
                if case .invalidHost(_, let reason) = error { detail = reason } else { detail = error.description }
                throw .bundleInvalid(path: path, reason: "\(name) \"\(field(name))\": \(detail)")
            }
        }
        guard let nodeKey = bundle.secretBoxKey(Role.node), let modelKey = bundle.secretBoxKey(Role.model),
            let verifyKey = bundle.verifyKey(Role.aggregator)
        else { throw .bundleInvalid(path: path, reason: "a key is missing") }
        return NodeBundle(
            nodeID: id,
            nodeName: name,
            nodeKey: nodeKey,
            modelKey: modelKey,
            aggregatorVerifyKey: verifyKey,
            endpoints: FederationEndpoints(
                updates: field(Field.updates),
                models: field(Field.models),
                snapshots: field(Field.snapshots)
            )
        )
    }

    /// Writes the bundle to `path` with mode 0600, atomically.
    ///
    /// - Parameter overwrite: whether to replace a file already at `path`; without it an existing file is
    ///   left alone and ``ProvisioningError/bundleExists(path:)`` is thrown.
    public func write(path: String, overwrite: Bool = false) throws(ProvisioningError) {
        do throws(CryptoError) {
            var bundle = KeyBundle(layout: Self.layout)
            try bundle.setField(Field.nodeID, String(nodeID))
            try bundle.setField(Field.nodeName, nodeName)
            try bundle.setField(Field.updates, endpoints.updates)
            try bundle.setField(Field.models, endpoints.models)
            try bundle.setField(Field.snapshots, endpoints.snapshots)
            try bundle.setKey(nodeKey, role: Role.node)
            try bundle.setKey(modelKey, role: Role.model)
            try bundle.setKey(aggregatorVerifyKey, role: Role.aggregator)
            let comments = [
                "Growda node bundle for \"\(nodeName)\" (node \(nodeID)). Secret: keep this file mode 0600.",
                "Copy it to that hospital only, over a secure channel.",
            ]
            try bundle.write(path: path, comments: comments, overwrite: overwrite)
        } catch .keyFileExists(let path) {
            throw .bundleExists(path: path)
        } catch {
            throw .crypto(error)
        }
    }
}

extension NodeBundle: CustomStringConvertible {
    /// The id, name, endpoints and key fingerprints: never a key byte.
    public var description: String {
        "NodeBundle(node \(nodeID) \"\(nodeName)\", node key \(nodeKey.fingerprint), model key "
            + "\(modelKey.fingerprint), aggregator \(aggregatorVerifyKey.fingerprint), updates \(endpoints.updates), "
            + "models \(endpoints.models), snapshots \(endpoints.snapshots))"
    }
}
