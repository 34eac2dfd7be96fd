import ArgumentParser
import Foundation
import GrowdaAggregator
import GrowdaProvisioning
import GrowdaTestKit
import Testing

@testable import GrowdaCLI

/// `growda federation init` documents every key; `growda serve --check-config` checks a file, starting nothing.
@Suite struct ConfigCheckTests {
    /// A federation made with `growda federation init`, and its federation.conf's path.
    static func initialised(_ temporary: TemporaryDirectory) async throws -> String {
        let fed = temporary.path("fed")
        try await DataCommandTests.run(["federation", "init", "--dir", fed, "--json"])
        return fed + "/federation.conf"
    }

    /// Appends `lines` to the file at `path`; returns the number of the first.
    static func append(_ lines: [String], to path: String) throws -> Int {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try (text + lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).count
    }

    @Test func initWritesEveryKeyOfTheRegistryCommentedOutAtItsDefault() async throws {
        let temporary = try TemporaryDirectory(prefix: "growda-check")
        let path = try await Self.initialised(temporary)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for key in AggregatorConfiguration.knownKeys {
            let shown = key.defaultValue ?? key.example ?? ""
            let written = ["\n\(key.name) = 127.0.0.1\n", "\n# \(key.name) = \(shown)\n"]
            #expect(written.contains { text.contains($0) }, "\(key.name) is not in federation init's file")
            #expect(text.contains("Allowed: \(key.allowed.prefix(30))"), "\(key.name)'s allowed values are missing")
        }
        let config = try FederationConfig.load(path: path)
        #expect(config.keys == ["endpoint.host", "bind.host"])
    }

    @Test func aGoodFileIsOkAndNothingStarts() async throws {
        let temporary = try TemporaryDirectory(prefix: "growda-check")
        let path = try await Self.initialised(temporary)
        let line = try Self.append(["model.name = xray128", "model.classes = bacterial, normal ,viral"], to: path)
        try await DataCommandTests.run(["serve", "--config", path, "--check-config"])
        try await DataCommandTests.run(["serve", "--config", path, "--check-config", "--json"])
        #expect(!FileManager.default.fileExists(atPath: temporary.path("fed/state")))

        let check = ConfigCheck(file: path)
        #expect(check.ok && check.problems.isEmpty)
        let text = check.text()
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "ok: \(path): every key known, every value valid; 4 set, the rest at their defaults:")
        #expect(lines.count == 1 + AggregatorConfiguration.knownKeys.count)
        #expect(lines.contains { $0.hasPrefix("  model.name ") && $0.hasSuffix("= xray128  (line \(line))") })
        #expect(lines.contains { $0.hasPrefix("  fedbuff.k ") && $0.hasSuffix("= 4") })
        #expect(lines.contains { $0.hasPrefix("  eval.dir ") && $0.hasSuffix("(not set)") })
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(check)) as? [String: Any]
        #expect(json?["ok"] as? Bool == true && (json?["settings"] as? [Any])?.count == AggregatorConfiguration.knownKeys.count)
    }

    @Test func aBadFileListsEveryProblemAndExitsOne() async throws {
        let temporary = try TemporaryDirectory(prefix: "growda-check")
        let path = try await Self.initialised(temporary)
        let n = try Self.append(
            ["model.clases = bacterial,normal,viral", "modle.name = xray128", "fedbuff.kk = 2", "server.lr = 0"],
            to: path)
        await #expect(throws: ExitCode(1)) {
            try await DataCommandTests.run(["serve", "--config", path, "--check-config"])
        }
        let check = ConfigCheck(file: path)
        #expect(!check.ok && check.settings.isEmpty)
        #expect(
            check.text() == """
                \(path): 4 problems; growda serve would not start
                  \(path) line \(n): unknown key "model.clases" (did you mean "model.classes"?)
                  \(path) line \(n + 1): unknown key "modle.name" (did you mean "model.name"?)
                  \(path) line \(n + 2): unknown key "fedbuff.kk" (did you mean "fedbuff.k"?)
                  \(path) line \(n + 3): server.lr = 0 is out of range; allowed: a number > 0
                """)
        // Serving the file is refused with the same problems, before anything is opened.
        #expect {
            _ = try ServeCommand.configuration(file: path, state: nil, eval: nil)
        } throws: { error in
            "\(error)".hasPrefix("configuration: 4 problems in \(path)")
                && "\(error)".contains("line \(n + 1): unknown key \"modle.name\" (did you mean \"model.name\"?)")
        }
        #expect(!FileManager.default.fileExists(atPath: temporary.path("fed/state")))
        // So is adding a node: its bundle would carry the file's endpoints.
        await #expect {
            try await DataCommandTests.run([
                "node", "add", "st-marys", "--federation", temporary.path("fed"), "--out", temporary.path("b"),
            ])
        } throws: { error in
            "\(error)".hasPrefix("\(path) has 3 unknown keys, so no bundle was written")
                && "\(error)".contains("\n  \(path) line \(n + 2): unknown key \"fedbuff.kk\"")
        }
        #expect(!FileManager.default.fileExists(atPath: temporary.path("b")))
    }

    @Test func aMissingOrMalformedFileIsAProblemToo() throws {
        let temporary = try TemporaryDirectory(prefix: "growda-check")
        let missing = ConfigCheck(file: temporary.path("fed/federation.conf"))
        #expect(!missing.ok && missing.problems.count == 1)
        #expect(missing.problems[0].contains("holds no federation"))
        try "mode = async\nfedbuff.k 4\n".write(toFile: temporary.path("f.conf"), atomically: true, encoding: .utf8)
        let malformed = ConfigCheck(file: temporary.path("f.conf"))
        #expect(
            malformed.problems == [
                "\(temporary.path("f.conf")) line 2: expected `key = value`. Lines are "
                    + "`key = value`, `# comment` or blank; fix the line."
            ])
    }

    @Test func jsonGoesWithCheckConfig() {
        let serve = ["serve", "--config", "f/federation.conf"]
        #expect(DataCommandTests.parseError(serve + ["--json"]) == "--json goes with --check-config.")
        #expect(DataCommandTests.parseError(serve + ["--check-config", "--json"]) == nil)
    }
}
