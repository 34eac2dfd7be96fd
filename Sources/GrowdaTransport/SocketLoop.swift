import CZmq
import Foundation

/// Runs a set of sockets on one dedicated thread and bridges them to async Swift.
///
/// ZeroMQ sockets are not thread-safe and their calls block, so they stay off Swift's cooperative
/// pool: the loop's thread polls its sockets and
/// - delivers each received message to ``messages``, a buffer of `receiveCapacity` messages; when
///   the buffer is full the new message is dropped and counted (``Counters/dropped``);
/// - sends messages handed to ``send(_:on:)-([Frame],_)`` from any thread or task. They wait in a
///   queue of `sendCapacity` messages; when it is full the message is refused and counted
///   (``Counters/refused``). The loop sends without blocking: a message the socket will not take
///   (high-water mark, unroutable) is counted as ``Counters/unsent``.
///
/// Nothing piles up without bound. All sockets share one receive buffer, so give traffic that
/// must not crowd out other traffic its own loop. ``shutdown()`` (or releasing the loop) sends what
/// is queued, closes the sockets (each lingers at most its configured linger) and joins the thread.
public final class SocketLoop: Sendable {
    /// A message received on the socket at index `socket` of the loop's socket array.
    public struct Message: Sendable, Equatable {
        /// The index of the receiving socket in the array given to the loop.
        public let socket: Int
        /// The message's frames (for a ROUTER, the first is the sender's routing id).
        public let frames: [Frame]

        /// A message received on `socket` (for fakes in tests).
        public init(socket: Int, frames: [Frame]) {
            self.socket = socket
            self.frames = frames
        }
    }

    /// A monitor event of the socket at index `socket`.
    public struct Event: Sendable, Equatable {
        /// The index of the socket in the array given to the loop.
        public let socket: Int
        /// What happened.
        public let event: MonitorEvent

        /// An event of `socket` (for fakes in tests).
        public init(socket: Int, event: MonitorEvent) {
            self.socket = socket
            self.event = event
        }
    }

    /// What the loop has done so far; read from any thread.
    public struct Counters: Sendable, Equatable {
        /// Messages received and put into ``SocketLoop/messages``.
        public var received = 0
        /// Messages received but dropped because ``SocketLoop/messages`` was full.
        public var dropped = 0
        /// Messages sent.
        public var sent = 0
        /// Messages refused by ``SocketLoop/send(_:on:)-([Frame],_)`` because the send queue was full.
        public var refused = 0
        /// Queued messages the socket would not take (high-water mark reached, unroutable).
        public var unsent = 0
        /// Monitor events dropped because ``SocketLoop/events`` was full.
        public var eventsDropped = 0
    }

    /// Received messages, in arrival order per socket. One consumer at a time; ends at shutdown.
    public let messages: AsyncStream<Message>
    /// Monitor events of every socket when the loop was made with `monitorEvents`; otherwise empty.
    public let events: AsyncStream<Event>
    /// The types of the loop's sockets, by index.
    public let socketTypes: [SocketType]

    private let state: LoopState
    private let worker: LoopWorker
    private let finished = DispatchGroup()
    private let name: String

    /// Takes ownership of `sockets` (bound, connected and subscribed as needed) and starts their thread.
    /// - Parameters:
    ///   - receiveCapacity: messages (and, separately, monitor events) buffered for the consumer.
    ///   - sendCapacity: messages waiting to be sent.
    ///   - monitorEvents: report each socket's connection events on ``events``.
    ///   - name: the thread's name.
    public convenience init(
        sockets: sending [ZMQSocket],
        receiveCapacity: Int = 64,
        sendCapacity: Int = 64,
        monitorEvents: Bool = false,
        name: String = "growda-zmq"
    ) throws(ZMQError) {
        try self.init(
            sockets: sockets,
            receiveCapacity: receiveCapacity,
            sendCapacity: sendCapacity,
            monitorEvents: monitorEvents,
            name: name,
            start: true
        )
    }

