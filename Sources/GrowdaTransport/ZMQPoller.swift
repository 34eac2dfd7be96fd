import CZmq

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Readiness a poll asks about and reports.
public struct PollEvents: OptionSet, Sendable {
    /// The bit pattern (ZMQ_POLLIN / ZMQ_POLLOUT).
    public let rawValue: Int16
    /// Makes a set from its bit pattern.
    public init(rawValue: Int16) { self.rawValue = rawValue }
    /// A message can be received without blocking.
    public static let readable = PollEvents(rawValue: Int16(ZMQ_POLLIN))
    /// A message can be sent without blocking.
    public static let writable = PollEvents(rawValue: Int16(ZMQ_POLLOUT))
}

/// Waits on several sockets at once (`zmq_poll`). Owned by the thread that owns the sockets.
public final class ZMQPoller {
    private var sockets: [ZMQSocket] = []
    private var items: [zmq_pollitem_t] = []

    /// An empty poller.
    public init() {}

    /// The number of sockets added.
    public var count: Int { sockets.count }

    /// Adds `socket`, watched for `events`; returns its index in ``poll(timeout:)``'s result.
    @discardableResult
    public func add(_ socket: ZMQSocket, events: PollEvents = .readable) -> Int {
        sockets.append(socket)
        items.append(zmq_pollitem_t(socket: socket.handle, fd: 0, events: events.rawValue, revents: 0))
        return sockets.count - 1
    }

    /// Waits until at least one socket is ready or `timeout` passes (`nil`: no limit; `.zero`: just
    /// look). Returns, per added socket in order, which of its watched events are ready (empty if none).
    ///
    /// A signal that interrupts the wait (EINTR) is not an error: the poll goes on for what is left of
    /// `timeout`. Every other failure is thrown, such as ``ZMQError/Kind/contextTerminated`` once a
    /// socket's context has been shut down.
    public func poll(timeout: Duration?) throws(ZMQError) -> [PollEvents] {
        for i in items.indices {
            items[i].socket = sockets[i].handle
            items[i].revents = 0
        }
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + max(.zero, $0) }
        let count = Int32(items.count)
        while true {
            let ms = deadline.map { max(0, clock.now.duration(to: $0).milliseconds) } ?? -1
            let rc = items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, count, ms) }
            if rc >= 0 { return items.map { PollEvents(rawValue: $0.revents) } }
            let code = zmq_errno()
            if code != EINTR { throw ZMQError(call: "zmq_poll", code: code) }
        }
    }
}
