import CZmq

/// A socket option, set with ``ZMQSocket/set(_:)``. Durations are sent to libzmq in whole
/// milliseconds (keepalive timings in whole seconds); `nil` means "no limit" where noted.
public enum SocketOption: Sendable, Equatable {
    /// Messages queued per peer for sending before sends block or drop (ZMQ_SNDHWM; 0 = unbounded).
    case sendHighWaterMark(Int)
    /// Messages queued per peer on receipt before libzmq stops reading (ZMQ_RCVHWM; 0 = unbounded).
    case receiveHighWaterMark(Int)
    /// Largest inbound frame in bytes (ZMQ_MAXMSGSIZE); a peer sending more is disconnected.
    /// Not enforced over `inproc://`. `nil`: no limit.
    case maxMessageSize(Int?)
    /// How long `close` keeps trying to deliver queued messages (ZMQ_LINGER). `nil`: forever.
    case linger(Duration?)
    /// OS-level TCP keepalive (ZMQ_TCP_KEEPALIVE and its IDLE/INTVL/CNT). `nil`: off.
    case tcpKeepalive(TCPKeepalive?)
    /// ZMTP heartbeats (ZMQ_HEARTBEAT_IVL/TIMEOUT/TTL), which drop dead peers. `nil`: off.
    case heartbeat(Heartbeat?)
    /// First delay before reconnecting a dropped connection (ZMQ_RECONNECT_IVL).
    case reconnectInterval(Duration)
    /// Upper bound of the exponential reconnect backoff (ZMQ_RECONNECT_IVL_MAX; zero: no backoff).
    case reconnectIntervalMax(Duration)
    /// The routing id this socket presents to a ROUTER peer (ZMQ_ROUTING_ID, 1–255 bytes).
    case routingId([UInt8])
    /// ROUTER: fail with ``ZMQError/Kind/hostUnreachable`` instead of silently dropping (ZMQ_ROUTER_MANDATORY).
    case routerMandatory(Bool)
    /// Queue messages only to completed connections (ZMQ_IMMEDIATE).
    case immediate(Bool)
    /// Keep only the newest message (ZMQ_CONFLATE; single-frame messages only).
    case conflate(Bool)
    /// SUB: receive messages starting with this prefix (ZMQ_SUBSCRIBE; empty: everything).
    case subscribe([UInt8])
    /// SUB: undo one matching `subscribe` (ZMQ_UNSUBSCRIBE).
    case unsubscribe([UInt8])
    /// How long a blocking receive waits before ``ZMQError/Kind/wouldBlock`` (ZMQ_RCVTIMEO). `nil`: forever.
    case receiveTimeout(Duration?)
    /// How long a blocking send waits before ``ZMQError/Kind/wouldBlock`` (ZMQ_SNDTIMEO). `nil`: forever.
    case sendTimeout(Duration?)
}

/// TCP keepalive timings (whole seconds).
public struct TCPKeepalive: Sendable, Equatable {
    /// Idle time before the first probe.
    public var idle: Duration
    /// Time between probes.
    public var interval: Duration
    /// Unanswered probes before the connection is dropped.
    public var probes: Int

    /// Keepalive with these timings.
    public init(idle: Duration, interval: Duration, probes: Int) {
        self.idle = idle
        self.interval = interval
        self.probes = probes
    }
}

/// ZMTP heartbeat timings.
public struct Heartbeat: Sendable, Equatable {
    /// Time between PINGs sent on an otherwise quiet connection.
    public var interval: Duration
    /// How long to wait for any traffic after a PING before dropping the connection.
    public var timeout: Duration
    /// Asks the peer to drop the connection after this long without traffic (rounded to 0.1 s).
    public var ttl: Duration

    /// Heartbeats with these timings.
    public init(interval: Duration, timeout: Duration, ttl: Duration) {
        self.interval = interval
        self.timeout = timeout
        self.ttl = ttl
    }
}

