import Foundation
import GrowdaAggregation
import GrowdaAggregator
import GrowdaNN
import GrowdaProvisioning
import GrowdaTestKit
import Testing

/// Reading `federation.conf` as `growda serve` does: one registry of every key, unknown keys refused.
@Suite struct AggregatorConfigurationTests {
    /// A federation made as `growda federation init` makes it, in a temporary folder.
    static func federation(_ temporary: TemporaryDirectory) throws -> Federation {
        try Federation.create(directory: temporary.path("fed"), documenting: AggregatorConfiguration.knownKeys)
    }

    /// The federation's configuration file with `lines` appended.
    static func appending(_ lines: [String], to federation: Federation) throws -> (FederationConfig, firstLine: Int) {
        let text = try String(contentsOfFile: federation.configPath, encoding: .utf8)
        let firstLine = text.split(separator: "\n", omittingEmptySubsequences: false).count
        let config = try FederationConfig.parse(
            text + lines.joined(separator: "\n") + "\n", path: federation.configPath)
        return (config, firstLine)
    }

    /// The problems reading `config` reports, or nil when it reads.
    static func problems(_ config: FederationConfig, _ federation: Federation) -> [String]? {
        do {
            _ = try AggregatorConfiguration(config: config, federationDirectory: federation.directory)
            return nil
        } catch AggregatorError.configurationProblems(let path, let problems) {
            #expect(path == config.path)
            return problems
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func misspeltKeysAreRefusedWithTheirLineAndTheNearestKey() throws {
        let temporary = try TemporaryDirectory(prefix: "growda-config")
        let federation = try Self.federation(temporary)
        let (config, first) = try Self.appending(
            ["model.clases = bacterial,normal,viral", "modle.name = xray128", "fedbuff.kk = 2"], to: federation)
        let path = federation.configPath
        #expect(
            Self.problems(config, federation) == [
                "\(path) line \(first): unknown key \"model.clases\" (did you mean \"model.classes\"?)",
                "\(path) line \(first + 1): unknown key \"modle.name\" (did you mean \"model.name\"?)",
                "\(path) line \(first + 2): unknown key \"fedbuff.kk\" (did you mean \"fedbuff.k\"?)",
            ])
        // What `growda serve` and `growda simulate` read: the federation from disk.
        try config.write(path: path, overwrite: true)
        let error = #expect(throws: AggregatorError.self) {
            try AggregatorConfiguration(federation: try Federation.load(directory: federation.directory))
        }
        let description = error.map { "\($0)" } ?? ""
        #expect(description.hasPrefix("configuration: 3 problems in \(path); fix them"))
        #expect(description.contains("\n  \(path) line \(first + 1): unknown key \"modle.name\""))
    }

