import Foundation
import GrowdaAggregator
import GrowdaConsole
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// The aggregator's Prometheus endpoint (`growda serve --metrics-port P`): `GET /metrics` answers the
/// text exposition of ``AggregatorMetrics``; every other request gets 404.
///
/// It runs on Hummingbird (the product's one HTTP stack) and reads only the status copy the aggregator
/// publishes under its lock, so a slow or stuck scraper never touches the processing thread. Off by
/// default; it binds 127.0.0.1 unless told otherwise. Like Prometheus's own exporters it asks for no login:
/// bind it where only the scraper reaches it. The dashboard (`--console-port`) serves the same text at
/// /metrics behind its login.
public final class MetricsServer: Service, Sendable {
    /// The address it binds (an IPv4 or IPv6 literal).
    public let host: String
    /// The port it binds (0: the system chooses; ``waitUntilListening(seconds:)`` says which).
    public let port: Int
    private let application: Application<RouterResponder<BasicRequestContext>>
    private let bound: BoundPort
    /// The thread that answers scrapes (not Swift's shared pool).
    private let executor = ConsoleExecutor(threads: 1, name: "growda-metrics")
    private let logger: Logger

    /// A server for `aggregator`'s figures on `host`:`port`; throws when `host` is not an IP address.
    public init(aggregator: Aggregator, host: String = "127.0.0.1", port: Int, logger: Logger) throws {
        guard (0...65535).contains(port) else {
            throw AggregatorError.configuration("metrics port \(port) is not a TCP port (1–65535)")
        }
        guard Self.isIPAddress(host) else {
            throw AggregatorError.configuration(
                "metrics host \(host) is not an IP address; give one such as 127.0.0.1 or 0.0.0.0")
        }
        let metrics = AggregatorMetrics()
        let router = Router(context: BasicRequestContext.self)
        router.get("/metrics") { _, _ in
            Self.exposition(metrics.render(aggregator.status()))
        }
        let bound = BoundPort()
        var quiet = logger
        if quiet.logLevel < .notice { quiet.logLevel = .notice }
        application = Application(
            router: router, configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in bound.set(channel.localAddress?.port) }, logger: quiet)
        self.bound = bound
        self.host = host
        self.port = port
        self.logger = logger
    }

    /// The Prometheus text exposition as a response.
    static func exposition(_ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Whether `host` is an IPv4 or IPv6 address literal (what the endpoint can bind).
    public static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// The URL scrapers use.
    public var url: String {
        "http://\(host.contains(":") ? "[\(host)]" : host):\(bound.value ?? port)/metrics"
    }

    /// Serves until cancelled or a graceful shutdown; throws when the address cannot be bound.
    public func run() async throws {
        logger.info("metrics endpoint listening", metadata: ["url": "\(url)"])
        let executor = self.executor
        do {
            try await withTaskExecutorPreference(executor) { try await application.run() }
        } catch {
            if Task.isCancelled || Task.isShuttingDownGracefully { return }
            throw AggregatorError.transport("metrics endpoint \(host):\(port): \(error)")
        }
    }

    /// Runs the endpoint in a task of its own on its own thread (tests).
    public func runInBackground() -> Task<Void, any Error> {
        Task(executorPreference: executor) { try await self.run() }
    }

    deinit { executor.shutdown() }

    /// Waits until the socket listens and returns its port (for tests and start-up checks).
    @discardableResult
    public func waitUntilListening(seconds: Double = 5) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if let port = bound.value { return port }
            try await Task.sleep(for: .milliseconds(20))
        }
        if let port = bound.value { return port }
        throw AggregatorError.transport("metrics endpoint \(host):\(port) did not start listening in \(seconds) s")
    }
}
