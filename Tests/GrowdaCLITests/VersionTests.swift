import ArgumentParser
import GrowdaNode
import Testing

@testable import GrowdaCLI

/// `growda --version` and `growda-node --version` print the same release.
@Suite struct VersionTests {
    /// What `command --version` prints, and its exit code.
    static func version(of command: any ParsableCommand.Type) -> (text: String, code: ExitCode)? {
        do {
            _ = try command.parseAsRoot(["--version"])
            return nil
        } catch {
            return (command.message(for: error), command.exitCode(for: error))
        }
    }

    @Test func bothProgramsPrintTheSameVersion() throws {
        let growda = try #require(Self.version(of: Growda.self))
        let node = try #require(Self.version(of: GrowdaNodeCommand.self))
        #expect(growda.text == "0.1.0" && growda.code == .success)
        #expect(node.text == growda.text && node.code == .success)
    }
}