    @Test func everyBadValueIsNamedAtOnce() throws {
        let temporary = try TemporaryDirectory(prefix: "growda-config")
        let federation = try Self.federation(temporary)
        let (config, n) = try Self.appending(
            [
                "model.name = big28", "model.classes = normal", "fedbuff.k = 0", "sync.quorum = 2", "port.updates = 0",
                "queue.capacity = lots", "liveness.lost_after_seconds = -1", "eval.dir =",
            ], to: federation)
        let path = federation.configPath
        let models =
            "small28 (input 1×28×28), xray128 (input 1×128×128), ecg187 (input 1×187), ecg187rr (input 2×187), resnet128 (input 1×128×128)"
        #expect(
            Self.problems(config, federation) == [
                "\(path) line \(n): model.name = big28 is not valid; allowed: \(models)",
                "\(path) line \(n + 1): model.classes = normal is not valid; allowed: two or more distinct names, "
                    + "separated by commas",
                "\(path) line \(n + 2): fedbuff.k = 0 is out of range; allowed: an integer ≥ 1",
                "\(path) line \(n + 3): sync.quorum = 2 is out of range; allowed: a number in (0, 1]",
                "\(path) line \(n + 4): port.updates must be from 1 to 65535, got 0",
                "\(path) line \(n + 5): queue.capacity = lots is not valid; allowed: 1 to 1000000",
                "\(path) line \(n + 6): liveness.lost_after_seconds = -1 is not valid; allowed: a number of seconds "
                    + "> 0, at most 86400",
                "\(path) line \(n + 7): eval.dir is empty; give a path, or comment the line out (# eval.dir = …) to "
                    + "leave it unset",
            ])
        let (clash, m) = try Self.appending(["port.status = 7702"], to: federation)
        #expect(Self.problems(clash, federation) == ["\(path) line \(m): port.status is the same as another port"])
    }

    @Test func theInitialFileReadsAsTheDefaults() throws {
        let temporary = try TemporaryDirectory(prefix: "growda-config")
        let federation = try Self.federation(temporary)
        let read = try AggregatorConfiguration(federation: federation)
        let empty = try AggregatorConfiguration(
            config: FederationConfig(path: federation.configPath), federationDirectory: federation.directory)
        #expect(read == empty)
        #expect(read.model == ModelSpec.reference("small28", classes: ["normal", "pneumonia"]))
        #expect(read.aggregation == AggregationConfig())
        #expect(read.modelSeed == 1 && read.initialCheckpoint == nil && read.evalPath == nil)
        let ports: [Int] = [read.updatesPort, read.modelsPort, read.snapshotsPort, read.statusPort]
        #expect(ports == [7701, 7702, 7703, 7704])
        #expect(read.bindHost == "127.0.0.1" && read.statusHost == "127.0.0.1")
        #expect(read.statePath == federation.directory + "/state")
        #expect(read.lostAfter == .seconds(15) && read.maxUpdateNorm == 1000 && read.queueCapacity == 64)
        #expect(read.maxMessageBytes == 64 << 20 && read.queueBytes == 512 << 20 && read.admissionBytes == 128 << 20)

        // Every commented-out `# key = default` line, uncommented, is the default it claims to be.
        let text = try String(contentsOfFile: federation.configPath, encoding: .utf8)
        var uncommented = text
        for key in AggregatorConfiguration.knownKeys {
            guard let value = key.defaultValue else { continue }
            let line = "\n# \(key.name) = \(value)\n"
            #expect(uncommented.contains(line) || key.name.hasSuffix(".host"), "\(key.name)")
            uncommented = uncommented.replacingOccurrences(of: line, with: "\n\(key.name) = \(value)\n")
        }
        let everySet = try FederationConfig.parse(uncommented, path: federation.configPath)
        #expect(everySet.keys.count == AggregatorConfiguration.knownKeys.filter { $0.defaultValue != nil }.count)
        #expect(
            try AggregatorConfiguration(config: everySet, federationDirectory: federation.directory) == read)
    }

    @Test func initDocumentsEveryKeyOfTheRegistryAndNoOther() throws {
        let temporary = try TemporaryDirectory(prefix: "growda-config")
        let federation = try Self.federation(temporary)
        let lines = try String(contentsOfFile: federation.configPath, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let registry = AggregatorConfiguration.knownKeys
        #expect(Set(registry.map(\.name)).count == registry.count)
        // The registry gathers every module's keys.
        for name in AggregationConfig.settingKeys + FederationConfig.knownKeys.map(\.name) + [
            "model.name", "model.classes", "port.status", "state.dir", "eval.dir",
        ] {
            #expect(registry.contains { $0.name == name }, "\(name) is not in the registry")
        }
        var documented: [String] = []
        for (index, line) in lines.enumerated() {
            let entry = line.hasPrefix("# ") ? String(line.dropFirst(2)) : line
            guard let equals = entry.range(of: " = ") ?? entry.range(of: " =", options: .backwards),
                entry[..<equals.lowerBound].allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) })
            else { continue }
            let name = String(entry[..<equals.lowerBound])
            let key = try #require(registry.first { $0.name == name }, "\(name) is written but not in the registry")
            documented.append(name)
            let comments = lines[..<index].reversed().prefix { $0.hasPrefix("# ") }.reversed().map { $0.dropFirst(2) }
            let above = comments.joined(separator: " ")
            #expect(!key.meaning.isEmpty && above.hasPrefix(key.meaning.prefix(40)), "\(name): \(above)")
            #expect(above.contains("Allowed: \(key.allowed)."), "\(name): \(above)")
            #expect(above.contains(key.defaultValue.map { "Default: \($0)." } ?? "Not set by default."), "\(name)")
        }
        #expect(documented == registry.map(\.name))
        #expect(lines.contains("# model.name = small28") && lines.contains("# model.classes = normal,pneumonia"))
        let classes = try #require(registry.first { $0.name == "model.classes" })
        #expect(classes.meaning.contains("in label order") && classes.meaning.contains("bacterial,normal,viral"))
        #expect(
            registry.first { $0.name == "model.name" }?.allowed.hasPrefix("small28 (input 1×28×28), xray128") == true)
        #expect(lines.allSatisfy { $0.count <= 100 })
    }

    @Test func aLocalFederationSetsItsKeysInPlaceOfTheirCommentedLines() throws {
        let temporary = try TemporaryDirectory(prefix: "growda-config")
        let federation = try Federation.createLocal(
            directory: temporary.path("fed"), model: "small28", classes: ["a", "b", "c"],
            settings: [.init("fedbuff.k", "2"), .init("eval.dir", "/srv/eval")], nodes: ["h1"],
            bundles: temporary.path("bundles")
        ).federation
        let text = try String(contentsOfFile: federation.configPath, encoding: .utf8)
        for key in ["model.name", "model.classes", "fedbuff.k", "eval.dir", "port.updates", "port.status"] {
            #expect(!text.contains("# \(key) ="), "\(key) is still commented out")
            #expect(text.components(separatedBy: "\n\(key) = ").count == 2, "\(key) is not set once")
        }
        let configuration = try AggregatorConfiguration(federation: federation)
        #expect(configuration.model.classes == ["a", "b", "c"] && configuration.evalPath == "/srv/eval")
        #expect(configuration.aggregation.mode == .async(bufferSize: 2, maxStaleness: 8))
    }
}
