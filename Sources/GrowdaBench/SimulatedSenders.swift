import Dispatch
import Foundation
import GrowdaCrypto
import GrowdaTransport
import GrowdaWire

/// The simulated nodes of `growda bench aggregate`: a load generator standing for many hospitals. Each has its own PUSH socket, so its own tcp connection
/// to the aggregator, as a `growda-node` has; a few driver threads share the senders, each thread
/// making, using and closing only its own senders' sockets (ZeroMQ sockets are not thread-safe).
///
/// A sender sends its updates in order (seq 1…n), at most `window` of them unacknowledged at once,
/// each once the aggregator has given leave, as a node does (admission: a snapshot request with
/// `want_send` on its own DEALER socket, asked again every half second, as a node's poll, while the
/// aggregator keeps it waiting).
/// Acknowledgements come from the aggregator's status (each node's `settled_seq`, fed in with
/// `acknowledge`). An update not acknowledged `resendAfter` seconds after it was sent is sent again,
/// the wait doubling at each resend of that update (up to 8×): the aggregator drops what its full
/// queue cannot take, and only a resend brings it back.
public final class SimulatedSenders: @unchecked Sendable {
    /// One simulated node: its id and its sealed updates (seq `firstSeq` + i at index i), as frames
    /// that libzmq sends without copying (the senders stand for other machines: their copies would
    /// not take this machine's cores from the aggregator).
    public struct Sender {
        public var node: UInt32
        public var updates: [[Frame]]
        public var firstSeq: UInt64 = 1
        /// The node's keys, to seal its requests and open the aggregator's replies.
        public var keyring: NodeKeyring

        public init(node: UInt32, updates: [[Frame]], firstSeq: UInt64 = 1, keyring: NodeKeyring) {
            self.node = node
            self.updates = updates
            self.firstSeq = firstSeq
            self.keyring = keyring
        }

        /// How many of the updates a settled seq acknowledges.
        public func acknowledged(by settled: UInt64) -> Int {
            Int(min(settled >= firstSeq ? settled - firstSeq + 1 : 0, UInt64(updates.count)))
        }
    }

    /// What the senders did.
    public struct Counters {
        /// Updates sent for the first time.
        public var sent = 0
        /// Updates sent again because no acknowledgement came in time.
        public var resent = 0
        /// Sends refused by the sender's own full ZeroMQ queue (tried again shortly; not counted as sent).
        public var blocked = 0
    }

    private let senders: [Sender]
    private let endpoint: String
    private let snapshots: String
    private let window: Int
    private let resendAfter: UInt64
    private let lock = NSLock()
    private var settled: [UInt64]
    private var indexOfNode: [UInt32: Int]
    private var counters = Counters()
    private var failure: Error?
    private var stopping = false
    private let ready = DispatchSemaphore(value: 0)
    private let gate = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private var threadCount = 0

    /// Senders that will connect to `endpoint` and keep up to `window` updates each unacknowledged.
    public init(_ senders: [Sender], endpoint: String, snapshots: String, window: Int, resendAfter seconds: Double) {
        self.senders = senders
        self.endpoint = endpoint
        self.snapshots = snapshots
        self.window = max(1, window)
        self.resendAfter = UInt64(seconds * 1e9)
        settled = Array(repeating: 0, count: senders.count)
        indexOfNode = Dictionary(uniqueKeysWithValues: senders.enumerated().map { ($0.element.node, $0.offset) })
    }

    /// Starts `threads` driver threads; returns once every sender's socket is connected (ZeroMQ
    /// completes the tcp handshake in the background: call `go` a moment later).
    public func start(threads: Int) throws {
        threadCount = max(1, min(threads, senders.count))
        for t in 0..<threadCount {
            let mine = Array(stride(from: t, to: senders.count, by: threadCount))
            let thread = Thread { [self] in
                drive(mine)
                finished.signal()
            }
            thread.name = "bench-senders-\(t)"
            thread.start()
        }
        for _ in 0..<threadCount { ready.wait() }
        if let failure = lock.withLock({ failure }) {
            stop()
            throw failure
        }
    }

    /// Lets every sender send its first updates.
    public func go() {
        for _ in 0..<threadCount { gate.signal() }
    }

    /// Takes in the aggregator's acknowledgements: the settled sequence number of each node.
    public func acknowledge(_ settledByNode: [UInt32: UInt64]) {
        lock.withLock {
            for (node, seq) in settledByNode {
                if let i = indexOfNode[node] { settled[i] = max(settled[i], seq) }
            }
        }
    }

    /// Whether every sender's last update is acknowledged.
    public var allSettled: Bool {
        lock.withLock { zip(settled, senders).allSatisfy { $1.acknowledged(by: $0) == $1.updates.count } }
    }

