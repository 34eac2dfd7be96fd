extension FederationConfig {
    /// The configuration `growda federation init` writes: every key Growda reads, each with a comment.
    ///
    /// - Parameters:
    ///   - endpointHost: the host nodes connect to.
    ///   - bindHost: the address the aggregator binds its node-facing sockets to.
    ///   - path: the file's path, named in errors.
    /// - Throws: ``ProvisioningError/invalidHost(host:reason:)`` for a bad host.
    public static func initial(
        endpointHost: String = Default.host,
        bindHost: String = Default.host,
        path: String
    ) throws(ProvisioningError) -> FederationConfig {
        let endpointHost = try Host.validated(endpointHost)
        let bindHost = try Host.validated(bindHost)
        var config = FederationConfig(path: path)
        config.lines = [
            .comment("Growda federation configuration, written by `growda federation init`."),
            .comment("Lines are `key = value`; lines starting with # are comments. Unknown keys are kept."),
            .comment("Nodes get the endpoint host and ports in their bundles when they are added: after a"),
            .comment("change here, give the nodes new bundles (growda node revoke, then growda node add)."),
        ]
        try config.set(
            Key.endpointHost,
            endpointHost,
            comment: [
                "The host name or address that nodes connect to; written into every node bundle."
            ]
        )
        try config.set(
            Key.bindHost,
            bindHost,
            comment: [
                "The address the aggregator binds its node-facing sockets (updates, models, snapshots) to.",
                "127.0.0.1 accepts nodes on this machine only: for remote hospitals set 0.0.0.0 (every",
                "interface) or the address of the interface they reach. Status and admin queries stay on",
                "localhost by default.",
            ]
        )
        try config.set(
            Key.updatesPort,
            String(Default.updatesPort),
            comment: ["Port of the PULL socket that receives sealed updates and heartbeats from nodes."]
        )
        try config.set(
            Key.modelsPort,
            String(Default.modelsPort),
            comment: ["Port of the PUB socket that broadcasts each signed, sealed global model."]
        )
        try config.set(
            Key.snapshotsPort,
            String(Default.snapshotsPort),
            comment: ["Port of the ROUTER socket that sends the latest model to nodes that ask (late joiners)."]
        )
        try config.set(
            Key.maxMessageBytes,
            String(Default.maxMessageBytes),
            comment: [
                "The largest message the aggregator accepts, in bytes (67108864 = 64 MiB); larger ones are",
                "refused as oversize. From \(maxMessageBytesRange.lowerBound) to \(maxMessageBytesRange.upperBound).",
            ]
        )
        return config
    }

    /// The host nodes connect to (``Key/endpointHost``).
    public func endpointHost() throws(ProvisioningError) -> String {
        try host(Key.endpointHost, default: Default.host)
    }

    /// The address the aggregator binds (``Key/bindHost``).
    public func bindHost() throws(ProvisioningError) -> String {
        try host(Key.bindHost, default: Default.host)
    }

    /// The three ports: updates, models, snapshots; they must differ.
    public func ports() throws(ProvisioningError) -> (updates: Int, models: Int, snapshots: Int) {
        let updates = try port(Key.updatesPort, default: Default.updatesPort)
        let models = try port(Key.modelsPort, default: Default.modelsPort)
        let snapshots = try port(Key.snapshotsPort, default: Default.snapshotsPort)
        if models == updates {
            throw .configInvalid(
                path: path, line: line(of: Key.modelsPort), key: Key.modelsPort, reason: "is the same as port.updates")
        }
        if snapshots == updates || snapshots == models {
            throw .configInvalid(
                path: path,
                line: line(of: Key.snapshotsPort),
                key: Key.snapshotsPort,
                reason: "is the same as another port"
            )
        }
        return (updates, models, snapshots)
    }

    /// The largest message accepted, in bytes (``Key/maxMessageBytes``).
    public func maxMessageBytes() throws(ProvisioningError) -> Int {
        try integer(Key.maxMessageBytes, in: Self.maxMessageBytesRange, default: Default.maxMessageBytes)
    }

    /// The endpoints nodes connect to: ``endpointHost()`` and the ports.
    public func nodeEndpoints() throws(ProvisioningError) -> FederationEndpoints {
        let ports = try ports()
        return FederationEndpoints(
            host: try endpointHost(),
            updatesPort: ports.updates,
            modelsPort: ports.models,
            snapshotsPort: ports.snapshots
        )
    }

    /// The endpoints the aggregator binds: ``bindHost()`` and the ports.
    public func bindEndpoints() throws(ProvisioningError) -> FederationEndpoints {
        let ports = try ports()
        return FederationEndpoints(
            host: try bindHost(),
            updatesPort: ports.updates,
            modelsPort: ports.models,
            snapshotsPort: ports.snapshots
        )
    }

    /// Reads every setting Growda knows, so a bad value is reported now rather than when it is first used.
    public func validate() throws(ProvisioningError) {
        _ = try nodeEndpoints()
        _ = try bindEndpoints()
        _ = try maxMessageBytes()
    }
}
