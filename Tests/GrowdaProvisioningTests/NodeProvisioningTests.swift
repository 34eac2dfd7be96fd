import Dispatch
import Foundation
import GrowdaCrypto
import GrowdaProvisioning
import GrowdaTestKit
import Testing

@Suite("Adding and revoking nodes")
struct NodeProvisioningTests {
    @Test func addingThe12thHospitalTouchesNoneOfTheOther11() throws {
        var (temporary, federation) = try makeFederation()
        defer { withExtendedLifetime(temporary) {} }
        let bundles = temporary.path("bundles")
        try FileManager.default.createDirectory(atPath: bundles, withIntermediateDirectories: false)
        var records: [NodeRecord] = []
        for index in 1...11 {
            records.append(
                try federation.addNode(name: "hospital-\(index)", bundlePath: "\(bundles)/\(index).bundle").record)
        }
        let bundlePaths = (1...11).map { "\(bundles)/\($0).bundle" }
        let keyPaths = records.map { federation.nodeKeyPath(id: $0.id) }
        let before = try (bundlePaths + keyPaths).map(contents)

        let twelfth = try federation.addNode(name: "hospital-12", bundlePath: "\(bundles)/12.bundle")

        #expect(try (bundlePaths + keyPaths).map(contents) == before)
        #expect(records.map(\.id) == Array(1...11))
        #expect(twelfth.record.id == 12)
        #expect(Set(federation.registry.nodes.map(\.keyFingerprint)).count == 12)
        #expect(try entries(under: bundles).count == 12)
    }

    @Test func aBundleHoldsWhatTheNodeNeedsAndMatchesTheAggregatorsCopy() throws {
        var (temporary, federation) = try makeFederation(endpointHost: "agg.example.org")
        defer { withExtendedLifetime(temporary) {} }
        let path = temporary.path("st-marys.bundle")
        let added = try federation.addNode(name: "st-marys", bundlePath: path)
        #expect(try permissions(path) == 0o600)
        let bundle = try NodeBundle.read(path: path)
        #expect(bundle == added.bundle)
        #expect(bundle.nodeID == 1)
        #expect(bundle.nodeName == "st-marys")
        #expect(bundle.nodeKey == (try federation.nodeKey(id: 1)))
        #expect(bundle.nodeKey.fingerprint == added.record.keyFingerprint)
        #expect(bundle.modelKey == (try federation.modelKey()))
        #expect(bundle.aggregatorVerifyKey == (try federation.signingKey().verifyKey))
        #expect(bundle.endpoints == (try federation.config.nodeEndpoints()))
        #expect(try permissions(federation.nodeKeyPath(id: 1)) == 0o600)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("# Growda node bundle for \"st-marys\" (node 1). Secret: keep this file mode 0600.\n"))
        #expect(text.contains("\nset endpoint.snapshots tcp://agg.example.org:7703\n"))
        // Printing the bundle shows fingerprints, never the key.
        let keyBase64 = bundle.nodeKey.withUnsafeBytes { Data($0).base64EncodedString() }
        #expect(text.contains(keyBase64))
        #expect(!"\(bundle)".contains(keyBase64))
        #expect("\(bundle)".contains(bundle.nodeKey.fingerprint))
    }

    @Test func revokingMarksTheEntryAndRemovesTheKeyAndTheIdIsNeverReused() throws {
        var (temporary, federation) = try makeFederation()
        defer { withExtendedLifetime(temporary) {} }
        try federation.addNode(name: "a", bundlePath: temporary.path("a1"))
        try federation.addNode(name: "b", bundlePath: temporary.path("b"))
        let bBundle = try contents(temporary.path("b"))
        let aKey = try federation.nodeKey(id: 1)
        let modelKeyBefore = try federation.modelKey()
        let revokedAt = Date(timeIntervalSince1970: 1_800_000_000.7)
        let revoked = try federation.revokeNode(name: "a", now: revokedAt)
        #expect(revoked.id == 1 && revoked.revoked == Date(timeIntervalSince1970: 1_800_000_000))
        #expect(!FileManager.default.fileExists(atPath: federation.nodeKeyPath(id: 1)))
        #expect(FileManager.default.fileExists(atPath: federation.nodeKeyPath(id: 2)))
        // The model key is rotated (mode 0600); the revoked node's key is kept apart, only to tell it.
        #expect(try federation.modelKey() != modelKeyBefore)
        #expect(try FileManager.default.attributesOfItem(atPath: federation.modelKeyPath)[.posixPermissions] as? Int == 0o600)
        #expect(try federation.revokedNodeKey(id: 1) == aKey)
        #expect(try federation.revokedNodeKey(id: 2) == nil)
        let reloaded = try Federation.load(directory: federation.directory)
        #expect(reloaded.registry.nodes.map(\.isActive) == [false, true])
        #expect(
            provisioningError { () throws(ProvisioningError) in _ = try reloaded.nodeKey(id: 1) }
                == .crypto(.fileSystemFailure(call: "open", path: federation.nodeKeyPath(id: 1), errno: ENOENT)))

