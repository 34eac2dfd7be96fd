import Foundation
import GrowdaCrypto
import GrowdaProvisioning
import GrowdaTestKit
import Testing

/// The example files of the protocol document's "Files an implementer reads", read with the real readers
/// and written by the real writers, so the document cannot drift from the code. The files are taken from
/// the document itself.
@Suite struct FileFormatExampleTests {
    // MARK: The example, as the document states it

    /// The example node's key, K_N: the bytes 00 01 … 1f (worked example 1's).
    static func nodeKey() throws -> SecretBoxKey { try SecretBoxKey(bytes: Array(0x00...0x1f)) }
    /// The example model key, K_M: the bytes 20 21 … 3f.
    static func modelKey() throws -> SecretBoxKey { try SecretBoxKey(bytes: Array(0x20...0x3f)) }
    /// The example admin key, K_A: the bytes a0 a1 … bf.
    static func adminKey() throws -> SecretBoxKey { try SecretBoxKey(bytes: Array(0xa0...0xbf)) }
    /// The aggregator's key pair of worked example 2: the seed 60 61 … 7f.
    static func signingKey() throws -> SigningKey { try SigningKey(seed: Array(0x60...0x7f)) }
    /// The example node's endpoints: the default ports on agg.example.org.
    static let endpoints = FederationEndpoints(
        updates: "tcp://agg.example.org:7701",
        models: "tcp://agg.example.org:7702",
        snapshots: "tcp://agg.example.org:7703"
    )

    /// The example node bundle's contents: node 7, `st-marys`.
    static func bundle() throws -> NodeBundle {
        NodeBundle(
            nodeID: 7,
            nodeName: "st-marys",
            nodeKey: try nodeKey(),
            modelKey: try modelKey(),
            aggregatorVerifyKey: try signingKey().verifyKey,
            endpoints: endpoints
        )
    }

    // MARK: Reading the document

    /// The document, read from the source tree.
    static func document() throws -> String {
        let path = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/GrowdaWire/GrowdaWire.docc/Protocol.md")
        return try String(contentsOf: path, encoding: .utf8)
    }

    /// The document with every run of white space (line breaks too) made one space, to find sentences in.
    static func prose(_ document: String) -> String {
        document.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// The file in the first fenced block after the first line holding `label` (each line ended with LF),
    /// and the text from that line to the block, lines joined with spaces.
    static func exampleFile(after label: String, in document: String) throws -> (text: String, caption: String) {
        let lines = document.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex { $0.contains(label) }, "no line holds \(label)")
        let open = try #require(lines[start...].firstIndex { $0.hasPrefix("```") })
        let close = try #require(lines[(open + 1)...].firstIndex { $0.hasPrefix("```") })
        return (lines[(open + 1)..<close].map { $0 + "\n" }.joined(), lines[start..<open].joined(separator: " "))
    }

    /// Writes `text` to `path` with mode `mode` and returns `path`.
    static func write(_ text: String, to path: String, mode: Int = 0o600) throws -> String {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try setPermissions(path, mode)
        return path
    }

    // MARK: The node bundle

    @Test func theExampleNodeBundleReadsAsTheDocumentSays() throws {
        let document = try Self.document()
        let (text, caption) = try Self.exampleFile(after: "Example node bundle", in: document)
        #expect(caption.contains("(\(text.utf8.count) bytes,"))
        let folder = try TemporaryDirectory(prefix: "growda-file-formats")
        defer { withExtendedLifetime(folder) {} }

        let bundle = try NodeBundle.read(path: try Self.write(text, to: folder.path("st-marys.bundle")))

        #expect(bundle.nodeID == 7)
        #expect(bundle.nodeName == "st-marys")
        #expect(bundle.endpoints == Self.endpoints)
        #expect(bundle.nodeKey == (try Self.nodeKey()))
        #expect(bundle.modelKey == (try Self.modelKey()))
        #expect(bundle.aggregatorVerifyKey == (try Self.signingKey().verifyKey))
        #expect(bundle.aggregatorVerifyKey.hex == "174553b456dddfc6908ecab1c101fe6ab21e2baa0617795b7d43a63482993fd5")
        #expect(bundle.nodeKey.fingerprint == "843e2d2ea4abdb85")
        #expect(bundle.modelKey.fingerprint == "7fa5057595a2e558")
        #expect(bundle.aggregatorVerifyKey.fingerprint == "18ed7ab42ee21b9b")
        let stated =
            "The fingerprints are 843e2d2ea4abdb85 (node), 7fa5057595a2e558 (model) and 18ed7ab42ee21b9b "
            + "(aggregator)."
        #expect(Self.prose(document).contains(stated))
    }

