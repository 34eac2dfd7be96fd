import Foundation
import GrowdaCrypto
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import HummingbirdBcrypt
import Logging
import Synchronization

/// Who may open a console: the console token, and the admin password when one is set.
public final class ConsoleCredentials: Sendable {
    let token: ConsoleToken
    let passwordHash: String?

    /// Reads the token's key file and, when given, the password hash file; both must be mode 0600.
    public init(tokenPath: String, passwordPath: String?) throws {
        do {
            token = try ConsoleToken.read(path: tokenPath)
        } catch CryptoError.fileSystemFailure(_, _, ENOENT) {
            throw ConsoleSetupError(
                "console token \(tokenPath) does not exist; make one with `growda console token --out \(tokenPath)`")
        } catch {
            throw ConsoleSetupError("console token \(tokenPath): \(error)")
        }
        if let passwordPath {
            passwordHash = try ConsolePassword.readHash(path: passwordPath)
        } else {
            passwordHash = nil
        }
    }

    /// A token and optional password hash already in hand (tests).
    public init(token: ConsoleToken, passwordHash: String? = nil) {
        self.token = token
        self.passwordHash = passwordHash
    }

    /// How `secret` signs in (`token` or `password`), or nil when it is neither.
    func check(_ secret: String) -> String? {
        if token.matches(secret) { return "token" }
        if let passwordHash, !secret.isEmpty, secret.utf8.count <= 72, Bcrypt.verify(secret, hash: passwordHash) {
            return "password"
        }
        return nil
    }

    /// Whether `bearer` is the console token.
    func checkBearer(_ bearer: String) -> Bool { token.matches(bearer) }

    /// Whether a password is set.
    var passwordAllowed: Bool { passwordHash != nil }
}

/// The admin password of a console, kept as a bcrypt hash in a file of mode 0600.
public enum ConsolePassword {
    /// The first line of a password file; the hash follows on the second.
    static let header = "# Growda console password (bcrypt). Secret: keep this file mode 0600."

    /// The shortest password accepted.
    public static let minimumLength = 12

    /// Writes a bcrypt hash of `password` to `path` (mode 0600); refuses a short or over-long password.
    public static func write(password: String, path: String, overwrite: Bool) throws {
        guard password.count >= minimumLength else {
            throw ConsoleSetupError("the password must be at least \(minimumLength) characters long")
        }
        guard password.utf8.count <= 72 else {
            throw ConsoleSetupError("the password must be at most 72 bytes long (bcrypt reads no further)")
        }
        let hash = Bcrypt.hash(password, cost: 12)
        try PrivateFile.write(Array("\(header)\n\(hash)\n".utf8), path: path, overwrite: overwrite)
    }

    /// The hash in the password file at `path`.
    static func readHash(path: String) throws -> String {
        let text: String
        do {
            text = try PrivateFile.readText(path: path)
        } catch {
            throw ConsoleSetupError("console password file \(path): \(error)")
        }
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard lines.count == 1, lines[0].hasPrefix("$2") else {
            throw ConsoleSetupError(
                "console password file \(path) holds no bcrypt hash; write it with `growda console password --out \(path)`")
        }
        return lines[0]
    }
}

/// A console that cannot start: a missing token, a bad TLS file, an address it cannot bind.
public struct ConsoleSetupError: Error, CustomStringConvertible, Sendable {
    /// What is wrong and what to do.
    public var description: String
    /// The error `description`.
    public init(_ description: String) { self.description = description }
}

/// Failed logins in the last minute: past ``limit`` the login refuses (429) until the minute has passed.
final class LoginLimiter: Sendable {
    static let limit = 10
    private let failures = Mutex<[ContinuousClock.Instant]>([])

    /// Whether another attempt may be checked now.
    func allows(now: ContinuousClock.Instant = .now) -> Bool {
        failures.withLock { list in
            list.removeAll { now - $0 > .seconds(60) }
            return list.count < Self.limit
        }
    }

    /// Notes a failed attempt.
    func fail(now: ContinuousClock.Instant = .now) { failures.withLock { $0.append(now) } }
}

/// Lets a request through only with a live session or the token as a bearer; the login page and the
/// stylesheet are open. Browsers asking for a page are sent to the login; everything else gets 401.
struct LoginGate: RouterMiddleware {
    typealias Context = ConsoleContext
    let credentials: ConsoleCredentials

    static let openPaths: Set<String> = ["/login", "/assets/console.css", "/favicon.ico"]

    func handle(
        _ request: Request, context: ConsoleContext, next: (Request, ConsoleContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        if Self.openPaths.contains(request.uri.path) { return try await next(request, context) }
        if let session = context.sessions.session {
            context.identity = ConsoleUser(method: session.method)
        } else if let bearer = request.headers.bearer, credentials.checkBearer(bearer.token) {
            context.identity = ConsoleUser(method: "bearer")
        }
        guard context.identity != nil else {
            if Gate.wantsPage(request), request.method == .get {
                // Counted as a refusal too: every request turned away is.
                throw LoginRedirect(next: request.uri.path)
            }
            throw ConsoleError(
                .unauthenticated,
                "sign in first: send the console token as `Authorization: Bearer TOKEN`, or sign in at /login")
        }
        return try await next(request, context)
    }
}

/// A page asked for without a session: answered by a redirect to the login page.
struct LoginRedirect: Error {
    var next: String
}

/// The login and logout routes.
enum LoginRoutes {
    static func add(
        to router: Router<ConsoleContext>, credentials: ConsoleCredentials, settings: ConsoleSettings,
        refusals: ConsoleRefusals, logger: Logger
    ) {
        let limiter = LoginLimiter()
        router.get("/login") { request, context -> Response in
            let next = safeNext(request.uri.queryParameters["next"].map(String.init))
            if context.sessions.session != nil { return .redirect(to: next) }
            return page(ConsolePage.login(
                title: settings.title, problem: nil, next: next, passwordAllowed: credentials.passwordAllowed))
        }
        router.post("/login") { request, context -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 16 << 10)
            let form = URLEncodedForm.decode(String(buffer: body))
            let next = safeNext(form["next"])
            guard limiter.allows() else {
                throw ConsoleError(.rateLimited, "too many failed sign-ins in the last minute; wait a minute and try again")
            }
            guard let secret = form["secret"], let method = credentials.check(secret) else {
                limiter.fail()
                refusals.count(.badLogin)
                logger.notice("console sign-in refused", metadata: ["console": "\(settings.title)"])
                var response = page(
                    ConsolePage.login(
                        title: settings.title, problem: "That is not the console token or password. Try again.",
                        next: next, passwordAllowed: credentials.passwordAllowed))
                response.status = .unauthorized
                return response
            }
            context.sessions.setSession(ConsoleSession(method: method, signedInAt: Date()), expiresIn: settings.sessionLifetime)
            logger.info("console sign-in", metadata: ["console": "\(settings.title)", "method": "\(method)"])
            return .redirect(to: next, type: .found)
        }
        router.post("/logout") { _, context -> Response in
            context.sessions.clearSession()
            return .redirect(to: "/login", type: .found)
        }
    }

    /// Only a local path may follow the login (no open redirect to another site).
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), next != "/login" else {
            return "/"
        }
        return next
    }

    static func page(_ html: String) -> Response { ConsoleResponse.page(html) }
}

/// The simplest application/x-www-form-urlencoded reader: what the login form sends.
enum URLEncodedForm {
    static func decode(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decodeComponent(parts[0])
            let value = parts.count > 1 ? decodeComponent(parts[1]) : ""
            if let key, let value { fields[key] = value }
        }
        return fields
    }

    private static func decodeComponent(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
