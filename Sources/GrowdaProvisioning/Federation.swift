import Foundation
import GrowdaCrypto

/// A federation's folder on the aggregator's host: its configuration, the aggregator's keys and the nodes.
///
/// ## Layout
///
/// ```
/// DIR/                              mode 0700
/// DIR/federation.conf               commented `key = value` configuration (FederationConfig)
/// DIR/keys/                         mode 0700
/// DIR/keys/aggregator-signing.key   Ed25519 signing key (KeyFile, 0600)
/// DIR/keys/aggregator-verify.key    its verify key (KeyFile, 0600)
/// DIR/keys/model.key                the model key that seals broadcasts (KeyFile, 0600); replaced by a
///                                    fresh one at every revocation
/// DIR/keys/admin.key                the admin key for status queries (KeyFile, 0600)
/// DIR/nodes/                        mode 0700
/// DIR/nodes/registry.json           the node registry (NodeRegistry, 0600); no key bytes
/// DIR/nodes/<id>.key                each active node's secretbox key, the aggregator's copy (KeyFile, 0600)
/// DIR/nodes/.lock                   the lock that serialises adding and revoking nodes (0600)
/// ```
///
/// Every file is written with mode 0600 from the start, and atomically. Keys are read from their files
/// when asked for, never held by a loaded `Federation`.
public struct Federation: Sendable {
    /// The configuration file's name inside the folder.
    public static let configFileName = "federation.conf"

    /// The federation's folder.
    public let directory: String
    /// The configuration, as loaded.
    public let config: FederationConfig
    /// The node registry, as last loaded or changed through this value.
    public internal(set) var registry: NodeRegistry

    // MARK: Paths

    /// `DIR/federation.conf`.
    public var configPath: String { Self.configPath(in: directory) }
    /// `DIR/keys`.
    public var keysDirectory: String { directory + "/keys" }
    /// `DIR/nodes`.
    public var nodesDirectory: String { directory + "/nodes" }
    /// `DIR/nodes/registry.json`.
    public var registryPath: String { nodesDirectory + "/registry.json" }
    /// `DIR/nodes/.lock`.
    var lockPath: String { nodesDirectory + "/.lock" }
    /// `DIR/keys/aggregator-signing.key`.
    public var signingKeyPath: String { keysDirectory + "/aggregator-signing.key" }
    /// `DIR/keys/aggregator-verify.key`.
    public var verifyKeyPath: String { keysDirectory + "/aggregator-verify.key" }
    /// `DIR/keys/model.key`.
    public var modelKeyPath: String { keysDirectory + "/model.key" }
    /// `DIR/keys/admin.key`.
    public var adminKeyPath: String { keysDirectory + "/admin.key" }

    /// `DIR/keys/console.token`, the dashboard's login token (`console.token_file` may name another).
    public var consoleTokenPath: String { keysDirectory + "/console.token" }

    /// `DIR/nodes/<id>.key`, the aggregator's copy of node `id`'s key.
    public func nodeKeyPath(id: UInt32) -> String { nodesDirectory + "/\(id).key" }
    /// `DIR/nodes/<id>.revoked.key`: a revoked node's key, kept only so the aggregator can tell that node
    /// it was revoked (a sealed, signed snapshot reply); nothing it sends is accepted.
    public func revokedNodeKeyPath(id: UInt32) -> String { nodesDirectory + "/\(id).revoked.key" }

    private static func configPath(in directory: String) -> String { directory + "/" + configFileName }

    private init(directory: String, config: FederationConfig, registry: NodeRegistry) {
        self.directory = directory
        self.config = config
        self.registry = registry
    }

    // MARK: Making and loading