    @Test func theWriterWritesTheExampleNodeBundle() throws {
        let (text, _) = try Self.exampleFile(after: "Example node bundle", in: try Self.document())
        let folder = try TemporaryDirectory(prefix: "growda-file-formats")
        defer { withExtendedLifetime(folder) {} }
        let path = folder.path("st-marys.bundle")

        try Self.bundle().write(path: path)

        #expect(String(decoding: try contents(path), as: UTF8.self) == text)
        #expect(try permissions(path) == 0o600)
    }

    @Test func theExampleNodeBundleWithCRLFLineEndsReadsTheSame() throws {
        let (text, _) = try Self.exampleFile(after: "Example node bundle", in: try Self.document())
        let folder = try TemporaryDirectory(prefix: "growda-file-formats")
        defer { withExtendedLifetime(folder) {} }
        let crlf = text.replacingOccurrences(of: "\n", with: "\r\n")

        let bundle = try NodeBundle.read(path: try Self.write(crlf, to: folder.path("crlf.bundle")))

        #expect(bundle == (try Self.bundle()))
    }

    @Test func theExampleNodeBundleIsRefusedWhenOthersMayReadIt() throws {
        let (text, _) = try Self.exampleFile(after: "Example node bundle", in: try Self.document())
        let folder = try TemporaryDirectory(prefix: "growda-file-formats")
        defer { withExtendedLifetime(folder) {} }
        let path = try Self.write(text, to: folder.path("st-marys.bundle"), mode: 0o644)

        let error = provisioningError { () throws(ProvisioningError) in _ = try NodeBundle.read(path: path) }

        #expect(error == .crypto(.keyFileInsecurePermissions(path: path, mode: 0o644)))
    }

    // MARK: Key files

    @Test func theExampleAdminKeyFileReadsAsTheDocumentSays() throws {
        let document = try Self.document()
        let (text, caption) = try Self.exampleFile(after: "Example admin key file", in: document)
        #expect(caption.contains("(`keys/admin.key`, \(text.utf8.count) bytes,"))
        let folder = try TemporaryDirectory(prefix: "growda-file-formats")
        defer { withExtendedLifetime(folder) {} }

        let key = try KeyFile.read(SecretBoxKey.self, path: try Self.write(text, to: folder.path("admin.key")))

        #expect(key == (try Self.adminKey()))
        #expect(key.fingerprint == "13b67e4c6d834f18")
        #expect(
            Self.prose(document).contains("The admin key of the example is `a0 a1 … bf` (fingerprint 13b67e4c6d834f18)")
        )
    }

    @Test func theExampleAggregatorKeyFilesReadAsTheDocumentSays() throws {
        let document = try Self.document()
        let (verifyText, _) = try Self.exampleFile(after: "Example verify key file", in: document)
        let (signingText, _) = try Self.exampleFile(after: "Example signing key file", in: document)
        let folder = try TemporaryDirectory(prefix: "growda-file-formats")
        defer { withExtendedLifetime(folder) {} }

        let verifyKey = try KeyFile.read(
            VerifyKey.self, path: try Self.write(verifyText, to: folder.path("aggregator-verify.key")))
        let signingKey = try KeyFile.read(
            SigningKey.self, path: try Self.write(signingText, to: folder.path("aggregator-signing.key")))

        #expect(signingKey == (try Self.signingKey()))
        #expect(verifyKey == signingKey.verifyKey)
        #expect(verifyKey.fingerprint == "18ed7ab42ee21b9b")
        #expect(signingKey.fingerprint == "18ed7ab42ee21b9b")
    }

    @Test func theWriterWritesTheExampleKeyFiles() throws {
        let document = try Self.document()
        let folder = try TemporaryDirectory(prefix: "growda-file-formats")
        defer { withExtendedLifetime(folder) {} }
        let signingKey = try Self.signingKey()

        try KeyFile.write(try Self.adminKey(), path: folder.path("admin.key"))
        try KeyFile.write(signingKey.verifyKey, path: folder.path("aggregator-verify.key"))
        try KeyFile.write(signingKey, path: folder.path("aggregator-signing.key"))

        for (label, name) in [
            ("Example admin key file", "admin.key"), ("Example verify key file", "aggregator-verify.key"),
            ("Example signing key file", "aggregator-signing.key"),
        ] {
            let path = folder.path(name)
            let written = String(decoding: try contents(path), as: UTF8.self)
            #expect(written == (try Self.exampleFile(after: label, in: document).text), "\(name)")
            #expect(try permissions(path) == 0o600)
        }
    }

    @Test func theExampleAdminKeyFileIsRefusedWhenOthersMayReadIt() throws {
        let (text, _) = try Self.exampleFile(after: "Example admin key file", in: try Self.document())
        let folder = try TemporaryDirectory(prefix: "growda-file-formats")
        defer { withExtendedLifetime(folder) {} }
        let path = try Self.write(text, to: folder.path("admin.key"), mode: 0o640)

        #expect(throws: CryptoError.keyFileInsecurePermissions(path: path, mode: 0o640)) {
            try KeyFile.read(SecretBoxKey.self, path: path)
        }
    }
}
