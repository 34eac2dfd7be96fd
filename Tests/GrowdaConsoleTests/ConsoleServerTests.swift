import Foundation
import GrowdaBench
@testable import GrowdaConsole
import GrowdaCrypto
import GrowdaTestKit
import Hummingbird
import Logging
import Testing

/// The console server both consoles share: who gets in, what is refused and how it is counted.
@Suite(.serialized) struct ConsoleServerTests {
    /// A route behind the login, and an upload route, for the tests.
    static func routes(_ router: Router<ConsoleContext>, _ toolkit: ConsoleToolkit) {
        router.get("/api/v1/ping") { _, _ in "pong" }
        router.get("/") { _, _ in "home" }
        router.post("/api/v1/upload") { request, _ -> String in
            let bytes = try await toolkit.upload(request, what: "a file")
            return "\(bytes.count)"
        }
        router.get("/api/v1/fault") { _, _ -> String in
            struct Fault: Error {}
            throw Fault()
        }
    }

    @Test func everythingButTheLoginNeedsTheToken() async throws {
        let console = try await ConsoleHarness(addRoutes: Self.routes)
        defer { Task { await console.stop() } }
        let client = console.client()

        let api = try client.request("GET", "/api/v1/ping")
        #expect(api.status == 401)
        #expect(api.text.contains("\"reason\":\"unauthenticated\""))
        let page = try client.request("GET", "/", headers: ["Accept": "text/html"])
        #expect(page.status == 302)
        #expect(page.headers["location"] == "/login?next=/")
        let login = try client.request("GET", "/login", headers: ["Accept": "text/html"])
        #expect(login.status == 200)
        #expect(login.text.contains("name=\"secret\""))
        let css = try client.request("GET", "/assets/console.css")
        #expect(css.status == 200)

        let wrongBearer = try client.request("GET", "/api/v1/ping", headers: ["Authorization": "Bearer AAAA"])
        #expect(wrongBearer.status == 401)
        let bearer = try client.request("GET", "/api/v1/ping", headers: console.bearer)
        #expect(bearer.status == 200)
        #expect(bearer.text == "pong")
        #expect(bearer.headers["x-content-type-options"] == "nosniff")
        #expect(bearer.headers["content-security-policy"]?.contains("script-src 'self'") == true)
        #expect(console.server.refusals.byReason["unauthenticated"] == 3)
    }

    @Test func signingInMakesASessionThatOpensPagesAndSigningOutEndsIt() async throws {
        let console = try await ConsoleHarness(addRoutes: Self.routes)
        defer { Task { await console.stop() } }
        let client = console.client()

        let (refused, noCookie) = try console.signIn("not the token", client: client)
        #expect(refused.status == 401)
        #expect(noCookie == nil)
        #expect(refused.text.contains("That is not the console token"))
        #expect(console.server.refusals.byReason["bad_login"] == 1)

        // The whole key line works as well as its base64 field.
        let (accepted, cookie) = try console.signIn("growda-console-key v1 \(console.tokenText)", client: client)
        #expect(accepted.status == 302)
        #expect(accepted.headers["location"] == "/somewhere")
        let setCookie = try #require(accepted.headers["set-cookie"])
        #expect(setCookie.contains("HttpOnly"))
        #expect(setCookie.contains("SameSite=Strict"))
        let session = try #require(cookie)
        let home = try client.request("GET", "/", headers: ["Cookie": session, "Accept": "text/html"])
        #expect(home.status == 200)
        #expect(home.text == "home")

        let out = try client.request("POST", "/logout", headers: ["Cookie": session])
        #expect(out.status == 302)
        let after = try client.request("GET", "/api/v1/ping", headers: ["Cookie": session])
        #expect(after.status == 401)
    }

    @Test func sessionsExpire() async throws {
        let console = try await ConsoleHarness(sessionLifetime: .seconds(1), addRoutes: Self.routes)
        defer { Task { await console.stop() } }
        let client = console.client()
        let (_, cookie) = try console.signIn(console.tokenText, client: client)
        let session = try #require(cookie)
        #expect(try client.request("GET", "/api/v1/ping", headers: ["Cookie": session]).status == 200)
        try await Task.sleep(for: .milliseconds(2500))
        #expect(try client.request("GET", "/api/v1/ping", headers: ["Cookie": session]).status == 401)
    }

