import Foundation
import Testing

@testable import GrowdaCrypto

@Suite("Key files")
struct KeyFileTests {
    @Test func writtenFilesHaveMode0600AndTheDocumentedShape() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = try SecretBoxKey.generate()
        let path = directory.file("node.key")
        try KeyFile.write(key, path: path)
        #expect(try permissions(path) == 0o600)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("# Growda secretbox key, fingerprint \(key.fingerprint)."))
        let fields = lines[1].split(separator: " ")
        #expect(fields.count == 3)
        #expect(fields[0] == "growda-secretbox-key")
        #expect(fields[1] == "v1")
        let encoded = key.withUnsafeBytes { Data($0).base64EncodedString() }
        #expect(fields[2] == encoded[...])
        #expect(lines[2].isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["node.key"])
    }

    /// The example in KeyFile's documentation, byte for byte.
    @Test func writesTheDocumentedExample() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("example.key")
        try KeyFile.write(SecretBoxKey(bytes: (0..<32).map { UInt8($0) }), path: path)
        #expect(
            try String(contentsOfFile: path, encoding: .utf8) == """
                # Growda secretbox key, fingerprint 843e2d2ea4abdb85. Secret: keep this file mode 0600.
                growda-secretbox-key v1 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=

                """
        )
    }

    @Test func everyKindRoundTrips() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let boxKey = try SecretBoxKey.generate()
        let signingKey = try SigningKey.generate()
        try KeyFile.write(boxKey, path: directory.file("box.key"))
        try KeyFile.write(signingKey, path: directory.file("sign.key"))
        try KeyFile.write(signingKey.verifyKey, path: directory.file("verify.key"))
        #expect(try KeyFile.read(SecretBoxKey.self, path: directory.file("box.key")) == boxKey)
        #expect(try KeyFile.read(SigningKey.self, path: directory.file("sign.key")) == signingKey)
        #expect(try KeyFile.read(VerifyKey.self, path: directory.file("verify.key")) == signingKey.verifyKey)
        #expect(try permissions(directory.file("verify.key")) == 0o600)
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o620, 0o602, 0o610])
    func groupOrOtherAccessIsRefused(mode: Int) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("node.key")
        try KeyFile.write(SecretBoxKey.generate(), path: path)
        try setPermissions(path, mode)
        #expect(throws: CryptoError.keyFileInsecurePermissions(path: path, mode: UInt32(mode))) {
            try KeyFile.read(SecretBoxKey.self, path: path)
        }
    }

    @Test func refusalSaysWhatToDo() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("node.key")
        try KeyFile.write(SecretBoxKey.generate(), path: path)
        try setPermissions(path, 0o644)
        do throws(CryptoError) {
            _ = try KeyFile.read(SecretBoxKey.self, path: path)
            Issue.record("a 0644 key file was read")
        } catch {
            #expect(error.description.contains(path))
            #expect(error.description.contains("mode 0644"))
            #expect(error.description.contains("chmod 600 \(path)"))
        }
    }

    @Test func nonRegularFilesAreRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("keys")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        try setPermissions(path, 0o700)
        #expect(throws: CryptoError.keyFileNotRegular(path: path, type: "directory")) {
            try KeyFile.read(SecretBoxKey.self, path: path)
        }
    }

    @Test func missingFileNamesTheCallAndPath() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("absent.key")
        #expect(throws: CryptoError.fileSystemFailure(call: "open", path: path, errno: ENOENT)) {
            try KeyFile.read(SecretBoxKey.self, path: path)
        }
    }

    @Test func wrongKindIsRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("sign.key")
        try KeyFile.write(SigningKey.generate(), path: path)
        #expect(throws: CryptoError.keyFileWrongKind(path: path, expected: .secretBox, found: "signing")) {
            try KeyFile.read(SecretBoxKey.self, path: path)
        }
    }

    @Test func existingFileIsKeptUnlessOverwriteIsAsked() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("node.key")
        let first = try SecretBoxKey.generate()
        let second = try SecretBoxKey.generate()
        try KeyFile.write(first, path: path)
        #expect(throws: CryptoError.keyFileExists(path: path)) { try KeyFile.write(second, path: path) }
        #expect(try KeyFile.read(SecretBoxKey.self, path: path) == first)
        try KeyFile.write(second, path: path, overwrite: true)
        #expect(try KeyFile.read(SecretBoxKey.self, path: path) == second)
        #expect(try permissions(path) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["node.key"])
    }

    @Test func handWrittenFilesWithCommentsBlankLinesAndCRLFAreRead() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("node.key")
        let keyBytes = (0..<32).map { UInt8($0) }
        let text = "# a comment\r\n\r\n  \ngrowda-secretbox-key v1 \(Data(keyBytes).base64EncodedString())  \r\n# end"
        try write(text, to: path)
        #expect(try KeyFile.read(SecretBoxKey.self, path: path) == SecretBoxKey(bytes: keyBytes))
    }

    @Test(arguments: [
        ("", "the file is empty"),
        ("# only a comment\n", "it has no key line"),
        ("growda-secretbox-key v1\n", "expected a line `growda-<kind>-key v1 <base64>`"),
        ("secretbox v1 AAAA\n", "expected a line `growda-<kind>-key v1 <base64>`"),
        ("growda-secretbox-key v2 AAAA\n", "format version v2 is not supported (only v1)"),
        ("growda-secretbox-key v1 AAAA\n", "its key field is not the base64 of a 32-byte secretbox key"),
        ("growda-secretbox-key v1 !!!!\n", "its key field is not the base64 of a 32-byte secretbox key"),
        (
            "growda-secretbox-key v1 \(Data(count: 33).base64EncodedString())\n",
            "its key field is not the base64 of a 32-byte secretbox key"
        ),
        (
            "growda-secretbox-key v1 \(Data(count: 32).base64EncodedString())\n"
                + "growda-secretbox-key v1 \(Data(count: 32).base64EncodedString())\n",
            "it has more than one key line"
        ),
        (String(repeating: "#", count: 5000), "the file is 5000 bytes, more than the 4096 a key file may be"),
    ])
    func malformedFilesSayWhy(contents: String, reason: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("node.key")
        try write(contents, to: path)
        #expect(throws: CryptoError.keyFileMalformed(path: path, reason: reason)) {
            try KeyFile.read(SecretBoxKey.self, path: path)
        }
    }

    @Test func bytesReadAreZeroedOnceTheKeyIsMade() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("node.key")
        let written = try SecretBoxKey.generate()
        try KeyFile.write(written, path: path)
        let fileSize = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let recorder = ReleaseRecorder()
        let read = try recorder.observe { try KeyFile.read(SecretBoxKey.self, path: path) }
        #expect(read == written)
        // The whole file, read into guarded memory (with one spare byte), was released wiped.
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
