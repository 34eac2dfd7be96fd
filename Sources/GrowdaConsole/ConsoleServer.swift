import Foundation
import GrowdaCrypto
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import HummingbirdCore
import HummingbirdTLS
import Logging
import ServiceLifecycle
import Synchronization

/// What a console's routes get from the server they are added to.
public struct ConsoleToolkit: Sendable {
    /// The console's settings.
    public let settings: ConsoleSettings
    /// Its refusal counters (routes count nothing themselves: throwing a ``ConsoleError`` counts).
    public let refusals: ConsoleRefusals
    let stoppingFlag: StoppingFlag

    /// Whether the server is shutting down (long-lived responses end when it is).
    public var isStopping: Bool { stoppingFlag.value }

    /// A Server-Sent Events response that ends when the client leaves or the server stops.
    public func eventStream(interval: Duration, next: @escaping @Sendable () async -> [EventStream.Event]) -> Response {
        let flag = stoppingFlag
        return EventStream.response(interval: interval, stopping: { flag.value }, next: next)
    }

    /// The body of `request`, at most the console's upload limit (413 beyond it, 400 when empty).
    public func upload(_ request: Request, what: String) async throws -> [UInt8] {
        var request = request
        let body = try await request.collectBody(upTo: settings.maxUploadBytes)
        guard body.readableBytes > 0 else {
            throw ConsoleError(.badRequest, "the request has no body: send \(what) as the request body")
        }
        return Array(buffer: body)
    }
}

/// The port a server bound, once it has (Hummingbird reports it when the server runs).
public final class BoundPort: Sendable {
    private let port = Mutex<Int?>(nil)
    /// An unbound port.
    public init() {}
    /// The port, once bound.
    public var value: Int? { port.withLock { $0 } }
    /// Records the port bound.
    public func set(_ value: Int?) { port.withLock { $0 = value } }
}

/// Set once when a console starts shutting down.
final class StoppingFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var value: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}

/// One web console on Hummingbird: sign-in (token or password, sessions that expire), refusals counted and
/// answered with a message, security headers, the shared stylesheet, plain HTTP or TLS. The dashboard and
/// the diagnosis desk add their pages and API routes; every route they add is behind the login.
///
/// A `Service`: run it in the program's `ServiceGroup`; it stops on graceful shutdown.
public final class ConsoleServer: Service, Sendable {
    /// The settings it was made with.
    public let settings: ConsoleSettings
    /// Its refusals, by reason.
    public let refusals: ConsoleRefusals
    private let application: Application<RouterResponder<ConsoleContext>>
    private let boundPort: BoundPort
    /// The threads that run the console's request handling (not Swift's shared pool).
    private let executor = ConsoleExecutor(threads: 2, name: "growda-console")
    private let stopping: StoppingFlag
    private let sessions: MemoryPersistDriver<ContinuousClock>
    private let logger: Logger

    /// A console for `settings`; `addRoutes` adds the console's own pages and API (behind the login).
    /// Throws ``ConsoleSetupError`` when the token, password or TLS files cannot be used.
    /// - Parameter methods: the methods each path takes (from the console's OpenAPI document), so that another
    ///   method gets 405 with an Allow header rather than 404.
    public init(
        settings: ConsoleSettings, credentials: ConsoleCredentials? = nil, methods: [String: [String]] = [:],
        logger: Logger,
        addRoutes: (Router<ConsoleContext>, ConsoleToolkit) throws -> Void
    ) throws {
        guard (0...65535).contains(settings.port) else {
            throw ConsoleSetupError("console port \(settings.port) is not a TCP port (1–65535)")
        }
        let credentials = try credentials ?? ConsoleCredentials(
            tokenPath: settings.tokenPath, passwordPath: settings.passwordPath)
        let refusals = ConsoleRefusals()
        let stopping = StoppingFlag()
        let sessions = MemoryPersistDriver()
        let router = Router(context: ConsoleContext.self)
        router.addMiddleware {
            Gate(title: settings.title, refusals: refusals, methods: methods, logger: logger)
            SessionMiddleware<ConsoleContext>(
                storage: sessions,
                configuration: .init(
                    sessionCookieParameters: .init(
                        name: "growda_session", secure: settings.tls != nil, sameSite: .strict),
                    keyPrefix: "growda.session.", defaultSessionExpiration: settings.sessionLifetime))
            LoginGate(credentials: credentials)
        }
        router.get("/assets/console.css") { _, _ in
            Self.asset(ConsolePage.stylesheet, type: "text/css; charset=utf-8")
        }
        LoginRoutes.add(to: router, credentials: credentials, settings: settings, refusals: refusals, logger: logger)
        let toolkit = ConsoleToolkit(settings: settings, refusals: refusals, stoppingFlag: stopping)
        try addRoutes(router, toolkit)

        let server: HTTPServerBuilder
        if let tls = settings.tls {
            server = try .tls(.http1(), tlsConfiguration: Self.tlsConfiguration(tls))
        } else {
            server = .http1()
        }
        let boundPort = BoundPort()
        self.settings = settings
        self.refusals = refusals
        self.stopping = stopping
        self.sessions = sessions
        self.boundPort = boundPort
        self.logger = logger
        application = Application(
            router: router, server: server,
            configuration: .init(address: .hostname(settings.host, port: settings.port)),
            services: [sessions],
            onServerRunning: { channel in boundPort.set(channel.localAddress?.port) },
            logger: Self.quietLogger(logger))
    }