    @Test func theLoginNeverRedirectsOffSite() {
        #expect(LoginRoutes.safeNext("//evil.example/") == "/")
        #expect(LoginRoutes.safeNext("https://evil.example/") == "/")
        #expect(LoginRoutes.safeNext("/\\evil") == "/")
        #expect(LoginRoutes.safeNext("/api/v1/status") == "/api/v1/status")
        #expect(LoginRoutes.safeNext(nil) == "/")
    }

    @Test func manyFailedLoginsAreRateLimited() async throws {
        let console = try await ConsoleHarness(addRoutes: Self.routes)
        defer { Task { await console.stop() } }
        let client = console.client()
        for _ in 0..<10 { _ = try console.signIn("wrong", client: client) }
        let (limited, _) = try console.signIn(console.tokenText, client: client)
        #expect(limited.status == 429)
        #expect(console.server.refusals.byReason["rate_limited"] == 1)
        #expect(console.server.refusals.byReason["bad_login"] == 10)
    }

    @Test func aPasswordOpensTheConsoleToo() async throws {
        let folder = try TemporaryDirectory(prefix: "growda-password")
        let path = folder.path("console.password")
        #expect(throws: ConsoleSetupError.self) {
            try ConsolePassword.write(password: "short", path: path, overwrite: false)
        }
        try ConsolePassword.write(password: "correct horse battery", path: path, overwrite: false)
        let console = try await ConsoleHarness(passwordPath: path, addRoutes: Self.routes)
        defer { Task { await console.stop() } }
        let client = console.client()
        let (wrong, _) = try console.signIn("correct horse battery staple", client: client)
        #expect(wrong.status == 401)
        let (right, cookie) = try console.signIn("correct horse battery", client: client)
        #expect(right.status == 302)
        #expect(cookie != nil)
    }

    @Test func badInputGets4xxWithAMessageAndIsCounted() async throws {
        let console = try await ConsoleHarness(maxUploadBytes: 1000, addRoutes: Self.routes)
        defer { Task { await console.stop() } }
        let client = console.client()
        let small = try client.request("POST", "/api/v1/upload", headers: console.bearer, body: Array(repeating: 1, count: 10))
        #expect(small.status == 200)
        #expect(small.text == "10")
        let empty = try client.request("POST", "/api/v1/upload", headers: console.bearer)
        #expect(empty.status == 400)
        #expect(empty.text.contains("no body"))
        let huge = try LoopbackHTTPClient(port: console.port).request(
            "POST", "/api/v1/upload", headers: console.bearer, body: Array(repeating: 1, count: 5000))
        #expect(huge.status == 413)
        #expect(huge.text.contains("too_large"))
        let missing = try console.client().request("GET", "/api/v1/nothing", headers: console.bearer)
        #expect(missing.status == 404)
        #expect(missing.text.contains("not_found"))
        let fault = try console.client().request("GET", "/api/v1/fault", headers: console.bearer)
        #expect(fault.status == 500)
        #expect(fault.text.contains("internal_error"))
        #expect(!fault.text.contains("Fault"))
        // The server carries on.
        #expect(try console.client().request("GET", "/api/v1/ping", headers: console.bearer).status == 200)
        let counts = console.server.refusals.byReason
        #expect(counts["bad_request"] == 1)
        #expect(counts["too_large"] == 1)
        #expect(counts["not_found"] == 1)
        #expect(counts["internal_error"] == 1)
    }

    @Test func aTokenFileOthersCanReadIsRefused() throws {
        let folder = try TemporaryDirectory(prefix: "growda-token")
        let path = folder.path("console.token")
        try ConsoleToken.generate().write(path: path)
        chmod(path, 0o644)
        #expect {
            _ = try ConsoleCredentials(tokenPath: path, passwordPath: nil)
        } throws: { error in
            "\(error)".contains(path) && "\(error)".contains("0644")
        }
        #expect {
            _ = try ConsoleCredentials(tokenPath: folder.path("missing.token"), passwordPath: nil)
        } throws: { error in
            "\(error)".contains("growda console token --out")
        }
    }

    @Test func theTokenMatchesOnlyItself() throws {
        let token = try ConsoleToken.generate()
        let other = try ConsoleToken.generate()
        let folder = try TemporaryDirectory(prefix: "growda-token")
        try token.write(path: folder.path("a"))
        let text = ConsoleHarness.tokenText(at: folder.path("a"))
        #expect(token.matches(text))
        #expect(token.matches("  \(text)\n"))
        #expect(!other.matches(text))
        #expect(!token.matches(String(text.dropLast(2))))
        #expect(!token.matches(""))
        #expect("\(token)" == "ConsoleToken(redacted)")
    }

    @Test func theOpenAPIDocumentIsServedPerConsole() throws {
        let aggregator = try #require(
            JSONSerialization.jsonObject(with: Data(OpenAPIDocument.served(by: .aggregator))) as? [String: Any])
        let node = try #require(
            JSONSerialization.jsonObject(with: Data(OpenAPIDocument.served(by: .node))) as? [String: Any])
        let aggregatorPaths = Set((aggregator["paths"] as? [String: Any] ?? [:]).keys)
        let nodePaths = Set((node["paths"] as? [String: Any] ?? [:]).keys)
        #expect(aggregator["openapi"] as? String == "3.1.0")
        #expect(aggregatorPaths.isSuperset(of: ["/api/v1/status", "/api/v1/nodes", "/api/v1/versions", "/api/v1/model"]))
        #expect(nodePaths.contains("/api/v1/predict"))
        #expect(!nodePaths.contains("/api/v1/nodes"))
    }
}

