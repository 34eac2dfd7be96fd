import Foundation
import GrowdaBench
import GrowdaConsole
import GrowdaCrypto
import GrowdaTestKit
import Hummingbird
import Logging

/// A console server on a free port of 127.0.0.1 with a fresh token, running until `stop()`.
final class ConsoleHarness: @unchecked Sendable {
    let folder: TemporaryDirectory
    let server: ConsoleServer
    let port: Int
    let tokenText: String
    private let task: Task<Void, any Error>

    init(
        passwordPath: String? = nil, sessionLifetime: Duration = .seconds(3600),
        maxUploadBytes: Int = ConsoleSettings.defaultMaxUploadBytes,
        addRoutes: @escaping (Router<ConsoleContext>, ConsoleToolkit) throws -> Void = { _, _ in }
    ) async throws {
        folder = try TemporaryDirectory(prefix: "growda-console")
        let tokenPath = folder.path("console.token")
        try ConsoleToken.generate().write(path: tokenPath)
        tokenText = Self.tokenText(at: tokenPath)
        let settings = ConsoleSettings(
            title: "Test console", port: 0, tokenPath: tokenPath, passwordPath: passwordPath,
            sessionLifetime: sessionLifetime, maxUploadBytes: maxUploadBytes)
        var logger = Logger(label: "console-test")
        logger.logLevel = .critical
        let server = try ConsoleServer(settings: settings, logger: logger) { router, toolkit in
            try addRoutes(router, toolkit)
        }
        self.server = server
        task = server.runInBackground()
        port = try await server.waitUntilListening(seconds: 60)
    }

    /// The base64 field of the token file (what a person pastes).
    static func tokenText(at path: String) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("growda-console-key") } ?? ""
        return String(line.split(separator: " ").last ?? "")
    }

    func client() -> LoopbackHTTPClient { LoopbackHTTPClient(port: port) }

    var bearer: [String: String] { ["Authorization": "Bearer \(tokenText)"] }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    /// `application/x-www-form-urlencoded` for `fields`.
    static func form(_ fields: [String: String]) -> [UInt8] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let text = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
            .joined(separator: "&")
        return Array(text.utf8)
    }

    /// Signs in with `secret` and returns the session cookie (`name=value`), or nil when refused.
    func signIn(_ secret: String, client: LoopbackHTTPClient) throws -> (LoopbackHTTPClient.Response, String?) {
        let response = try client.request(
            "POST", "/login", headers: ["Content-Type": "application/x-www-form-urlencoded"],
            body: Self.form(["secret": secret, "next": "/somewhere"]))
        let cookie = response.headers["set-cookie"]?.split(separator: ";").first.map(String.init)
        return (response, cookie)
    }
}
