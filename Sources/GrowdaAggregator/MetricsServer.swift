import FlyingFox
import Foundation
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// The aggregator's Prometheus endpoint (`growda serve --metrics-port P`): `GET /metrics` answers the
/// text exposition of ``AggregatorMetrics``; every other request gets 404.
///
/// It runs on Swift's concurrency pool through FlyingFox's non-blocking sockets and reads only the status
/// copy the aggregator publishes under its lock, so a slow or stuck scraper never touches the processing
/// thread. Off by default; it binds 127.0.0.1 unless told otherwise.
public final class MetricsServer: Service, Sendable {
    /// The address it binds (an IPv4 or IPv6 literal).
    public let host: String
    /// The port it binds.
    public let port: Int
    private let server: HTTPServer
    private let logger: Logger

    /// A server for `aggregator`'s figures on `host`:`port`; throws when `host` is not an IP address.
    public init(aggregator: Aggregator, host: String = "127.0.0.1", port: Int, logger: Logger) throws {
        guard (1...65535).contains(port) else {
            throw AggregatorError.configuration("metrics port \(port) is not a TCP port (1–65535)")
        }
        let handler = Handler(aggregator: aggregator, metrics: AggregatorMetrics())
        let timeout: TimeInterval = 10
        if host.contains(":") {
            guard let address = try? sockaddr_in6.inet6(ip6: host, port: UInt16(port)) else {
                throw Self.badHost(host)
            }
            server = HTTPServer(address: address, timeout: timeout, logger: .disabled, handler: handler)
        } else {
            guard let address = try? sockaddr_in.inet(ip4: host, port: UInt16(port)) else {
                throw Self.badHost(host)
            }
            server = HTTPServer(address: address, timeout: timeout, logger: .disabled, handler: handler)
        }
        self.host = host
        self.port = port
        self.logger = logger
    }

    /// Whether `host` is an IPv4 or IPv6 address literal (what the endpoint can bind).
    public static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    private static func badHost(_ host: String) -> AggregatorError {
        .configuration("metrics host \(host) is not an IP address; give one such as 127.0.0.1 or 0.0.0.0")
    }

    /// The URL scrapers use.
    public var url: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)/metrics" }

    /// Serves until cancelled or a graceful shutdown; throws when the address cannot be bound.
    public func run() async throws {
        logger.info("metrics endpoint listening", metadata: ["url": "\(url)"])
        let server = self.server
        do {
            // Stopping closes the listening socket, which ends `run` (cancellation alone may wait on the pool).
            try await withTaskCancellationOrGracefulShutdownHandler {
                try await server.run()
            } onCancelOrGracefulShutdown: {
                Task { await server.stop(timeout: 1) }
            }
        } catch {
            if Task.isCancelled || Task.isShuttingDownGracefully { return }
            throw AggregatorError.transport("metrics endpoint \(host):\(port): \(error)")
        }
    }

    /// Waits until the socket listens (for tests and start-up checks).
    public func waitUntilListening(seconds: Double = 5) async throws {
        try await server.waitUntilListening(timeout: seconds)
    }

    /// Answers GET /metrics; 404 for the rest.
    private struct Handler: HTTPHandler {
        let aggregator: Aggregator
        let metrics: AggregatorMetrics

        func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
            guard request.method == .GET, request.path == "/metrics" else {
                return HTTPResponse(
                    statusCode: .notFound, headers: [.contentType: "text/plain; charset=utf-8"],
                    body: Data("not found: the metrics are at GET /metrics\n".utf8))
            }
            let text = metrics.render(aggregator.status())
            return HTTPResponse(
                statusCode: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: Data(text.utf8))
        }
    }
}