    /// As the public initializer; with `start` false the thread waits for ``start()`` (for tests).
    init(
        sockets: sending [ZMQSocket],
        receiveCapacity: Int,
        sendCapacity: Int,
        monitorEvents: Bool,
        name: String,
        start: Bool
    ) throws(ZMQError) {
        precondition(!sockets.isEmpty, "a socket loop needs at least one socket")
        precondition(receiveCapacity > 0 && sendCapacity > 0, "capacities must be positive")
        let context = sockets[0].context
        precondition(sockets.allSatisfy { $0.context === context }, "a loop's sockets share one context")

        var quiet = SocketConfiguration()
        quiet.linger = .zero
        quiet.maxMessageSize = nil
        quiet.heartbeat = nil
        quiet.tcpKeepalive = nil
        let endpoint = "inproc://growda-loop-\(UUID().uuidString)"
        let wakeReceiver = try ZMQSocket(.pair, context: context, configuration: quiet)
        try wakeReceiver.bind(endpoint)
        let wakeSender = try ZMQSocket(.pair, context: context, configuration: quiet)
        try wakeSender.connect(endpoint)
        let monitors = monitorEvents ? try sockets.map { (s) throws(ZMQError) in try SocketMonitor(s) } : []

        let (messages, messageSink) = AsyncStream.makeStream(
            of: Message.self,
            bufferingPolicy: .bufferingOldest(receiveCapacity)
        )
        let (events, eventSink) = AsyncStream.makeStream(
            of: Event.self,
            bufferingPolicy: .bufferingOldest(receiveCapacity)
        )
        if !monitorEvents { eventSink.finish() }

        self.messages = messages
        self.events = events
        self.name = name
        socketTypes = sockets.map(\.type)
        state = LoopState(sendCapacity: sendCapacity, wake: wakeSender)
        worker = LoopWorker(
            sockets: sockets,
            wake: wakeReceiver,
            monitors: monitors,
            state: state,
            messageSink: messageSink,
            eventSink: eventSink
        )
        if start { self.start() }
    }

    deinit { shutdown() }

    /// Starts the thread (once; not after shutdown).
    func start() {
        guard state.markRunning() else { return }
        finished.enter()
        let worker = self.worker
        let finished = self.finished
        let thread = Thread {
            worker.run()
            finished.leave()
        }
        thread.name = name
        thread.start()
    }

    /// Queues `frames` to be sent as one message on the socket at index `socket`, from any thread.
    /// Returns false, and counts a refusal, when the send queue is full; false (uncounted) once the
    /// loop has stopped.
    public func send(_ frames: [Frame], on socket: Int) -> Bool {
        precondition(socketTypes.indices.contains(socket), "no socket \(socket) in this loop")
        precondition(socketTypes[socket].canSend, "a \(socketTypes[socket]) socket cannot send")
        precondition(!frames.isEmpty, "a ZeroMQ message has at least one frame")
        return state.offer(Outgoing(socket: socket, frames: frames))
    }

    /// Queues byte arrays as one message; see ``send(_:on:)-([Frame],_)``.
    public func send(_ frames: [[UInt8]], on socket: Int) -> Bool {
        send(frames.map(Frame.init), on: socket)
    }

    /// The counters now.
    public var counters: Counters { state.counters }

    /// The error that stopped the loop's thread early, if one did (such as a terminated context).
    public var failure: ZMQError? { state.failure }

    /// Sends what is queued, closes the sockets, ends ``messages`` and ``events`` and joins the
    /// thread. Does not wait for delivery: queued messages get up to the sockets' linger to leave,
    /// which the context's termination (when its last socket is gone) waits for. Safe to call more
    /// than once, from any thread.
    public func shutdown() {
        if state.requestStop() {
            finished.wait()
        } else {
            worker.finish()
        }
        state.closeWake()
    }
}

/// A message waiting to be sent.
struct Outgoing: Sendable {
    let socket: Int
    let frames: [Frame]
}

/// What the caller's threads and the loop's thread share, all behind one lock.
final class LoopState: @unchecked Sendable {
    private enum Phase { case idle, running, stopping, stopped }

    private let lock = NSLock()
    private let sendCapacity: Int
    private var phase = Phase.idle
    private var outgoing: [Outgoing] = []
    private var wake: ZMQSocket?
    private var _counters = SocketLoop.Counters()
    private var _failure: ZMQError?

    init(sendCapacity: Int, wake: ZMQSocket) {
        self.sendCapacity = sendCapacity
        self.wake = wake
    }

    var counters: SocketLoop.Counters { lock.withLock { _counters } }
    var failure: ZMQError? { lock.withLock { _failure } }

    /// Moves idle to running; false if the loop already ran or was stopped.
    func markRunning() -> Bool {
        lock.withLock {
            guard phase == .idle else { return false }
            phase = .running
            return true
        }
    }

    /// Queues `item` unless full or stopped; wakes the loop when the queue stops being empty.
    func offer(_ item: Outgoing) -> Bool {
        lock.withLock {
            guard phase == .idle || phase == .running else { return false }
            guard outgoing.count < sendCapacity else {
                _counters.refused += 1
                return false
            }
            outgoing.append(item)
            if outgoing.count == 1 { signal() }
            return true
        }
    }

    /// Everything queued, and whether the loop should stop after sending it.
    func takeOutgoing() -> (items: [Outgoing], stop: Bool) {
        lock.withLock {
            defer { outgoing.removeAll(keepingCapacity: true) }
            return (outgoing, phase == .stopping)
        }
    }

