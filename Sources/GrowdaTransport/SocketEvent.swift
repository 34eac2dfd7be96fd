import CZmq

/// What happened to a socket's connections, as reported by its monitor (`zmq_socket_monitor`).
public enum SocketEvent: Sendable, Equatable {
    /// A connection to a remote endpoint was made (TCP/IPC level; the handshake follows).
    case connected
    /// A connect could not complete at once and is pending.
    case connectDelayed
    /// A reconnect is scheduled after this interval.
    case connectRetried(interval: Duration)
    /// The socket is listening on the endpoint.
    case listening
    /// Binding failed with this errno.
    case bindFailed(errno: Int32)
    /// A peer's connection was accepted.
    case accepted
    /// Accepting a connection failed with this errno.
    case acceptFailed(errno: Int32)
    /// A connection's descriptor was closed.
    case closed
    /// Closing a descriptor failed with this errno.
    case closeFailed(errno: Int32)
    /// A connection was lost (peer gone, heartbeat timeout, oversize message, ...).
    case disconnected
    /// The ZMTP handshake with a peer completed.
    case handshakeSucceeded
    /// The ZMTP handshake with a peer failed.
    case handshakeFailed(HandshakeFailure)
    /// Monitoring of the socket ended.
    case monitorStopped
    /// An event this module does not know, with libzmq's raw id and value.
    case unknown(event: UInt16, value: UInt32)

    /// Why a handshake failed.
    public enum HandshakeFailure: Sendable, Equatable {
        /// No detail; the errno libzmq gave.
        case noDetail(errno: Int32)
        /// A ZMTP protocol error (one of libzmq's `ZMQ_PROTOCOL_ERROR_*` codes).
        case protocolError(code: UInt32)
        /// The peer's credentials were refused (a ZAP status code such as 400).
        case authentication(statusCode: UInt32)
    }

    /// Decodes libzmq's 16-bit event id and 32-bit value.
    init(event: UInt16, value: UInt32) {
        let errno = Int32(bitPattern: value)
        switch Int32(event) {
        case ZMQ_EVENT_CONNECTED: self = .connected
        case ZMQ_EVENT_CONNECT_DELAYED: self = .connectDelayed
        case ZMQ_EVENT_CONNECT_RETRIED: self = .connectRetried(interval: .milliseconds(Int64(value)))
        case ZMQ_EVENT_LISTENING: self = .listening
        case ZMQ_EVENT_BIND_FAILED: self = .bindFailed(errno: errno)
        case ZMQ_EVENT_ACCEPTED: self = .accepted
        case ZMQ_EVENT_ACCEPT_FAILED: self = .acceptFailed(errno: errno)
        case ZMQ_EVENT_CLOSED: self = .closed
        case ZMQ_EVENT_CLOSE_FAILED: self = .closeFailed(errno: errno)
        case ZMQ_EVENT_DISCONNECTED: self = .disconnected
        case ZMQ_EVENT_MONITOR_STOPPED: self = .monitorStopped
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: self = .handshakeSucceeded
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: self = .handshakeFailed(.noDetail(errno: errno))
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: self = .handshakeFailed(.protocolError(code: value))
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: self = .handshakeFailed(.authentication(statusCode: value))
        default: self = .unknown(event: event, value: value)
        }
    }
}

/// A ``SocketEvent`` and the endpoint it concerns.
public struct MonitorEvent: Sendable, Equatable {
    /// What happened.
    public let event: SocketEvent
    /// The local or remote endpoint, such as `tcp://127.0.0.1:40215`.
    public let endpoint: String

    /// An event on `endpoint`.
    public init(event: SocketEvent, endpoint: String) {
        self.event = event
        self.endpoint = endpoint
    }

    /// Decodes a monitor message: frame 1 is a 16-bit event id then a 32-bit value (host byte
    /// order), frame 2 the endpoint. `nil` if the message does not have that shape.
    init?(frames: [Frame]) {
        guard frames.count == 2, frames[0].count == 6 else { return nil }
        let (id, value) = frames[0].withUnsafeBytes { raw in
            (
                raw.loadUnaligned(fromByteOffset: 0, as: UInt16.self),
                raw.loadUnaligned(fromByteOffset: 2, as: UInt32.self)
            )
        }
        self.init(
            event: SocketEvent(event: id, value: value),
            endpoint: String(decoding: frames[1].bytes, as: UTF8.self)
        )
    }
}
