extension FederationConfig {
    /// The configuration `growda federation init` writes: `endpoint.host` and `bind.host` set, and every
    /// other key in `keys` commented out (`# key = default`), each below a comment saying what it means,
    /// what it allows and its default, under a heading per ``Section``. Read back, it sets only the two
    /// hosts: every other key takes its default.
    ///
    /// - Parameters:
    ///   - endpointHost: the host nodes connect to.
    ///   - bindHost: the address the aggregator binds its node-facing sockets to.
    ///   - keys: the keys to document, in order (`growda federation init` gives every key Growda reads:
    ///     GrowdaAggregator's `AggregatorConfiguration.knownKeys`); this module's own ``knownKeys`` unless
    ///     told otherwise.
    ///   - path: the file's path, named in errors.
    /// - Throws: ``ProvisioningError/invalidHost(host:reason:)`` for a bad host.
    public static func initial(
        endpointHost: String = Default.host,
        bindHost: String = Default.host,
        documenting keys: [KnownKey] = knownKeys,
        path: String
    ) throws(ProvisioningError) -> FederationConfig {
        let set = [Key.endpointHost: try Host.validated(endpointHost), Key.bindHost: try Host.validated(bindHost)]
        var config = FederationConfig(path: path)
        config.lines = [
            .comment("Growda federation configuration, written by `growda federation init`."),
            .comment("Lines are `key = value`; lines starting with # are comments, so a commented-out key keeps"),
            .comment("its default: remove the # to set it. Every key Growda reads is below; any other key is an"),
            .comment("error (`growda serve --config FILE --check-config` checks the file without starting)."),
            .comment("Nodes get the endpoint host and ports in their bundles when they are added: after a"),
            .comment("change to those, give the nodes new bundles (growda node revoke, then growda node add)."),
        ]
        for (name, _) in set where !keys.contains(where: { $0.name == name }) {
            throw .configInvalid(path: path, line: nil, key: name, reason: "is set but not documented")
        }
        var section: Section?
        for key in keys {
            if key.section != section {
                config.lines += [.blank, .comment("---- \(key.section.rawValue) ----")]
                section = key.section
            }
            config.lines.append(.blank)
            config.lines += key.commentLines.map(Line.comment)
            if let value = set[key.name] {
                config.lines.append(.entry(key: key.name, value: value))
            } else {
                let shown = key.defaultValue ?? key.example ?? ""
                config.lines.append(.comment(shown.isEmpty ? "\(key.name) =" : "\(key.name) = \(shown)"))
            }
        }
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