    /// Asks a running loop to stop; true if a thread is (or was) running and must be joined,
    /// false if the loop never started (it is now stopped and the caller cleans up).
    func requestStop() -> Bool {
        lock.withLock {
            switch phase {
            case .idle:
                phase = .stopped
                return false
            case .running:
                phase = .stopping
                signal()
                return true
            case .stopping, .stopped:
                return true
            }
        }
    }

    /// Marks a loop whose thread has ended (asked to, or on a failure): sends are refused from now on.
    func markStopped() {
        lock.withLock { phase = .stopped }
    }

    /// Closes the waking socket once the thread has finished.
    func closeWake() {
        lock.withLock {
            phase = .stopped
            wake?.close()
            wake = nil
        }
    }

    func count(_ counter: WritableKeyPath<SocketLoop.Counters, Int>) {
        lock.withLock { _counters[keyPath: counter] += 1 }
    }

    func fail(_ error: ZMQError) {
        lock.withLock { _failure = error }
    }

    /// Wakes the loop's poll: one empty frame on the inproc PAIR, under the lock (so one thread at a
    /// time uses the socket). A full pipe means wake-ups are already pending, so that failure is moot.
    private func signal() {
        _ = try? wake?.send([Frame()], dontWait: true)
    }
}

/// The loop's thread body and everything only that thread touches once it runs.
final class LoopWorker: @unchecked Sendable {
    private static let batch = 64
    private var sockets: [ZMQSocket]
    private var monitors: [SocketMonitor]
    private var wake: ZMQSocket?
    private let state: LoopState
    private let messageSink: AsyncStream<SocketLoop.Message>.Continuation
    private let eventSink: AsyncStream<SocketLoop.Event>.Continuation

    init(
        sockets: [ZMQSocket],
        wake: ZMQSocket,
        monitors: [SocketMonitor],
        state: LoopState,
        messageSink: AsyncStream<SocketLoop.Message>.Continuation,
        eventSink: AsyncStream<SocketLoop.Event>.Continuation
    ) {
        self.sockets = sockets
        self.wake = wake
        self.monitors = monitors
        self.state = state
        self.messageSink = messageSink
        self.eventSink = eventSink
    }

    /// Polls until asked to stop or a socket fails, then closes everything.
    func run() {
        defer {
            state.markStopped()
            finish()
        }
        guard let wake else { return }
        let poller = ZMQPoller()
        poller.add(wake)
        let receivers = sockets.indices.filter { sockets[$0].type.canReceive }.map {
            (poll: poller.add(sockets[$0]), socket: $0)
        }
        let monitorPolls = monitors.map { poller.add($0.pair) }
        do {
            while true {
                let (items, stop) = state.takeOutgoing()
                for item in items { try send(item) }
                if stop { return }
                let ready = try poller.poll(timeout: nil)
                if ready[0].contains(.readable) { try drain(wake) }
                for r in receivers where ready[r.poll].contains(.readable) { try receive(from: r.socket) }
                for (i, p) in monitorPolls.enumerated() where ready[p].contains(.readable) { try readEvents(of: i) }
            }
        } catch {
            state.fail(error)
        }
    }

    /// Closes monitors, sockets and the wake-up socket, and ends both streams. Idempotent.
    func finish() {
        monitors = []
        for socket in sockets { socket.close() }
        sockets = []
        wake?.close()
        wake = nil
        messageSink.finish()
        eventSink.finish()
    }

    private func send(_ item: Outgoing) throws(ZMQError) {
        do {
            try sockets[item.socket].send(item.frames, dontWait: true)
            state.count(\.sent)
        } catch  where error.kind == .contextTerminated {
            throw error
        } catch {
            state.count(\.unsent)
        }
    }

    private func receive(from index: Int) throws(ZMQError) {
        for _ in 0..<Self.batch {
            let frames: [Frame]
            do {
                frames = try sockets[index].receive(dontWait: true)
            } catch  where error.kind == .wouldBlock {
                return
            }
            switch messageSink.yield(SocketLoop.Message(socket: index, frames: frames)) {
            case .enqueued: state.count(\.received)
            case .dropped, .terminated: state.count(\.dropped)
            @unknown default: state.count(\.dropped)
            }
        }
    }

    private func readEvents(of index: Int) throws(ZMQError) {
        while let event = try monitors[index].nextIfReady() {
            switch eventSink.yield(SocketLoop.Event(socket: index, event: event)) {
            case .enqueued: break
            default: state.count(\.eventsDropped)
            }
        }
    }

    private func drain(_ socket: ZMQSocket) throws(ZMQError) {
        while true {
            do {
                _ = try socket.receive(dontWait: true)
            } catch  where error.kind == .wouldBlock {
                return
            }
        }
    }
}
