import CZmq
import Foundation

/// Reports a socket's connection events (`zmq_socket_monitor` over a private `inproc://` PAIR).
///
/// Start it before `bind`/`connect` to see every event. Owned by the socket's thread, like the socket;
/// it keeps the socket alive and stops monitoring when released.
public final class SocketMonitor {
    /// The monitored socket.
    public let socket: ZMQSocket
    /// The PAIR socket the events arrive on (polled by ``SocketLoop``).
    let pair: ZMQSocket

    /// Starts monitoring every event of `socket`.
    public init(_ socket: ZMQSocket) throws(ZMQError) {
        self.socket = socket
        let endpoint = "inproc://growda-monitor-\(UUID().uuidString)"
        try check("zmq_socket_monitor", detail: endpoint) {
            zmq_socket_monitor(socket.handle, endpoint, ZMQ_EVENT_ALL)
        }
        var configuration = SocketConfiguration()
        configuration.linger = .zero
        configuration.maxMessageSize = nil
        configuration.heartbeat = nil
        configuration.tcpKeepalive = nil
        pair = try ZMQSocket(.pair, context: socket.context, configuration: configuration)
        try pair.connect(endpoint)
    }

    deinit {
        if socket.handle != nil { zmq_socket_monitor(socket.handle, nil, 0) }
    }

    /// The next event, waiting up to `timeout` (`nil`: no limit); `nil` if none came in time.
    public func next(timeout: Duration?) throws(ZMQError) -> MonitorEvent? {
        let poller = ZMQPoller()
        poller.add(pair)
        guard try poller.poll(timeout: timeout)[0].contains(.readable) else { return nil }
        return try nextIfReady()
    }

    /// The next event if one is waiting, without blocking.
    func nextIfReady() throws(ZMQError) -> MonitorEvent? {
        do {
            return MonitorEvent(frames: try pair.receive(dontWait: true))
        } catch  where error.kind == .wouldBlock {
            return nil
        }
    }
}
