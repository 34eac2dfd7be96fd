import Foundation
import GrowdaCrypto
import GrowdaTestKit
import Testing

@testable import GrowdaCLI

/// `growda console token` and `growda node add`'s desk token.
@Suite struct ConsoleCommandTests {
    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    @Test func aTokenIsWrittenPrivateAndNotOverwrittenWithoutForce() async throws {
        let folder = try TemporaryDirectory(prefix: "growda-console-cli")
        let path = folder.path("desk.console-token")
        var command = try #require(try Growda.parseAsRoot(["console", "token", "--out", path]) as? ConsoleCommand.Token)
        try await command.run()
        #expect(try Self.mode(path) == 0o600)
        let first = try ConsoleToken.read(path: path).fingerprint
        await #expect(throws: CLIError.self) { try await command.run() }
        #expect(try ConsoleToken.read(path: path).fingerprint == first)
        command = try #require(
            try Growda.parseAsRoot(["console", "token", "--out", path, "--force"]) as? ConsoleCommand.Token)
        try await command.run()
        #expect(try ConsoleToken.read(path: path).fingerprint != first)
    }

    @Test func addingANodeWritesItsDeskTokenBesideTheBundle() async throws {
        let folder = try TemporaryDirectory(prefix: "growda-console-cli")
        var initialize = try Growda.parseAsRoot(["federation", "init", "--dir", folder.path("fed")])
        try await (initialize as! FederationCommand.Init).run()
        initialize = try Growda.parseAsRoot(
            ["node", "add", "st-marys", "--federation", folder.path("fed"), "--out", folder.path("st-marys.bundle")])
        try await (initialize as! NodeCommand.Add).run()
        let token = folder.path("st-marys.console-token")
        #expect(try Self.mode(token) == 0o600)
        _ = try ConsoleToken.read(path: token)
        #expect(try Self.mode(folder.path("fed/keys/console.token")) == 0o600)
    }
}