extension ZMQSocket {
    /// Sets one option.
    public func set(_ option: SocketOption) throws(ZMQError) {
        switch option {
        case .sendHighWaterMark(let n): try setInt(ZMQ_SNDHWM, "ZMQ_SNDHWM", n)
        case .receiveHighWaterMark(let n): try setInt(ZMQ_RCVHWM, "ZMQ_RCVHWM", n)
        case .maxMessageSize(let n):
            var value = Int64(n ?? -1)
            try setRaw(ZMQ_MAXMSGSIZE, "ZMQ_MAXMSGSIZE", &value, MemoryLayout<Int64>.size)
        case .linger(let d): try setInt(ZMQ_LINGER, "ZMQ_LINGER", d.map(\.milliseconds) ?? -1)
        case .tcpKeepalive(let k):
            try setInt(ZMQ_TCP_KEEPALIVE, "ZMQ_TCP_KEEPALIVE", k == nil ? 0 : 1)
            if let k {
                try setInt(ZMQ_TCP_KEEPALIVE_IDLE, "ZMQ_TCP_KEEPALIVE_IDLE", max(1, k.idle.milliseconds / 1000))
                try setInt(ZMQ_TCP_KEEPALIVE_INTVL, "ZMQ_TCP_KEEPALIVE_INTVL", max(1, k.interval.milliseconds / 1000))
                try setInt(ZMQ_TCP_KEEPALIVE_CNT, "ZMQ_TCP_KEEPALIVE_CNT", k.probes)
            }
        case .heartbeat(let h):
            try setInt(ZMQ_HEARTBEAT_IVL, "ZMQ_HEARTBEAT_IVL", h?.interval.milliseconds ?? 0)
            if let h {
                try setInt(ZMQ_HEARTBEAT_TIMEOUT, "ZMQ_HEARTBEAT_TIMEOUT", h.timeout.milliseconds)
                try setInt(ZMQ_HEARTBEAT_TTL, "ZMQ_HEARTBEAT_TTL", min(h.ttl.milliseconds, 6_553_599))
            }
        case .reconnectInterval(let d): try setInt(ZMQ_RECONNECT_IVL, "ZMQ_RECONNECT_IVL", d.milliseconds)
        case .reconnectIntervalMax(let d): try setInt(ZMQ_RECONNECT_IVL_MAX, "ZMQ_RECONNECT_IVL_MAX", d.milliseconds)
        case .routingId(let id): try setBytes(ZMQ_ROUTING_ID, "ZMQ_ROUTING_ID", id)
        case .routerMandatory(let on): try setInt(ZMQ_ROUTER_MANDATORY, "ZMQ_ROUTER_MANDATORY", on ? 1 : 0)
        case .immediate(let on): try setInt(ZMQ_IMMEDIATE, "ZMQ_IMMEDIATE", on ? 1 : 0)
        case .conflate(let on): try setInt(ZMQ_CONFLATE, "ZMQ_CONFLATE", on ? 1 : 0)
        case .subscribe(let prefix): try setBytes(ZMQ_SUBSCRIBE, "ZMQ_SUBSCRIBE", prefix)
        case .unsubscribe(let prefix): try setBytes(ZMQ_UNSUBSCRIBE, "ZMQ_UNSUBSCRIBE", prefix)
        case .receiveTimeout(let d): try setInt(ZMQ_RCVTIMEO, "ZMQ_RCVTIMEO", d.map(\.milliseconds) ?? -1)
        case .sendTimeout(let d): try setInt(ZMQ_SNDTIMEO, "ZMQ_SNDTIMEO", d.map(\.milliseconds) ?? -1)
        }
    }

    /// Sets several options in order.
    public func set(_ options: [SocketOption]) throws(ZMQError) {
        for option in options { try set(option) }
    }

    private func setInt(_ name: Int32, _ label: String, _ value: Int) throws(ZMQError) {
        var v = Int32(clamping: value)
        try setRaw(name, label, &v, MemoryLayout<Int32>.size)
    }

    private func setBytes(_ name: Int32, _ label: String, _ bytes: [UInt8]) throws(ZMQError) {
        try check("zmq_setsockopt", detail: label) {
            bytes.withUnsafeBytes { zmq_setsockopt(handle, name, $0.baseAddress, $0.count) }
        }
    }

    private func setRaw(_ name: Int32, _ label: String, _ value: UnsafeRawPointer, _ size: Int) throws(ZMQError) {
        try check("zmq_setsockopt", detail: label) { zmq_setsockopt(handle, name, value, size) }
    }

    /// Reads an `int` option (for tests and diagnostics).
    func intOption(_ name: Int32) throws(ZMQError) -> Int32 {
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        try check("zmq_getsockopt") { zmq_getsockopt(handle, name, &value, &size) }
        return value
    }

    /// Reads an `int64_t` option (for tests and diagnostics).
    func int64Option(_ name: Int32) throws(ZMQError) -> Int64 {
        var value: Int64 = 0
        var size = MemoryLayout<Int64>.size
        try check("zmq_getsockopt") { zmq_getsockopt(handle, name, &value, &size) }
        return value
    }
}

extension Duration {
    /// Whole milliseconds, truncated, clamped to `Int32`'s range.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        let ms = seconds.multipliedReportingOverflow(by: 1000)
        if ms.overflow { return seconds < 0 ? Int(Int32.min) : Int(Int32.max) }
        return Int(clamping: ms.partialValue + attoseconds / 1_000_000_000_000_000)
    }
}
