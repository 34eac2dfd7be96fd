import ArgumentParser
import Foundation
import GrowdaProvisioning
import GrowdaTestKit
import Testing

@testable import GrowdaCLI

@Suite struct ProvisioningCommandTests {
    /// Parses `arguments` as `growda …` and runs the command.
    static func run(_ arguments: [String]) async throws {
        try await DataCommandTests.run(arguments)
    }

    @Test func initAddListRevokeEndToEnd() async throws {
        let temporary = try TemporaryDirectory(prefix: "growda-cli-provisioning")
        let fed = temporary.path("fed")
        try await Self.run(["federation", "init", "--dir", fed, "--endpoint-host", "agg.example.org", "--json"])
        #expect(FileManager.default.fileExists(atPath: fed + "/keys/aggregator-signing.key"))

        for name in ["st-marys", "kings", "royal-free"] {
            try await Self.run(["node", "add", name, "--federation", fed, "--out", temporary.path("\(name).bundle")])
        }
        let bundle = try NodeBundle.read(path: temporary.path("kings.bundle"))
        #expect(bundle.nodeID == 2)
        #expect(bundle.endpoints.models == "tcp://agg.example.org:7702")

        try await Self.run(["node", "revoke", "kings", "--federation", fed])
        try await Self.run(["node", "list", "--federation", fed, "--json"])
        let registry = try Federation.load(directory: fed).registry
        #expect(registry.nodes.map(\.name) == ["st-marys", "kings", "royal-free"])
        #expect(registry.nodes.map(\.isActive) == [true, false, true])
        #expect(!FileManager.default.fileExists(atPath: fed + "/nodes/2.key"))

        // Errors say what is wrong.
        await #expect {
            try await Self.run(["federation", "init", "--dir", fed])
        } throws: { error in
            "\(error)".contains("already holds a federation")
        }
        await #expect {
            try await Self.run(["node", "add", "x", "--federation", fed, "--out", temporary.path("kings.bundle")])
        } throws: { error in
            "\(error)".contains("already exists") && "\(error)".contains("--force")
        }
        try await Self.run([
            "node", "add", "x", "--federation", fed, "--out", temporary.path("kings.bundle"), "--force", "--json",
        ])
        #expect(try NodeBundle.read(path: temporary.path("kings.bundle")).nodeID == 4)
        await #expect {
            try await Self.run(["node", "revoke", "kings", "--federation", fed])
        } throws: { error in
            "\(error)".contains("already revoked")
        }
        await #expect {
            try await Self.run(["node", "list", "--federation", temporary.path("nowhere")])
        } throws: { error in
            "\(error)".contains("growda federation init --dir")
        }
    }

    @Test func badArgumentsAreRefusedWhileParsing() {
        #expect(DataCommandTests.parseError(["federation", "init"])?.contains("--dir") == true)
        #expect(
            DataCommandTests.parseError(["federation", "init", "--dir", "d", "--endpoint-host", "a b"])?
                .hasPrefix("--endpoint-host: \"a b\" is not a usable host") == true)
        #expect(
            DataCommandTests.parseError(["node", "add", "st marys", "--federation", "d", "--out", "f"])?
                .contains("is not a valid node name: it holds ' '") == true)
        #expect(DataCommandTests.parseError(["node", "add", "a", "--out", "f"])?.contains("--federation") == true)
        #expect(DataCommandTests.parseError(["node", "add", "a", "--federation", "d"])?.contains("--out") == true)
        #expect(DataCommandTests.parseError(["node", "list", "--federation", "d", "--json"]) == nil)
        #expect(DataCommandTests.parseError(["node", "revoke", "a", "--federation", "d"]) == nil)
    }

    @Test func reportsShowFingerprintsAndTheNextStepButNoKeyBytes() throws {
        let temporary = try TemporaryDirectory(prefix: "growda-cli-provisioning")
        var federation = try Federation.create(directory: temporary.path("fed"), endpointHost: "agg.example.org")
        let path = temporary.path("st-marys.bundle")
        let added = try federation.addNode(name: "st-marys", bundlePath: path)
        let report = NodeCommand.Add.Report(added)
        let initSummary = try FederationCommand.Init.Summary(federation)
        let encoder = JSONEncoder()
        let texts = [
            report.text(), String(decoding: try encoder.encode(report), as: UTF8.self),
            initSummary.text(), String(decoding: try encoder.encode(initSummary), as: UTF8.self),
            NodeCommand.List.table(federation.registry.nodes.map(NodeCommand.List.Row.init)),
        ]
        let secrets = try [added.bundle.nodeKey, federation.modelKey(), federation.adminKey()].map { key in
            key.withUnsafeBytes { Data($0).base64EncodedString() }
        }
        for text in texts {
            for secret in secrets { #expect(!text.contains(secret)) }
        }
        #expect(report.text().contains(added.record.keyFingerprint))
        #expect(
            report.next_step
                == "copy \(path) to the hospital over a secure channel; run growda-node run --bundle \(path) --data DIR"
        )
        #expect(initSummary.model_key_fingerprint == (try federation.modelKey().fingerprint))
        #expect(initSummary.text().contains("tcp://agg.example.org:7701 (updates)"))
        #expect(initSummary.text().contains("set bind.host = 0.0.0.0"))
    }

    @Test func listIsAnAlignedTable() throws {
        let rows = [
            NodeRecord(
                id: 1, name: "st-marys", keyFingerprint: "0123456789abcdef", added: Date(timeIntervalSince1970: 0)),
            NodeRecord(
                id: 12, name: "kings", keyFingerprint: "fedcba9876543210", added: Date(timeIntervalSince1970: 60),
                revoked: Date(timeIntervalSince1970: 120)),
        ].map(NodeCommand.List.Row.init)
        #expect(
            NodeCommand.List.table(rows) == """
                id  name      fingerprint       added                 state
                 1  st-marys  0123456789abcdef  1970-01-01T00:00:00Z  active
                12  kings     fedcba9876543210  1970-01-01T00:01:00Z  revoked 1970-01-01T00:02:00Z
                """)
        #expect(NodeCommand.List.table([]).hasPrefix("no nodes yet"))
        #expect(rows[1].state == "revoked" && rows[0].revoked == nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(
            String(decoding: try encoder.encode(rows[0]), as: UTF8.self)
                == #"{"added":"1970-01-01T00:00:00Z","id":1,"key_fingerprint":"0123456789abcdef","#
                + #""name":"st-marys","revoked":null,"state":"active"}"#)
    }
}