    /// Senders whose last update is acknowledged.
    public var settledSenders: Int {
        lock.withLock { zip(settled, senders).filter { $1.acknowledged(by: $0) == $1.updates.count }.count }
    }

    /// The counts so far, and the first error a driver thread met.
    public var state: (counters: Counters, failure: Error?) { lock.withLock { (counters, failure) } }

    /// Stops the driver threads and waits for them (their sockets closed).
    public func stop() {
        let first = lock.withLock {
            let first = !stopping
            stopping = true
            return first
        }
        guard first else { return }
        go()  // in case they still wait at the gate
        for _ in 0..<threadCount { finished.wait() }
    }

    /// One driver thread: makes and connects its senders' sockets, then sends, resends and polls
    /// the acknowledgements (about every millisecond) until stopped.
    private func drive(_ mine: [Int]) {
        var context: ZMQContext?
        var sockets: [ZMQSocket] = []
        var dealers: [ZMQSocket] = []
        defer {
            for socket in sockets + dealers { socket.close() }
            context?.shutdown()
        }
        do {
            let ctx = try ZMQContext()
            context = ctx
            var configuration = SocketConfiguration()
            configuration.sendHighWaterMark = 4  // as growda-node
            configuration.linger = .zero  // at the end everything is acknowledged
            for _ in mine {
                let socket = try ZMQSocket(.push, context: ctx, configuration: configuration)
                sockets.append(socket)
                try socket.connect(endpoint)
                let dealer = try ZMQSocket(.dealer, context: ctx, configuration: configuration)
                dealers.append(dealer)
                try dealer.connect(snapshots)
            }
        } catch {
            lock.withLock {
                failure = failure ?? error
                stopping = true
            }
        }
        ready.signal()
        gate.wait()
        // Per sender, per update: when it was last sent (0: never) and how often it was resent.
        var lastSent = mine.map { Array(repeating: UInt64(0), count: senders[$0].updates.count) }
        var resends = mine.map { Array(repeating: 0, count: senders[$0].updates.count) }
        // Admission, per sender: the highest seq the aggregator gave leave for, and when it last asked.
        var leave = mine.map { _ in UInt64(0) }
        var asked = mine.map { _ in (seq: UInt64(0), at: UInt64(0)) }
        while true {
            let (acked, stop) = lock.withLock { (mine.map { settled[$0] }, stopping) }
            if stop { return }
            var local = Counters()
            for (k, i) in mine.enumerated() {
                let sender = senders[i]
                do {
                    while let frames = try dealers[k].tryReceive() {
                        if case .success(.snapshotReply(let reply)) = WireDecoder.open(
                            frames.map(\.bytes), keys: sender.keyring)
                        {
                            leave[k] = max(leave[k], reply.sendOK ?? .max)  // no send_ok: no admission control
                        }
                    }
                } catch {
                    lock.withLock {
                        failure = failure ?? error
                        stopping = true
                    }
                    return
                }
                let count = sender.updates.count
                let first = sender.acknowledged(by: acked[k])  // updates 0..<first are acknowledged
                for j in first..<min(count, first + window) {
                    let now = DispatchTime.now().uptimeNanoseconds
                    let seq = sender.firstSeq + UInt64(j)
                    if leave[k] < seq {
                        // A new update is asked for at once (as a node does when it has trained one),
                        // then again every half second (a node's poll) while the aggregator keeps it waiting.
                        if asked[k].seq != seq || now - asked[k].at >= 500_000_000 {
                            // have_version: the senders stand for nodes that hold the latest model (they
                            // get it by broadcast), so they claim one no model is newer than.
                            let request = SnapshotRequest(
                                node: sender.node, requestID: UInt64.random(in: 1...UInt64(Int64.max)),
                                haveVersion: UInt64(Int64.max), wantSend: seq)
                            do {
                                try dealers[k].send(
                                    try WireEncoder.encode(request, nodeKey: sender.keyring.nodeKey), dontWait: true)
                                asked[k] = (seq, now)
                            } catch {
                                local.blocked += 1
                            }
                        }
                        break
                    }
                    let resend = lastSent[k][j] > 0
                    if resend && now - lastSent[k][j] < resendAfter << min(resends[k][j], 3) { continue }
                    do {
                        try sockets[k].send(senders[i].updates[j], dontWait: true)
                    } catch  where error.kind == .wouldBlock {
                        local.blocked += 1
                        continue
                    } catch {
                        lock.withLock {
                            failure = failure ?? error
                            stopping = true
                        }
                        return
                    }
                    lastSent[k][j] = now
                    if resend {
                        resends[k][j] += 1
                        local.resent += 1
                    } else {
                        local.sent += 1
                    }
                }
            }
            lock.withLock {
                counters.sent += local.sent
                counters.resent += local.resent
                counters.blocked += local.blocked
            }
            Thread.sleep(forTimeInterval: 0.001)
        }
    }
}
