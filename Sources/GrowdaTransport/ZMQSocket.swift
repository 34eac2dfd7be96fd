import CZmq

/// A ZeroMQ socket, closed when released.
///
/// Not thread-safe (nor is libzmq's socket): use it from one thread at a time. Keep blocking calls off
/// Swift's cooperative pool: give a set of sockets to one thread of its own that waits on them with a
/// ``ZMQPoller`` (as the aggregator and the node do). Sockets get ``SocketConfiguration``'s options at
/// creation, including a bounded linger, so closing one never hangs the process.
public final class ZMQSocket {
    /// The socket's pattern.
    public let type: SocketType
    /// The context the socket lives in (kept alive by the socket).
    public let context: ZMQContext
    private(set) var handle: UnsafeMutableRawPointer?
    private let sendMessage = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
    private var receiveMessage = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)

    /// A new socket of `type` in `context`, with `configuration`'s options for that type.
    public init(_ type: SocketType, context: ZMQContext, configuration: SocketConfiguration = .init()) throws(ZMQError)
    {
        self.type = type
        self.context = context
        handle = try check("zmq_socket", detail: type.description) { zmq_socket(context.handle, type.rawValue) }
        try set(configuration.options(for: type))
    }

    deinit {
        close()
        sendMessage.deallocate()
        receiveMessage.deallocate()
    }

    /// Closes the socket now (it lingers for the configured time to deliver queued messages).
    /// Later calls fail with a ``ZMQError`` (ENOTSOCK). Safe to call more than once.
    public func close() {
        guard let h = handle else { return }
        handle = nil
        _ = try? check("zmq_close") { zmq_close(h) }
    }

    /// Binds to `endpoint` (`tcp://127.0.0.1:*` picks a free port) and returns the endpoint actually
    /// bound, such as `tcp://127.0.0.1:40215`.
    @discardableResult
    public func bind(_ endpoint: String) throws(ZMQError) -> String {
        try check("zmq_bind", detail: endpoint) { zmq_bind(handle, endpoint) }
        return try lastEndpoint()
    }

    /// Stops listening on an endpoint returned by ``bind(_:)``.
    public func unbind(_ endpoint: String) throws(ZMQError) {
        try check("zmq_unbind", detail: endpoint) { zmq_unbind(handle, endpoint) }
    }

    /// Connects to `endpoint`; libzmq connects (and reconnects) in the background.
    public func connect(_ endpoint: String) throws(ZMQError) {
        try check("zmq_connect", detail: endpoint) { zmq_connect(handle, endpoint) }
    }

    /// Drops the connection made by ``connect(_:)`` to `endpoint`.
    public func disconnect(_ endpoint: String) throws(ZMQError) {
        try check("zmq_disconnect", detail: endpoint) { zmq_disconnect(handle, endpoint) }
    }

    /// SUB: receive messages whose first frame starts with `prefix` (empty: everything).
    public func subscribe(_ prefix: [UInt8] = []) throws(ZMQError) { try set(.subscribe(prefix)) }

    /// SUB: receive messages whose first frame starts with the UTF-8 bytes of `prefix`.
    public func subscribe(_ prefix: String) throws(ZMQError) { try set(.subscribe(Array(prefix.utf8))) }

    /// SUB: undo one ``subscribe(_:)-([UInt8])`` of `prefix`.
    public func unsubscribe(_ prefix: [UInt8] = []) throws(ZMQError) { try set(.unsubscribe(prefix)) }

    /// The endpoint most recently bound or connected (ZMQ_LAST_ENDPOINT).
    public func lastEndpoint() throws(ZMQError) -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        try check("zmq_getsockopt", detail: "ZMQ_LAST_ENDPOINT") {
            zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size)
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Sends `frames` as one multipart message. Blocks at the high-water mark unless `dontWait`
    /// (then fails with ``ZMQError/Kind/wouldBlock``). Large frames made with
    /// ``Frame/init(count:initializingWith:)`` go zero-copy; others are copied once.
    public func send(_ frames: [Frame], dontWait: Bool = false) throws(ZMQError) {
        precondition(!frames.isEmpty, "a ZeroMQ message has at least one frame")
        let base: Int32 = dontWait ? ZMQ_DONTWAIT : 0
        for (i, frame) in frames.enumerated() {
            try frame.load(into: sendMessage)
            let flags = i < frames.count - 1 ? base | ZMQ_SNDMORE : base
            do {
                try check("zmq_msg_send") { zmq_msg_send(sendMessage, handle, flags) }
            } catch {
                zmq_msg_close(sendMessage)
                throw error
            }
        }
    }

    /// Sends byte arrays as one multipart message (each copied once into libzmq).
    public func send(_ frames: [[UInt8]], dontWait: Bool = false) throws(ZMQError) {
        try send(frames.map(Frame.init), dontWait: dontWait)
    }

    /// Receives one multipart message. Blocks (up to the receive timeout) unless `dontWait`;
    /// nothing available fails with ``ZMQError/Kind/wouldBlock``.
    public func receive(dontWait: Bool = false) throws(ZMQError) -> [Frame] {
        var frames: [Frame] = []
        var flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
        while true {
            zmq_msg_init(receiveMessage)
            do {
                try check("zmq_msg_recv") { zmq_msg_recv(receiveMessage, handle, flags) }
            } catch {
                zmq_msg_close(receiveMessage)
                throw error
            }
            let more = zmq_msg_more(receiveMessage) != 0
            frames.append(takeReceivedFrame())
            if !more { return frames }
            flags = 0
        }
    }

    /// Receives one multipart message if one is waiting: nil means only that nothing is there (EAGAIN).
    /// Every other failure (context terminated, a closed socket) is thrown, so a caller that
    /// drains a socket in a loop cannot spin silently on an error it took for "nothing to read".
    public func tryReceive() throws(ZMQError) -> [Frame]? {
        do {
            return try receive(dontWait: true)
        } catch where error.kind == .wouldBlock {
            return nil
        }
    }

    /// Turns the just-received message into a frame: copied if small, otherwise taken whole.
    private func takeReceivedFrame() -> Frame {
        let size = zmq_msg_size(receiveMessage)
        if size > Frame.copyLimit {
            let frame = Frame(owned: FrameStorage(taking: receiveMessage))
            receiveMessage = .allocate(capacity: 1)
            return frame
        }
        let data = UnsafeRawPointer(zmq_msg_data(receiveMessage))
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            if size > 0 { buffer.baseAddress!.initialize(from: data!.assumingMemoryBound(to: UInt8.self), count: size) }
            initialized = size
        }
        zmq_msg_close(receiveMessage)
        return Frame(bytes)
    }
}

/// Sockets belong to one thread at a time: the thread that polls them.
@available(*, unavailable)
extension ZMQSocket: Sendable {}