/// HTTPS with a certificate and key, checked with the system's openssl and curl (skipped without them).
@Suite(
    .serialized,
    .enabled(
        if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"),
        "needs openssl and curl (Debian's openssl and curl packages)"))
struct ConsoleTLSTests {
    static func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = Pipe()
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func aCertificateAndKeyServeHTTPSAndAReadableKeyIsRefused() async throws {
        let folder = try TemporaryDirectory(prefix: "growda-tls")
        let certificate = folder.path("console.crt"), key = folder.path("console.key")
        let (made, _) = try Self.run(
            "/usr/bin/openssl",
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
             "-subj", "/CN=127.0.0.1"])
        try #require(made == 0)
        chmod(key, 0o644)
        let tokenPath = folder.path("console.token")
        try ConsoleToken.generate().write(path: tokenPath)
        var logger = Logger(label: "tls-test")
        logger.logLevel = .critical
        let files = ConsoleSettings.TLSFiles(certificatePath: certificate, keyPath: key)
        #expect {
            _ = try ConsoleServer(
                settings: ConsoleSettings(title: "t", port: 0, tokenPath: tokenPath, tls: files), logger: logger
            ) { _, _ in }
        } throws: { "\($0)".contains(key) && "\($0)".contains("0644") }
        chmod(key, 0o600)
        #expect {
            _ = try ConsoleServer(
                settings: ConsoleSettings(
                    title: "t", port: 0, tokenPath: tokenPath,
                    tls: .init(certificatePath: tokenPath, keyPath: key)), logger: logger
            ) { _, _ in }
        } throws: { "\($0)".contains("not a PEM certificate chain") }

        let server = try ConsoleServer(
            settings: ConsoleSettings(title: "t", port: 0, tokenPath: tokenPath, tls: files), logger: logger
        ) { _, _ in }
        let task = server.runInBackground()
        defer { task.cancel() }
        let port = try await server.waitUntilListening(seconds: 60)
        #expect(server.url.hasPrefix("https://"))
        let (status, page) = try Self.run(
            "/usr/bin/curl", ["-sk", "--max-time", "20", "https://127.0.0.1:\(port)/login"])
        #expect(status == 0)
        #expect(page.contains("name=\"secret\""))
        let (plainStatus, _) = try Self.run(
            "/usr/bin/curl", ["-s", "--max-time", "20", "-o", "/dev/null", "http://127.0.0.1:\(port)/login"])
        #expect(plainStatus != 0)
    }
}
