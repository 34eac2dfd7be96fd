import Foundation
import GrowdaCrypto

extension Federation {
    /// What adding a node made: its registry entry and its bundle.
    public struct AddedNode: Sendable {
        /// The node's registry entry.
        public var record: NodeRecord
        /// Where its bundle was written.
        public var bundlePath: String
        /// The bundle written (printing it shows fingerprints only).
        public var bundle: NodeBundle
    }

    /// Adds node `name`: makes its secretbox key, writes its bundle to `bundlePath`, keeps the aggregator's
    /// copy of the key in `nodes/<id>.key` and registers it under the next id.
    ///
    /// Nothing else changes: no other node's bundle or key is touched. Concurrent adds and revokes, from
    /// this process or others, are serialised by a lock on `nodes/.lock`; the registry written last is the
    /// commit point, so an add that fails part-way leaves no registered node.
    ///
    /// - Parameters:
    ///   - overwrite: whether to replace a file already at `bundlePath`.
    ///   - now: the time recorded as `added`.
    /// - Throws: ``ProvisioningError/invalidNodeName(name:reason:)``,
    ///   ``ProvisioningError/nodeNameTaken(name:id:)``, ``ProvisioningError/bundleExists(path:)``, or key,
    ///   registry and file errors.
    @discardableResult
    public mutating func addNode(
        name: String,
        bundlePath: String,
        overwrite: Bool = false,
        now: Date = Date()
    ) throws(ProvisioningError) -> AddedNode {
        try NodeName.validate(name)
        let endpoints = try config.nodeEndpoints()
        let modelKey = try modelKey()
        let verifyKey = try verifyKey()
        let lock = try FileLock(path: lockPath)
        defer { lock.release() }

        var registry = try NodeRegistry.load(path: registryPath)
        if let taken = registry.activeNode(named: name) { throw .nodeNameTaken(name: name, id: taken.id) }
        let id = try registry.nextID()
        let nodeKey = try ProvisioningError.wrapping { () throws(CryptoError) in try SecretBoxKey.generate() }
        let bundle = NodeBundle(
            nodeID: id,
            nodeName: name,
            nodeKey: nodeKey,
            modelKey: modelKey,
            aggregatorVerifyKey: verifyKey,
            endpoints: endpoints
        )
        try bundle.write(path: bundlePath, overwrite: overwrite)
        let keyPath = nodeKeyPath(id: id)
        let record = NodeRecord(
            id: id,
            name: name,
            keyFingerprint: nodeKey.fingerprint,
            added: Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        )
        do throws(ProvisioningError) {
            // A key file for an id the registry lacks is left from an add that failed: replace it.
            try ProvisioningError.wrapping { () throws(CryptoError) in
                try KeyFile.write(nodeKey, path: keyPath, overwrite: true)
            }
            registry.append(record)
        } catch {
            try? POSIX.removeFile(bundlePath)
            throw error
        }
        do throws(ProvisioningError) {
            try registry.save(path: registryPath)
        } catch {
            // The rename may have happened before a later step failed; only an unregistered id is undone.
            if (try? NodeRegistry.load(path: registryPath).node(id: id)) == nil {
                try? POSIX.removeFile(keyPath)
                try? POSIX.removeFile(bundlePath)
            }
            throw error
        }
        self.registry = registry
        return AddedNode(record: record, bundlePath: bundlePath, bundle: bundle)
    }

    /// Revokes the active node named `name`: replaces the federation's model key with a fresh one (the
    /// remaining nodes receive it sealed under their own keys in their next snapshot reply; no bundle is
    /// re-issued), marks the registry entry revoked, and moves the aggregator's copy of the node's key to
    /// `nodes/<id>.revoked.key`, kept only to tell that node it was revoked. Everything it sends is refused
    /// from then on, and it cannot open any model made after this. Its id is never given again.
    ///
    /// - Parameter now: the time recorded as `revoked`.
    /// - Returns: the node's entry, now revoked.
    /// - Throws: ``ProvisioningError/unknownNode(name:)``, ``ProvisioningError/nodeAlreadyRevoked(name:id:revoked:)``,
    ///   or registry and file errors.
    @discardableResult
    public mutating func revokeNode(name: String, now: Date = Date()) throws(ProvisioningError) -> NodeRecord {
        let lock = try FileLock(path: lockPath)
        defer { lock.release() }
        var registry = try NodeRegistry.load(path: registryPath)
        guard let node = registry.activeNode(named: name) else {
            if let revoked = registry.nodes.last(where: { $0.name == name }), let time = revoked.revoked {
                throw .nodeAlreadyRevoked(name: name, id: revoked.id, revoked: Self.timestamp(time))
            }
            throw .unknownNode(name: name)
        }
        // The model key is rotated first: once the registry says "revoked", the aggregator (which reloads
        // the registry and the model key together) seals every later model with a key the node never gets.
        try ProvisioningError.wrapping { () throws(CryptoError) in
            try KeyFile.write(SecretBoxKey.generate(), path: modelKeyPath, overwrite: true)
        }
        try POSIX.syncDirectory(keysDirectory)
        registry.revoke(id: node.id, at: Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down)))
        try registry.save(path: registryPath)
        try POSIX.renameFile(nodeKeyPath(id: node.id), to: revokedNodeKeyPath(id: node.id))
        try POSIX.syncDirectory(nodesDirectory)
        self.registry = registry
        return registry.node(id: node.id) ?? node
    }

    /// `time` in ISO 8601, UTC, whole seconds: how the registry and the command line show times.
    public static func timestamp(_ time: Date) -> String {
        ISO8601DateFormatter().string(from: time)
    }
}
