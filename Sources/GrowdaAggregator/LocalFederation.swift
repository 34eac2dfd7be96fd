import Foundation
import GrowdaProvisioning
import GrowdaTransport

extension Federation {
    /// A setting written into a local federation's `federation.conf`, with an optional comment above it.
    public struct LocalSetting: Sendable {
        public var key: String
        public var value: String
        public var comment: [String]

        public init(_ key: String, _ value: String, comment: [String] = []) {
            self.key = key
            self.value = value
            self.comment = comment
        }
    }

    /// Provisions a whole federation on this machine, the way `growda simulate`, `growda bench aggregate`
    /// and the integration tests need one: keys, a `federation.conf` whose four ports (updates, models,
    /// snapshots, status) are free ports of 127.0.0.1, the model and its classes, `settings` in order,
    /// and one bundle per name in `nodes`, written as `bundles/NAME.bundle`.
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
        let created = try Federation.create(directory: directory)
        var config = created.config
        let ports = try FreePorts.take(4)
        try config.set(FederationConfig.Key.updatesPort, String(ports[0]))
        try config.set(FederationConfig.Key.modelsPort, String(ports[1]))
        try config.set(FederationConfig.Key.snapshotsPort, String(ports[2]))
        try config.set(
            AggregatorConfiguration.Key.statusPort, String(ports[3]),
            comment: ["Port of the operators' status socket (localhost)."])
        try config.set(AggregatorConfiguration.Key.modelName, model, comment: ["The model every hospital trains."])
        try config.set(AggregatorConfiguration.Key.modelClasses, classes.joined(separator: ","))
        for setting in settings { try config.set(setting.key, setting.value, comment: setting.comment) }
        try config.write(path: created.configPath, overwrite: true)

        var federation = try Federation.load(directory: created.directory)
        try FileManager.default.createDirectory(atPath: bundlesDirectory, withIntermediateDirectories: true)
        let added = try nodes.map { name in
            try federation.addNode(name: name, bundlePath: bundlesDirectory + "/" + name + ".bundle")
        }
        return (federation, added)
    }
}
