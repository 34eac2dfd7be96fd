/// The aggregator's three sockets as ZeroMQ endpoint URLs, `tcp://HOST:PORT` (IPv6 hosts in brackets).
///
/// Nodes get the endpoints built from `endpoint.host` (where to connect); the aggregator binds those built
/// from `bind.host`. The ports are the same in both.
public struct FederationEndpoints: Sendable, Equatable, Codable {
    /// The PULL socket that receives sealed updates and heartbeats from nodes (nodes PUSH).
    public var updates: String
    /// The PUB socket that broadcasts each signed, sealed global model (nodes SUB).
    public var models: String
    /// The ROUTER socket that serves snapshots to late joiners (nodes DEALER).
    public var snapshots: String

    /// Endpoints from their URLs, as they are.
    public init(updates: String, models: String, snapshots: String) {
        self.updates = updates
        self.models = models
        self.snapshots = snapshots
    }

    /// Endpoints on `host`, one port per socket.
    public init(host: String, updatesPort: Int, modelsPort: Int, snapshotsPort: Int) {
        self.init(
            updates: Self.url(host: host, port: updatesPort),
            models: Self.url(host: host, port: modelsPort),
            snapshots: Self.url(host: host, port: snapshotsPort)
        )
    }

    /// `tcp://HOST:PORT`, with an IPv6 host in brackets.
    public static func url(host: String, port: Int) -> String {
        host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
    }

    /// The host and port of a `tcp://HOST:PORT` URL, or why it is not one.
    public static func parse(_ url: String) -> Result<(host: String, port: Int), ProvisioningError> {
        let shape = "expected tcp://HOST:PORT"
        guard url.hasPrefix("tcp://") else { return .failure(.invalidHost(host: url, reason: shape)) }
        let rest = url.dropFirst("tcp://".count)
        let host: Substring
        let portText: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else {
                return .failure(.invalidHost(host: url, reason: shape))
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            portText = rest[rest.index(close, offsetBy: 2)...]
        } else {
            guard let colon = rest.lastIndex(of: ":") else { return .failure(.invalidHost(host: url, reason: shape)) }
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard let port = Int(portText), (1...65535).contains(port) else {
            return .failure(.invalidHost(host: url, reason: "the port must be a number from 1 to 65535"))
        }
        do throws(ProvisioningError) {
            return .success((try Host.validated(String(host)), port))
        } catch {
            return .failure(error)
        }
    }
}
