/// The options every new ``ZMQSocket`` gets, by socket kind. Change a field to change the default
/// for all sockets made with this configuration; set per-socket extras with ``ZMQSocket/set(_:)``.
///
/// | option | applied to |
/// |---|---|
/// | linger, reconnect interval and its maximum, TCP keepalive, heartbeats | every socket |
/// | send high-water mark | PUB, PUSH, ROUTER, DEALER, PAIR |
/// | receive high-water mark, maximum message size | SUB, PULL, ROUTER, DEALER, PAIR |
public struct SocketConfiguration: Sendable, Equatable {
    /// Per-peer send queue bound, in messages. 32 × 4 MB updates = 128 MB per peer at worst.
    public var sendHighWaterMark = 32
    /// Per-peer receive queue bound, in messages.
    public var receiveHighWaterMark = 32
    /// Largest inbound frame (ZMQ_MAXMSGSIZE) on every receiving socket; `nil` for none.
    /// Size this from the largest legitimate frame (a model update is ~4 MB).
    public var maxMessageSize: Int? = 16 << 20
    /// How long closing a socket may wait to deliver queued messages.
    public var linger: Duration? = .seconds(1)
    /// First reconnect delay after a dropped connection.
    public var reconnectInterval: Duration = .milliseconds(100)
    /// Cap of the reconnect backoff.
    public var reconnectIntervalMax: Duration = .seconds(5)
    /// OS TCP keepalive; `nil` leaves it off.
    public var tcpKeepalive: TCPKeepalive? = TCPKeepalive(idle: .seconds(60), interval: .seconds(10), probes: 6)
    /// ZMTP heartbeats, which notice a silent dead peer; `nil` leaves them off.
    public var heartbeat: Heartbeat? = Heartbeat(interval: .seconds(5), timeout: .seconds(15), ttl: .seconds(15))

    /// The defaults above.
    public init() {}

    /// The options a socket of `type` gets at creation.
    public func options(for type: SocketType) -> [SocketOption] {
        var options: [SocketOption] = [
            .linger(linger),
            .reconnectInterval(reconnectInterval),
            .reconnectIntervalMax(reconnectIntervalMax),
            .tcpKeepalive(tcpKeepalive),
            .heartbeat(heartbeat),
        ]
        if type.canSend { options.append(.sendHighWaterMark(sendHighWaterMark)) }
        if type.canReceive {
            options.append(.receiveHighWaterMark(receiveHighWaterMark))
            options.append(.maxMessageSize(maxMessageSize))
        }
        return options
    }
}
