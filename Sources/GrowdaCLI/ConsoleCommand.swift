import ArgumentParser
import Foundation
import GrowdaConsole
import GrowdaCrypto

/// `growda console`: the login files of the web consoles (the federation dashboard and the diagnosis desks).
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Make the login files of a web console: a token, or a password.",
        discussion: """
            `growda federation init` makes the dashboard's token (FEDERATION/keys/console.token) and `growda node \
            add` a desk token beside each bundle; these commands make new ones (say, to rotate a token, or for a \
            federation made before the consoles existed) and set a password.
            """,
        subcommands: [Token.self, Password.self])

    /// `growda console token --out FILE`.
    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new console token (mode 0600).",
            discussion: """
                The token opens the console: paste the text after `growda-console-key v1` at the login page, or \
                send it as `Authorization: Bearer TOKEN`. Replacing the file (--force) signs in with the new \
                token from the console's next start.
                """)

        @Option(help: ArgumentHelp("Where to write the token; must not exist unless --force.", valueName: "file"))
        var out: String

        @Flag(help: "Replace the file at --out if there is one.")
        var force = false

        func run() async throws {
            do {
                let token = try ConsoleToken.generate()
                try token.write(path: out, overwrite: force)
                Terminal.say("wrote \(out) (mode 0600, fingerprint \(token.fingerprint))")
            } catch CryptoError.keyFileExists {
                throw CLIError("\(out) exists: give --force to replace it, or another --out")
            }
        }
    }

    /// `growda console password --out FILE`.
    struct Password: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a console password: write its bcrypt hash (mode 0600).",
            discussion: """
                Reads the password from standard input (one line; at least \(ConsolePassword.minimumLength) \
                characters). Name the file in console.password_file (federation.conf) for the dashboard, or \
                with growda-node run --console-password for a desk; the password then opens the console as the \
                token does.
                """)

        @Option(help: ArgumentHelp("Where to write the password file; must not exist unless --force.", valueName: "file"))
        var out: String

        @Flag(help: "Replace the file at --out if there is one.")
        var force = false

        func run() async throws {
            if isatty(STDIN_FILENO) == 1 { Terminal.say("password (input is shown; pipe it in to hide it):") }
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw CLIError("no password on standard input: type one, or pipe it in (`printf %s PASSWORD | ...`)")
            }
            do {
                try ConsolePassword.write(password: line, path: out, overwrite: force)
            } catch CryptoError.keyFileExists {
                throw CLIError("\(out) exists: give --force to replace it, or another --out")
            } catch let error as ConsoleSetupError {
                throw CLIError(error.description)
            }
            Terminal.say("wrote \(out) (mode 0600)")
        }
    }
}
