import GrowdaProvisioning
import Testing

@Suite("federation.conf")
struct FederationConfigTests {
    static let path = "/srv/fed/federation.conf"

    static func parse(_ text: String) throws(ProvisioningError) -> FederationConfig {
        try FederationConfig.parse(text, path: path)
    }

    @Test func parsesKeysValuesCommentsAndBlanks() throws {
        let config = try Self.parse(
            """
            # a comment

              endpoint.host=agg.example.org\t
            port.updates   =   9001
            # aggregation, from a later version
            fedbuff.k = 10
            empty =
            """)
        #expect(config.keys == ["endpoint.host", "port.updates", "fedbuff.k", "empty"])
        let unknown = config.unknownKeys(known: FederationConfig.knownKeys.map(\.name))
        #expect(unknown.map(\.key) == ["fedbuff.k", "empty"] && unknown.map(\.line) == [6, 7])
        #expect(config["fedbuff.k"] == "10")
        #expect(config["empty"] == "")
        #expect(config["absent"] == nil)
        #expect(config.line(of: "port.updates") == 4)
        #expect(try config.endpointHost() == "agg.example.org")
        #expect(try config.ports() == (9001, 7702, 7703))
        #expect(try config.integer("fedbuff.k", in: 1...1000) == 10)
        #expect(try config.bindHost() == "127.0.0.1")
    }

