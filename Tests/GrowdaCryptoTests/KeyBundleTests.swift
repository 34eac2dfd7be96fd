import Foundation
import Testing

@testable import GrowdaCrypto

@Suite("Key bundles")
struct KeyBundleTests {
    static let layout = KeyBundle.Layout(
        kind: "node",
        fields: ["node-id", "node-name", "endpoint.updates"],
        keys: [
            .init(role: "node", kind: .secretBox),
            .init(role: "model", kind: .secretBox),
            .init(role: "aggregator", kind: .verify),
        ]
    )

    /// The key with bytes 0, 1, …, 31, whose base64 is `AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=`.
    static let countingKeyBase64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

    /// A bundle of ``layout`` with fresh keys.
    static func sample() throws -> (bundle: KeyBundle, node: SecretBoxKey, model: SecretBoxKey, signing: SigningKey) {
        let node = try SecretBoxKey.generate()
        let model = try SecretBoxKey.generate()
        let signing = try SigningKey.generate()
        var bundle = KeyBundle(layout: layout)
        try bundle.setField("node-id", "3")
        try bundle.setField("node-name", "st-marys")
        try bundle.setField("endpoint.updates", "tcp://agg.example.org:7701")
        try bundle.setKey(node, role: "node")
        try bundle.setKey(model, role: "model")
        try bundle.setKey(signing.verifyKey, role: "aggregator")
        return (bundle, node, model, signing)
    }