    /// Serves until a graceful shutdown or cancellation; throws when the address cannot be bound.
    public func run() async throws {
        if !ConsoleSettings.isLoopback(settings.host) && settings.tls == nil {
            logger.warning(
                "console serves plain HTTP beyond this machine: sign-ins and images cross the network unencrypted; configure TLS (a certificate and key) or bind 127.0.0.1",
                metadata: ["console": "\(settings.title)", "host": "\(settings.host)"])
        }
        let stopping = self.stopping
        let executor = self.executor
        do {
            try await withGracefulShutdownHandler {
                try await withTaskExecutorPreference(executor) { try await application.run() }
            } onGracefulShutdown: {
                stopping.set()
            }
        } catch {
            if Task.isCancelled || stopping.value { return }
            throw ConsoleSetupError("console \(settings.host):\(settings.port) could not serve: \(error)")
        }
    }

    /// Runs the console in a task of its own on its own threads (tests and benchmarks; a program runs it in
    /// its `ServiceGroup`), so that starting it needs nothing of Swift's shared pool.
    public func runInBackground() -> Task<Void, any Error> {
        Task(executorPreference: executor) { try await self.run() }
    }

    deinit { executor.shutdown() }

    /// The port the console listens on, once it does: waits up to `seconds`, then throws.
    public func waitUntilListening(seconds: Double = 10) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if let port = boundPort.value { return port }
            try await Task.sleep(for: .milliseconds(20))
        }
        // A caller that was itself kept waiting past the deadline still gets the port if it is there.
        if let port = boundPort.value { return port }
        throw ConsoleSetupError("console \(settings.host):\(settings.port) did not start listening within \(seconds) s")
    }

    /// The URL the console answers at (the bound port once listening).
    public var url: String { settings.url(port: boundPort.value) }

    private static func quietLogger(_ logger: Logger) -> Logger {
        var quiet = logger
        if quiet.logLevel < .notice { quiet.logLevel = .notice }
        return quiet
    }

    /// A PEM certificate chain and key as a TLS server configuration; the key file must be mode 0600.
    static func tlsConfiguration(_ files: ConsoleSettings.TLSFiles) throws -> TLSConfiguration {
        do {
            _ = try PrivateFile.readText(path: files.keyPath, noun: "a TLS key file")
        } catch {
            throw ConsoleSetupError("TLS key \(files.keyPath): \(error)")
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificatePath)
        } catch {
            throw ConsoleSetupError(
                "TLS certificate \(files.certificatePath) is not a PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else {
            throw ConsoleSetupError("TLS certificate \(files.certificatePath) holds no certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.keyPath, format: .pem)
        } catch {
            throw ConsoleSetupError("TLS key \(files.keyPath) is not a PEM private key (\(error))")
        }
        return TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }

    static func asset(_ text: String, type: String) -> Response { ConsoleResponse.text(text, type: type) }
}