        // Revoking twice, or an unknown name, is a clear error.
        var again = reloaded
        #expect(
            provisioningError { () throws(ProvisioningError) in try again.revokeNode(name: "a") }
                == .nodeAlreadyRevoked(name: "a", id: 1, revoked: "2027-01-15T08:00:00Z"))
        #expect(
            provisioningError { () throws(ProvisioningError) in try again.revokeNode(name: "zed") }
                == .unknownNode(name: "zed"))

        // The name is free again; the node comes back under a new id with a new key.
        let readded = try again.addNode(name: "a", bundlePath: temporary.path("a2"))
        #expect(readded.record.id == 3)
        #expect(readded.record.keyFingerprint != revoked.keyFingerprint)
        #expect(again.registry.nodes.map(\.id) == [1, 2, 3])
        #expect(again.registry.activeNodes.map(\.name) == ["b", "a"])
        #expect(try contents(temporary.path("b")) == bBundle)
    }

    @Test func theRegistryHoldsTheDocumentedFieldsAndNoKeyBytes() throws {
        var (temporary, federation) = try makeFederation()
        defer { withExtendedLifetime(temporary) {} }
        let added = try federation.addNode(
            name: "st-marys", bundlePath: temporary.path("s"), now: Date(timeIntervalSince1970: 1_800_000_000))
        try federation.revokeNode(name: "st-marys", now: Date(timeIntervalSince1970: 1_800_000_060))
        try federation.addNode(
            name: "st-marys", bundlePath: temporary.path("t"), now: Date(timeIntervalSince1970: 1_800_000_120))
        let data = try contents(federation.registryPath)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(json.count == 2)
        #expect(json[0]["id"] as? Int == 1)
        #expect(json[0]["name"] as? String == "st-marys")
        #expect(json[0]["key_fingerprint"] as? String == added.record.keyFingerprint)
        #expect(json[0]["added"] as? String == "2027-01-15T08:00:00Z")
        #expect(json[0]["revoked"] as? String == "2027-01-15T08:01:00Z")
        #expect(json[1]["revoked"] is NSNull)
        #expect(Set(json[1].keys) == ["id", "name", "key_fingerprint", "added", "revoked"])
        let text = String(decoding: data, as: UTF8.self)
        let keyBase64 = added.bundle.nodeKey.withUnsafeBytes { Data($0).base64EncodedString() }
        #expect(!text.contains(keyBase64))
        #expect(try permissions(federation.registryPath) == 0o600)
    }

    @Test func concurrentAddsGetDistinctIds() throws {
        let (temporary, federation) = try makeFederation()
        defer { withExtendedLifetime(temporary) {} }
        let count = 8
        let failures = LockedList()
        DispatchQueue.concurrentPerform(iterations: count) { index in
            do throws(ProvisioningError) {
                var mine = try Federation.load(directory: federation.directory)
                try mine.addNode(name: "node-\(index)", bundlePath: temporary.path("n\(index)"))
            } catch {
                failures.append("\(error)")
            }
        }
        #expect(failures.values.isEmpty)
        let registry = try Federation.load(directory: federation.directory).registry
        #expect(registry.nodes.map(\.id) == Array(1...UInt32(count)))
        #expect(Set(registry.nodes.map(\.name)).count == count)
        for node in registry.nodes {
            let index = try #require(Int(node.name.dropFirst("node-".count)))
            #expect(try NodeBundle.read(path: temporary.path("n\(index)")).nodeID == node.id)
        }
    }

    @Test func aBundleReadableByOthersIsRefusedWithTheFix() throws {
        var (temporary, federation) = try makeFederation()
        defer { withExtendedLifetime(temporary) {} }
        let path = temporary.path("st-marys.bundle")
        try federation.addNode(name: "st-marys", bundlePath: path)
        try setPermissions(path, 0o644)
        let error = provisioningError { () throws(ProvisioningError) in _ = try NodeBundle.read(path: path) }
        #expect(error == .crypto(.keyFileInsecurePermissions(path: path, mode: 0o644)))
        #expect(error?.description.contains("mode 0644") == true)
        #expect(error?.description.contains("chmod 600 \(path)") == true)
    }

    @Test func anExistingOutputIsKeptUnlessOverwriteIsAsked() throws {
        var (temporary, federation) = try makeFederation()
        defer { withExtendedLifetime(temporary) {} }
        let path = temporary.path("taken")
        try Data("mine".utf8).write(to: URL(fileURLWithPath: path))
        #expect(
            provisioningError { () throws(ProvisioningError) in try federation.addNode(name: "a", bundlePath: path) }
                == .bundleExists(path: path))
        #expect(try contents(path) == Data("mine".utf8))
        #expect(federation.registry.nodes.isEmpty)
        #expect(try entries(under: federation.nodesDirectory) == [".lock", "registry.json"])
        try federation.addNode(name: "a", bundlePath: path, overwrite: true)
        #expect(try NodeBundle.read(path: path).nodeName == "a")
    }

    @Test(arguments: [
        ("", "it is empty"),
        ("st marys", "it holds ' '"),
        ("st/marys", "it holds '/'"),
        ("saint-mary’s", "it holds '\\u{2019}'"),
        (String(repeating: "x", count: 65), "it has 65 characters, more than 64"),
    ])
    func nodeNamesAreValidated(name: String, reason: String) throws {
        var (temporary, federation) = try makeFederation()
        defer { withExtendedLifetime(temporary) {} }
        #expect(
            provisioningError { () throws(ProvisioningError) in
                try federation.addNode(name: name, bundlePath: temporary.path("b"))
            } == .invalidNodeName(name: name, reason: reason))
        #expect(!FileManager.default.fileExists(atPath: temporary.path("b")))
    }

    @Test func activeNamesAreUnique() throws {
        var (temporary, federation) = try makeFederation()
        defer { withExtendedLifetime(temporary) {} }
        try federation.addNode(name: "A.b_c-9", bundlePath: temporary.path("1"))
        try federation.addNode(name: String(repeating: "x", count: 64), bundlePath: temporary.path("2"))
        #expect(
            provisioningError { () throws(ProvisioningError) in
                try federation.addNode(name: "A.b_c-9", bundlePath: temporary.path("3"))
            } == .nodeNameTaken(name: "A.b_c-9", id: 1))
        #expect(!FileManager.default.fileExists(atPath: temporary.path("3")))
    }

    @Test func badBundleValuesAreRefused() throws {
        var (temporary, federation) = try makeFederation()
        defer { withExtendedLifetime(temporary) {} }
        let path = temporary.path("b")
        try federation.addNode(name: "a", bundlePath: path)
        for (from, to, reason) in [
            ("set node-id 1\n", "set node-id 0\n", "node-id must be a number from 1 to 4294967294"),
            (
                "set endpoint.models tcp://agg.example.org:7702\n", "set endpoint.models udp://x:1\n",
                "endpoint.models \"udp://x:1\": expected tcp://HOST:PORT"
            ),
        ] {
            let original = try String(contentsOfFile: path, encoding: .utf8)
            let edited = temporary.path("edited")
            try? FileManager.default.removeItem(atPath: edited)
            try Data(original.replacingOccurrences(of: from, with: to).utf8).write(to: URL(fileURLWithPath: edited))
            try setPermissions(edited, 0o600)
            #expect(
                provisioningError { () throws(ProvisioningError) in _ = try NodeBundle.read(path: edited) }
                    == .bundleInvalid(path: edited, reason: reason))
        }
    }
}

/// Strings appended from several threads.
final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []

    func append(_ item: String) { lock.withLock { items.append(item) } }

    var values: [String] { lock.withLock { items } }
}