    @Test func roundTripsWithMode0600() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (bundle, node, model, signing) = try Self.sample()
        let path = directory.file("st-marys.bundle")
        try bundle.write(path: path, comments: ["Growda node bundle for \"st-marys\" (node 3)."])
        #expect(try permissions(path) == 0o600)
        let read = try KeyBundle.read(path: path, layout: Self.layout)
        #expect(read.secretBoxKey("node") == node)
        #expect(read.secretBoxKey("model") == model)
        #expect(read.verifyKey("aggregator") == signing.verifyKey)
        #expect(
            read.fields == ["node-id": "3", "node-name": "st-marys", "endpoint.updates": "tcp://agg.example.org:7701"])
        #expect(read.secretBoxKey("aggregator") == nil)
        #expect(read.signingKey("node") == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["st-marys.bundle"])
    }

    @Test func writesTheDocumentedShape() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let counting = try SecretBoxKey(bytes: (0..<32).map { UInt8($0) })
        var bundle = try Self.sample().bundle
        try bundle.setKey(counting, role: "model")
        let path = directory.file("b")
        try bundle.write(path: path, comments: ["first", "second"])
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == 9)
        #expect(
            Array(lines[0..<6]) == [
                "# first", "# second", "growda-bundle v1 node", "set node-id 3", "set node-name st-marys",
                "set endpoint.updates tcp://agg.example.org:7701",
            ])
        #expect(lines[6].hasPrefix("key node growda-secretbox-key v1 "))
        #expect(lines[7] == "key model growda-secretbox-key v1 \(Self.countingKeyBase64)")
        #expect(lines[8].hasPrefix("key aggregator growda-verify-key v1 "))
    }

    @Test func handWrittenBundlesInAnyOrderWithCommentsAndCRLFAreRead() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("b")
        try write(
            Self.text(order: [5, 4, 3, 2, 1, 0]).replacingOccurrences(of: "\n", with: " \r\n# note\n\n"),
            to: path
        )
        let read = try KeyBundle.read(path: path, layout: Self.layout)
        #expect(read.secretBoxKey("model") == (try SecretBoxKey(bytes: (0..<32).map { UInt8($0) })))
        #expect(read.field("node-name") == "st-marys")
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o660])
    func groupOrOtherAccessIsRefusedWithTheFix(mode: Int) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("node.bundle")
        try Self.sample().bundle.write(path: path)
        try setPermissions(path, mode)
        do throws(CryptoError) {
            _ = try KeyBundle.read(path: path, layout: Self.layout)
            Issue.record("a bundle with mode \(String(mode, radix: 8)) was read")
        } catch {
            #expect(error == .keyFileInsecurePermissions(path: path, mode: UInt32(mode)))
            #expect(error.description.contains(path))
            #expect(error.description.contains("mode 0\(String(mode, radix: 8))"))
            #expect(error.description.contains("chmod 600 \(path)"))
        }
    }

    @Test func anExistingFileIsKeptUnlessOverwriteIsAsked() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("b")
        let first = try Self.sample()
        try first.bundle.write(path: path)
        let second = try Self.sample()
        #expect(throws: CryptoError.keyFileExists(path: path)) { try second.bundle.write(path: path) }
        #expect(try KeyBundle.read(path: path, layout: Self.layout).secretBoxKey("node") == first.node)
        try second.bundle.write(path: path, overwrite: true)
        #expect(try KeyBundle.read(path: path, layout: Self.layout).secretBoxKey("node") == second.node)
    }

    /// The body lines of a valid bundle (the model key counting 0…31), in the order given by indices.
    static func text(order: [Int] = Array(0..<6), header: String = "growda-bundle v1 node") -> String {
        let verify = try! SigningKey(seed: [UInt8](repeating: 7, count: 32)).verifyKey
        let body = [
            "set node-id 3",
            "set node-name st-marys",
            "set endpoint.updates tcp://agg.example.org:7701",
            "key node growda-secretbox-key v1 \(Data(repeating: 9, count: 32).base64EncodedString())",
            "key model growda-secretbox-key v1 \(countingKeyBase64)",
            "key aggregator growda-verify-key v1 \(Data(verify.bytes).base64EncodedString())",
        ]
        return ([header] + order.map { body[$0] }).joined(separator: "\n") + "\n"
    }

    @Test(
        arguments: [
            ("", nil, "the file is empty"),
            ("# nothing\n", nil, "it has no header line `growda-bundle v1 node`"),
            ("set node-id 3\n", 1, "expected the header line `growda-bundle v1 node` before any other line"),
            ("growda-bundle v2 node\n", 1, "format version v2 is not supported (only v1)"),
            ("growda-bundle v1 admin\n", 1, "it is a bundle of kind `admin`, not `node`"),
            ("growda-bundle v1\n", 1, "expected the header line `growda-bundle v1 node`"),
            ("# c\ngrowda-bundle v1 node\ngrowda-bundle v1 node\n", 3, "a second header line (the first is line 2)"),
            (
                "growda-bundle v1 node\nnode-id 3\n", 2,
                "expected `set NAME VALUE` or `key ROLE growda-<kind>-key v1 <base64>`"
            ),
            ("growda-bundle v1 node\nset node-id\n", 2, "expected `set NAME VALUE`"),
            (
                "growda-bundle v1 node\nset colour blue\n", 2,
                "unknown field `colour` (a node bundle has node-id, node-name, endpoint.updates)"
            ),
            (
                "growda-bundle v1 node\nset node-id 3\nset node-id 4\n", 3,
                "field `node-id` is set twice (also on line 2)"
            ),
            ("growda-bundle v1 node\nset node-id  3\n", 2, "field `node-id`: the value starts or ends with a space"),
            (
                "growda-bundle v1 node\nset node-id a\tb\n", 2,
                "field `node-id`: the value holds a line break, tab or other control character"
            ),
            (
                "growda-bundle v1 node\nkey admin growda-secretbox-key v1 \(countingKeyBase64)\n", 2,
                "unknown key role `admin` (a node bundle has node, model, aggregator)"
            ),
            (
                "growda-bundle v1 node\nkey model growda-verify-key v1 \(countingKeyBase64)\n", 2,
                "key `model` is a verify key, not a secretbox key"
            ),
            (
                "growda-bundle v1 node\nkey model growda-secretbox-key v1 AAAA\n", 2,
                "key `model`: its key field is not the base64 of a 32-byte secretbox key"
            ),
            ("growda-bundle v1 node\nkey model\n", 2, "expected `key ROLE growda-<kind>-key v1 <base64>`"),
            (
                "growda-bundle v1 node\nkey model growda-secretbox-key v1 \(countingKeyBase64)\n"
                    + "key model growda-secretbox-key v1 \(countingKeyBase64)\n", 3,
                "key `model` is given twice (also on line 2)"
            ),
        ] as [(String, Int?, String)])
    func malformedBundlesSayWhereAndWhy(contents: String, line: Int?, reason: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("b")
        try write(contents, to: path)
        #expect(throws: CryptoError.keyBundleMalformed(path: path, line: line, reason: reason)) {
            try KeyBundle.read(path: path, layout: Self.layout)
        }
    }

    @Test(arguments: [
        (0, "it has no `set node-id …` line"),
        (2, "it has no `set endpoint.updates …` line"),
        (3, "it has no `key node …` line"),
        (5, "it has no `key aggregator …` line"),
    ])
    func missingEntriesAreNamed(dropped: Int, reason: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("b")
        try write(Self.text(order: (0..<6).filter { $0 != dropped }), to: path)
        #expect(throws: CryptoError.keyBundleMalformed(path: path, line: nil, reason: reason)) {
            try KeyBundle.read(path: path, layout: Self.layout)
        }
    }

    @Test func errorsNeverQuoteKeyLines() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("b")
        // A key line that lost its `key ROLE` prefix.
        try write("growda-bundle v1 node\ngrowda-secretbox-key v1 \(Self.countingKeyBase64)\n", to: path)
        do throws(CryptoError) {
            _ = try KeyBundle.read(path: path, layout: Self.layout)
            Issue.record("a bundle with a bare key line was read")
        } catch {
            #expect(error.description.contains("(line 2)"))
            #expect(!error.description.contains(Self.countingKeyBase64))
            #expect(!error.description.contains("AAECAwQF"))
        }
    }

    @Test func writingNeedsEveryEntryAndCleanValues() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var bundle = KeyBundle(layout: Self.layout)
        #expect(throws: CryptoError.keyBundleInvalidEntry(name: "node-id", reason: "it is not set")) {
            try bundle.write(path: directory.file("b"))
        }
        #expect(throws: CryptoError.keyBundleInvalidEntry(name: "colour", reason: "a node bundle has no such field")) {
            try bundle.setField("colour", "blue")
        }
        #expect(
            throws: CryptoError.keyBundleInvalidEntry(
                name: "node-name", reason: "the value holds a line break, tab or other control character")
        ) {
            try bundle.setField("node-name", "a\nkey model x")
        }
        #expect(throws: CryptoError.keyBundleInvalidEntry(name: "node-id", reason: "the value is empty")) {
            try bundle.setField("node-id", "")
        }
        #expect(
            throws: CryptoError.keyBundleInvalidEntry(
                name: "aggregator", reason: "the role holds a verify key, not a secretbox key")
        ) {
            try bundle.setKey(SecretBoxKey.generate(), role: "aggregator")
        }
        var complete = try Self.sample().bundle
        #expect(throws: CryptoError.self) { try complete.write(path: directory.file("c"), comments: ["a\nb"]) }
        try complete.setField("node-name", "renamed")
        #expect(complete.field("node-name") == "renamed")
        #expect(!FileManager.default.fileExists(atPath: directory.file("b")))
    }

    @Test func descriptionShowsFingerprintsNeverKeyBytes() throws {
        let (bundle, node, model, signing) = try Self.sample()
        var dumped = ""
        dump(bundle, to: &dumped)
        for text in [bundle.description, bundle.debugDescription, String(reflecting: bundle), dumped] {
            for key in [node, model] {
                #expect(!text.contains(key.withUnsafeBytes { Data($0).base64EncodedString() }))
                #expect(!text.contains(key.withUnsafeBytes { Data($0).map { String(format: "%02x", $0) }.joined() }))
            }
            #expect(text.contains(node.fingerprint))
            #expect(text.contains(signing.fingerprint))
        }
        #expect(bundle.description.contains("node-name: st-marys"))
    }

    @Test func bytesReadAreZeroedOnceTheKeysAreMade() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("b")
        let written = try Self.sample()
        try written.bundle.write(path: path)
        let fileSize = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let recorder = ReleaseRecorder()
        let read = try recorder.observe { try KeyBundle.read(path: path, layout: Self.layout) }
        #expect(read.secretBoxKey("node") == written.node)
        let contents = try #require(recorder.releases.first { $0.bytes.count == fileSize + 1 })
        #expect(contents.bytes.allSatisfy { $0 == 0 })
        #expect(recorder.releases.allSatisfy { release in release.bytes.allSatisfy { $0 == 0 } })
    }

    /// Writes `text` to `path` with mode 0600.
    private func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try setPermissions(path, 0o600)
    }
}