    @Test func writesBackWhatItReadWithUnknownKeysAndComments() throws {
        let text = "# head\n\n# the host\nendpoint.host = a.org\n\n#\n#   indented\nfedbuff.k = 10\n"
        let config = try Self.parse(text)
        #expect(config.rendered() == text)
        var changed = config
        try changed.set("fedbuff.k", "12")
        try changed.set("fedbuff.s_max", "4", comment: ["Largest staleness accepted."])
        #expect(
            changed.rendered()
                == "# head\n\n# the host\nendpoint.host = a.org\n\n#\n#   indented\nfedbuff.k = 12\n\n"
                + "# Largest staleness accepted.\nfedbuff.s_max = 4\n")
        #expect(try Self.parse(changed.rendered())["fedbuff.s_max"] == "4")
    }

    @Test func theInitialConfigurationRoundTrips() throws {
        let config = try FederationConfig.initial(endpointHost: "agg.example.org", path: Self.path)
        let reread = try Self.parse(config.rendered())
        #expect(reread.rendered() == config.rendered())
        #expect(reread.keys == ["endpoint.host", "bind.host"])
        #expect(try reread.nodeEndpoints() == config.nodeEndpoints())
    }

    @Test func theInitialConfigurationDocumentsEveryKeyAndSetsOnlyTheHosts() throws {
        let text = try FederationConfig.initial(endpointHost: "agg.example.org", path: Self.path).rendered()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for key in FederationConfig.knownKeys {
            let set = ["endpoint.host": "agg.example.org", "bind.host": "127.0.0.1"][key.name]
            let line = set.map { "\(key.name) = \($0)" } ?? "# \(key.name) = \(key.defaultValue!)"
            let index = try #require(lines.firstIndex(of: line), "\(key.name) is not written as `\(line)`")
            // Above it: its meaning, then what it allows and its default.
            let above = lines[..<index].reversed().prefix { $0.hasPrefix("# ") }.reversed().map { $0.dropFirst(2) }
                .joined(separator: " ")
            #expect(above == "\(key.meaning) Allowed: \(key.allowed). Default: \(key.defaultValue!).")
        }
        #expect(lines.allSatisfy { $0.count <= 100 })
        #expect(text.contains("# ---- Network ----\n") && text.contains("# ---- Limits ----\n"))
    }

    @Test func aCommentedOutKeySetsNothingAndSetReplacesIt() throws {
        var config = try Self.parse(
            """
            # The updates port.
            # port.updates = 7701
            # Lines are `key = value`.
            # port.models = 7702 unless set: prose, not a commented-out key
            """)
        #expect(config.keys.isEmpty && config["port.updates"] == nil)
        #expect(try config.ports() == (7701, 7702, 7703))
        try config.set("port.updates", "9001", comment: ["not written: the key has its place"])
        try config.set("port.models", "9002", comment: ["The models port."])
        #expect(
            config.rendered()
                == "# The updates port.\nport.updates = 9001\n# Lines are `key = value`.\n"
                + "# port.models = 7702 unless set: prose, not a commented-out key\n\n# The models port.\n"
                + "port.models = 9002\n")
    }

    @Test func unknownKeysNameTheirLineAndTheNearestKnownKey() throws {
        let config = try Self.parse(
            """
            # misspelt
            model.clases = a,b
            modle.name = xray128

            fedbuff.kk = 3
            port.update = 9001
            zzz = 1
            model.name = small28
            """)
        let known = ["model.name", "model.classes", "fedbuff.k", "fedbuff.max_staleness", "port.updates", "mode"]
        let unknown = config.unknownKeys(known: known)
        #expect(unknown.map(\.key) == ["model.clases", "modle.name", "fedbuff.kk", "port.update", "zzz"])
        #expect(unknown.map(\.line) == [2, 3, 5, 6, 7])
        #expect(unknown.map(\.suggestion) == ["model.classes", "model.name", "fedbuff.k", "port.updates", nil])
        #expect(
            unknown.map(\.description) == [
                "\(Self.path) line 2: unknown key \"model.clases\" (did you mean \"model.classes\"?)",
                "\(Self.path) line 3: unknown key \"modle.name\" (did you mean \"model.name\"?)",
                "\(Self.path) line 5: unknown key \"fedbuff.kk\" (did you mean \"fedbuff.k\"?)",
                "\(Self.path) line 6: unknown key \"port.update\" (did you mean \"port.updates\"?)",
                "\(Self.path) line 7: unknown key \"zzz\" (not a key Growda reads; `growda federation init` writes "
                    + "every key, documented)",
            ])
        #expect(config.unknownKeys(known: known + unknown.map(\.key)).isEmpty)
    }

    @Test(arguments: [
        ("endpoint.host\n", 1, "expected `key = value`"),
        ("# ok\n\nport.updates = 1\nport.updates = 2\n", 4, "port.updates is set twice (also on line 3)"),
        ("a b = 1\n", 1, "a key is 1–64 characters of letters, digits, '.', '_' and '-'"),
        (" = 1\n", 1, "a key is 1–64 characters of letters, digits, '.', '_' and '-'"),
        ("x = 1\r\ny = 2\r\nz\r\n", 3, "expected `key = value`"),
    ])
    func syntaxErrorsNameTheLine(text: String, line: Int, reason: String) {
        #expect(throws: ProvisioningError.configMalformed(path: Self.path, line: line, reason: reason)) {
            try Self.parse(text)
        }
        let description = ProvisioningError.configMalformed(path: Self.path, line: line, reason: reason).description
        #expect(description.hasPrefix("\(Self.path) line \(line): "))
    }

    @Test(arguments: [
        ("port.updates = 0", "port.updates", "must be from 1 to 65535, got 0"),
        ("port.models = 70000", "port.models", "must be from 1 to 65535, got 70000"),
        ("port.snapshots = seven", "port.snapshots", "must be a whole number, got \"seven\""),
        ("limits.max_message_bytes = 10", "limits.max_message_bytes", "must be from 65536 to 4294967296, got 10"),
        (
            "endpoint.host = agg example", "endpoint.host",
            "is not a usable host (\"agg example\"): a host name holds only letters, digits, '-' (not at either "
                + "end of a part) and '.'"
        ),
        ("port.snapshots = 7702", "port.snapshots", "is the same as another port"),
    ])
    func badValuesNameFileLineAndKey(line: String, key: String, reason: String) throws {
        let config = try Self.parse("# settings\n\(line)\n")
        #expect(throws: ProvisioningError.configInvalid(path: Self.path, line: 2, key: key, reason: reason)) {
            try config.validate()
        }
    }

    @Test func missingKeysWithoutDefaultsAreNamed() throws {
        let config = try Self.parse("")
        #expect(config.keys.isEmpty)
        #expect(
            throws: ProvisioningError.configInvalid(path: Self.path, line: nil, key: "fedbuff.k", reason: "is not set")
        ) {
            try config.integer("fedbuff.k", in: 1...100)
        }
        #expect(try config.integer("fedbuff.k", in: 1...100, default: 5) == 5)
        var editable = FederationConfig(path: Self.path)
        #expect(throws: ProvisioningError.self) { try editable.set("k", "a\nb") }
        #expect(editable.keys.isEmpty)
    }

    @Test func endpointURLsParse() throws {
        let name = try FederationEndpoints.parse("tcp://agg.example.org:7701").get()
        #expect(name.host == "agg.example.org" && name.port == 7701)
        let ipv6 = try FederationEndpoints.parse("tcp://[::1]:7702").get()
        #expect(ipv6.host == "::1" && ipv6.port == 7702)
        #expect(FederationEndpoints.url(host: "fe80::1", port: 9) == "tcp://[fe80::1]:9")
        for bad in ["udp://a:1", "tcp://a", "tcp://a:0", "tcp://a:99999", "tcp://[::1]7701", "tcp://:7701"] {
            if case .success = FederationEndpoints.parse(bad) { Issue.record("\(bad) parsed") }
        }
    }
}
