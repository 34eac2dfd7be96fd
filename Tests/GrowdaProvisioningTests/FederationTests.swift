import Foundation
import GrowdaCrypto
import GrowdaProvisioning
import GrowdaTestKit
import Testing

@Suite("Federation folder")
struct FederationTests {
    @Test func initMakesEveryFilePrivateAndEveryFolder0700() throws {
        let (temporary, federation) = try makeFederation()
        defer { withExtendedLifetime(temporary) {} }
        let directory = temporary.path("fed")
        #expect(federation.directory == directory)
        #expect(
            try entries(under: directory) == [
                "federation.conf", "keys", "keys/admin.key", "keys/aggregator-signing.key",
                "keys/aggregator-verify.key", "keys/console.token", "keys/model.key", "nodes", "nodes/.lock", "nodes/registry.json",
            ])
        #expect(try permissions(directory) == 0o700)
        for entry in try entries(under: directory) {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: directory + "/" + entry, isDirectory: &isDirectory)
            #expect(try permissions(directory + "/" + entry) == (isDirectory.boolValue ? 0o700 : 0o600), "\(entry)")
        }
        #expect(try String(contentsOfFile: federation.registryPath, encoding: .utf8) == "[\n\n]\n")
    }

    @Test func initWritesKeysThatBelongTogether() throws {
        let (temporary, federation) = try makeFederation()
        defer { withExtendedLifetime(temporary) {} }
        let signing = try federation.signingKey()
        #expect(try federation.verifyKey() == signing.verifyKey)
        #expect(try federation.modelKey() != federation.adminKey())
        #expect(try KeyFile.read(SecretBoxKey.self, path: federation.modelKeyPath) == federation.modelKey())
    }

    @Test func initWritesACommentedConfigThatParsesWithTheDefaults() throws {
        let (temporary, federation) = try makeFederation(endpointHost: "agg.example.org")
        defer { withExtendedLifetime(temporary) {} }
        let config = try FederationConfig.load(path: federation.configPath)
        #expect(config == federation.config)
        #expect(config.keys == [FederationConfig.Key.endpointHost, FederationConfig.Key.bindHost])
        #expect(config.unknownKeys(known: FederationConfig.knownKeys.map(\.name)).isEmpty)
        #expect(try config.endpointHost() == "agg.example.org")
        #expect(try config.bindHost() == "127.0.0.1")
        #expect(try config.ports() == (7701, 7702, 7703))
        #expect(try config.maxMessageBytes() == 64 << 20)
        #expect(
            try config.nodeEndpoints()
                == FederationEndpoints(
                    updates: "tcp://agg.example.org:7701",
                    models: "tcp://agg.example.org:7702",
                    snapshots: "tcp://agg.example.org:7703"
                ))
        #expect(try config.bindEndpoints().snapshots == "tcp://127.0.0.1:7703")
        let text = try String(contentsOfFile: federation.configPath, encoding: .utf8)
        #expect(text.contains("endpoint.host = agg.example.org\n"))
        #expect(text.contains("\n# port.updates = 7701\n"))
        #expect(text.contains("0.0.0.0"))
        // Every setting has a comment line right above it.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() where !line.hasPrefix("#") && line.contains(" = ") {
            #expect(index > 0 && lines[index - 1].hasPrefix("# "), "\(line) has no comment")
        }
    }

    @Test func initTwiceIsRefusedAndChangesNothing() throws {
        let (temporary, federation) = try makeFederation()
        defer { withExtendedLifetime(temporary) {} }
        let before = try contents(federation.modelKeyPath)
        let error = provisioningError { () throws(ProvisioningError) in
            _ = try Federation.create(directory: temporary.path("fed") + "/")
        }
        #expect(error == .federationExists(directory: temporary.path("fed"), found: "federation.conf"))
        #expect(error?.description.contains("already holds a federation") == true)
        #expect(try contents(federation.modelKeyPath) == before)
    }

    @Test func initRefusesAPartialFederationAndAcceptsAnEmptyFolder() throws {
        let temporary = try TemporaryDirectory(prefix: "growda-provisioning")
        let partial = temporary.path("partial")
        try FileManager.default.createDirectory(atPath: partial + "/keys", withIntermediateDirectories: true)
        #expect(
            provisioningError { () throws(ProvisioningError) in _ = try Federation.create(directory: partial) }
                == .federationExists(directory: partial, found: "keys"))

        let empty = temporary.path("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        try setPermissions(empty, 0o755)
        _ = try Federation.create(directory: empty)
        #expect(try permissions(empty) == 0o700)

        let nested = temporary.path("a/b/c")
        _ = try Federation.create(directory: nested)
        #expect(try permissions(nested) == 0o700)
    }

    @Test func badHostsAreRefusedBeforeAnythingIsWritten() throws {
        let temporary = try TemporaryDirectory(prefix: "growda-provisioning")
        let directory = temporary.path("fed")
        for host in ["", "agg example", "-agg.org", "agg..org", "tcp://agg", "::g"] {
            let error = provisioningError { () throws(ProvisioningError) in
                _ = try Federation.create(directory: directory, endpointHost: host)
            }
            guard case .invalidHost = error else {
                Issue.record("\(host): \(String(describing: error))")
                continue
            }
        }
        #expect(!FileManager.default.fileExists(atPath: directory))
        _ = try Federation.create(directory: directory, endpointHost: "[::1]", bindHost: "0.0.0.0")
        let config = try Federation.load(directory: directory).config
        #expect(try config.nodeEndpoints().updates == "tcp://[::1]:7701")
        #expect(try config.bindEndpoints().models == "tcp://0.0.0.0:7702")
    }

    @Test func loadingAFolderWithoutAFederationSaysWhatToDo() throws {
        let temporary = try TemporaryDirectory(prefix: "growda-provisioning")
        let error = provisioningError { () throws(ProvisioningError) in
            _ = try Federation.load(directory: temporary.url.path)
        }
        #expect(error == .notAFederation(directory: temporary.url.path))
        #expect(error?.description.contains("growda federation init --dir") == true)
    }

    @Test func loadingChecksTheConfiguration() throws {
        let (temporary, federation) = try makeFederation()
        defer { withExtendedLifetime(temporary) {} }
        var config = federation.config
        try config.set("port.models", "7701")
        try config.write(path: federation.configPath, overwrite: true)
        let error = provisioningError { () throws(ProvisioningError) in
            _ = try Federation.load(directory: temporary.path("fed"))
        }
        let text = try String(contentsOfFile: federation.configPath, encoding: .utf8)
        let line = try #require(
            text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("port.models") })
        #expect(
            error
                == .configInvalid(
                    path: federation.configPath, line: line + 1, key: "port.models",
                    reason: "is the same as port.updates"))
    }
}