    /// Makes a new federation in `directory`: the folder (mode 0700, created if missing), the aggregator's
    /// signing key pair, the model key, the admin key, an empty registry and a commented configuration.
    ///
    /// - Parameters:
    ///   - endpointHost: the host nodes connect to.
    ///   - bindHost: the address the aggregator binds.
    ///   - keys: the keys the configuration documents, commented out with their defaults; `growda federation
    ///     init` gives every key Growda reads.
    /// - Throws: ``ProvisioningError/federationExists(directory:found:)`` when `directory` already holds a
    ///   federation (or part of one), ``ProvisioningError/invalidHost(host:reason:)``, or a file error.
    public static func create(
        directory: String,
        endpointHost: String = FederationConfig.Default.host,
        bindHost: String = FederationConfig.Default.host,
        documenting keys: [FederationConfig.KnownKey] = FederationConfig.knownKeys
    ) throws(ProvisioningError) -> Federation {
        let directory = normalized(directory)
        let config = try FederationConfig.initial(
            endpointHost: endpointHost,
            bindHost: bindHost,
            documenting: keys,
            path: configPath(in: directory)
        )
        let existing = try POSIX.kind(of: directory)
        if existing.exists {
            guard existing.isDirectory else {
                throw .fileSystemFailure(operation: "use as a federation folder", path: directory, errno: ENOTDIR)
            }
            for name in [configFileName, "keys", "nodes"] where try POSIX.exists(directory + "/" + name) {
                throw .federationExists(directory: directory, found: name)
            }
            try POSIX.setMode(directory, 0o700)
        } else {
            try POSIX.makeDirectories(directory, mode: 0o700)
        }
        let federation = Federation(directory: directory, config: config, registry: NodeRegistry())
        for folder in [federation.keysDirectory, federation.nodesDirectory] {
            do throws(ProvisioningError) {
                try POSIX.makeDirectory(folder, mode: 0o700)
            } catch .fileSystemFailure(_, _, EEXIST) {
                throw .federationExists(directory: directory, found: String(folder.dropFirst(directory.count + 1)))
            }
        }
        try ProvisioningError.wrapping { () throws(CryptoError) in
            let signingKey = try SigningKey.generate()
            try KeyFile.write(signingKey, path: federation.signingKeyPath)
            try KeyFile.write(signingKey.verifyKey, path: federation.verifyKeyPath)
            try KeyFile.write(SecretBoxKey.generate(), path: federation.modelKeyPath)
            try KeyFile.write(SecretBoxKey.generate(), path: federation.adminKeyPath)
            try ConsoleToken.generate().write(path: federation.consoleTokenPath)
        }
        try federation.registry.save(path: federation.registryPath)
        try FileLock(path: federation.lockPath).release()
        // The configuration comes last: a folder with one holds a whole federation.
        try config.write(path: federation.configPath)
        return try load(directory: directory)
    }

    /// Loads the federation in `directory`: its configuration (every known setting checked) and registry.
    ///
    /// - Throws: ``ProvisioningError/notAFederation(directory:)`` when there is no configuration file,
    ///   configuration and registry errors otherwise.
    public static func load(directory: String) throws(ProvisioningError) -> Federation {
        let directory = normalized(directory)
        let configPath = configPath(in: directory)
        guard try POSIX.exists(configPath) else { throw .notAFederation(directory: directory) }
        let config = try FederationConfig.load(path: configPath)
        try config.validate()
        var federation = Federation(directory: directory, config: config, registry: NodeRegistry())
        federation.registry = try NodeRegistry.load(path: federation.registryPath)
        return federation
    }

    /// Reloads the registry from disk, to see changes made by other processes.
    public mutating func reloadRegistry() throws(ProvisioningError) {
        registry = try NodeRegistry.load(path: registryPath)
    }

    /// `path` without trailing slashes (but `/` stays `/`).
    static func normalized(_ path: String) -> String {
        var path = Substring(path)
        while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        return String(path)
    }

    // MARK: Keys, read on demand

    /// The aggregator's signing key.
    public func signingKey() throws(ProvisioningError) -> SigningKey {
        try ProvisioningError.wrapping { () throws(CryptoError) in
            try KeyFile.read(SigningKey.self, path: signingKeyPath)
        }
    }

    /// The aggregator's verify key.
    public func verifyKey() throws(ProvisioningError) -> VerifyKey {
        try ProvisioningError.wrapping { () throws(CryptoError) in
            try KeyFile.read(VerifyKey.self, path: verifyKeyPath)
        }
    }

    /// The federation's model key.
    public func modelKey() throws(ProvisioningError) -> SecretBoxKey {
        try ProvisioningError.wrapping { () throws(CryptoError) in
            try KeyFile.read(SecretBoxKey.self, path: modelKeyPath)
        }
    }

    /// The admin key.
    public func adminKey() throws(ProvisioningError) -> SecretBoxKey {
        try ProvisioningError.wrapping { () throws(CryptoError) in
            try KeyFile.read(SecretBoxKey.self, path: adminKeyPath)
        }
    }

    /// A revoked node's key (see ``revokedNodeKeyPath(id:)``); nil when none is kept (revoked by an
    /// older release, which deleted it).
    public func revokedNodeKey(id: UInt32) throws(ProvisioningError) -> SecretBoxKey? {
        let path = revokedNodeKeyPath(id: id)
        guard try POSIX.exists(path) else { return nil }
        return try ProvisioningError.wrapping { () throws(CryptoError) in
            try KeyFile.read(SecretBoxKey.self, path: path)
        }
    }

    /// Node `id`'s secretbox key (the aggregator's copy); absent once the node is revoked.
    public func nodeKey(id: UInt32) throws(ProvisioningError) -> SecretBoxKey {
        let path = nodeKeyPath(id: id)
        return try ProvisioningError.wrapping { () throws(CryptoError) in
            try KeyFile.read(SecretBoxKey.self, path: path)
        }
    }
}
