import Foundation
import GrowdaProvisioning
import GrowdaTransport

extension Federation {
    /// A setting written into a local federation's `federation.conf`, with an optional comment above it.
    public struct LocalSetting: Sendable {
        /// The key, one of ``AggregatorConfiguration/knownKeys``.
        public var key: String
        /// Its value.
        public var value: String
        /// Comment lines written above it, when the file does not document the key already.
        public var comment: [String]

        /// A setting of `key` to `value`.
        public init(_ key: String, _ value: String, comment: [String] = []) {
            self.key = key
            self.value = value
            self.comment = comment
        }
    }

    /// Provisions a whole federation on this machine, the way `growda simulate`, `growda bench aggregate`
    /// and the integration tests need one: keys, a `federation.conf` documenting every key (as `growda
    /// federation init` writes it) whose four ports (updates, models, snapshots, status) are set to free
    /// ports of 127.0.0.1, with the model and its classes and `settings` in order (each in place of its
    /// commented-out line), and one bundle per name in `nodes`, written as `bundles/NAME.bundle`.
    /// A buffer `fedbuff.k` below ``AggregatorConfiguration/Default/privacyMinK`` without a `privacy.min_k`
    /// of its own gets `privacy.min_k` = K, with a comment saying why: these federations are for one
    /// machine, where a small buffer isolates nobody's patients.
    ///
    /// Returns the federation as loaded back from disk (so it reads what a later `growda serve` reads) and
    /// the nodes added, in the order of `nodes`.
    public static func createLocal(
        directory: String,
        model: String,
        classes: [String],
        settings: [LocalSetting] = [],
        nodes: [String],
        bundles bundlesDirectory: String
    ) throws -> (federation: Federation, nodes: [AddedNode]) {
        let created = try Federation.create(directory: directory, documenting: AggregatorConfiguration.knownKeys)
        var config = created.config
        let ports = try FreePorts.take(4)
        try config.set(FederationConfig.Key.updatesPort, String(ports[0]))
        try config.set(FederationConfig.Key.modelsPort, String(ports[1]))
        try config.set(FederationConfig.Key.snapshotsPort, String(ports[2]))
        try config.set(AggregatorConfiguration.Key.statusPort, String(ports[3]))
        try config.set(AggregatorConfiguration.Key.modelName, model)
        try config.set(AggregatorConfiguration.Key.modelClasses, classes.joined(separator: ","))
        for setting in settings { try config.set(setting.key, setting.value, comment: setting.comment) }
        let minK = AggregatorConfiguration.Key.privacyMinK
        if let k = settings.last(where: { $0.key == "fedbuff.k" }).flatMap({ Int($0.value) }),
            k < AggregatorConfiguration.Default.privacyMinK, !settings.contains(where: { $0.key == minK })
        {
            try config.set(
                minK, String(k),
                comment: ["A local federation on one machine: its small buffer (fedbuff.k = \(k)) is accepted."])
        }
        try config.write(path: created.configPath, overwrite: true)

        var federation = try Federation.load(directory: created.directory)
        try FileManager.default.createDirectory(atPath: bundlesDirectory, withIntermediateDirectories: true)
        let added = try nodes.map { name in
            try federation.addNode(name: name, bundlePath: bundlesDirectory + "/" + name + ".bundle")
        }
        return (federation, added)
    }
}
