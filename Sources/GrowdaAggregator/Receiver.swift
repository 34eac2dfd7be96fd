import Dispatch
import Foundation
import GrowdaTransport
import GrowdaWire
import Logging

/// A message from PULL as the receiver opened it.
struct Received {
    /// Its size on the wire.
    let bytes: Int
    /// The opened message, or why it was refused.
    let opened: Result<Message, RejectionReason>
    /// When it was refused: the sender id its clear header claims (nil when not even that could be read).
    let claimedSender: UInt32?
    /// The frames, kept only when the sender was unknown: the shell opens them again after reloading the
    /// registry (a node added since the last reload).
    let frames: [[UInt8]]?
}

/// The aggregator's receiver: owns the PULL socket on a thread of its own, opens each message there
/// (authenticates, decrypts and parses it straight from ZeroMQ's memory, with the keyring the shell
/// publishes) and moves the result into the bounded queue. Opening here puts decryption, the costliest
/// step, on a second core. A full queue drops and counts (the node resends what was not acknowledged).
///
/// Only "nothing to read" (EAGAIN) is quiet: any other receive or poll failure is counted
/// (``errors``) and logged at most once per 10 s, and the thread waits briefly before trying again, so a
/// socket that keeps failing is visible and never a hot loop. A terminated context ends the thread.
final class Receiver: @unchecked Sendable {
    private let pull: ZMQSocket
    private let queue: BoundedQueue<Received>
    private let keyring: LockedValue<AggregatorKeyring>
    private let limits: WireLimits
    private let logger: Logger
    private let stopping: @Sendable () -> Bool
    private let errorCount = LockedValue(0)

    /// A receiver for `pull` (which moves to the receiver's thread for good).
    init(
        pull: ZMQSocket, queue: BoundedQueue<Received>, keyring: LockedValue<AggregatorKeyring>, limits: WireLimits,
        logger: Logger, stopping: @escaping @Sendable () -> Bool
    ) {
        self.pull = pull
        self.queue = queue
        self.keyring = keyring
        self.limits = limits
        self.logger = logger
        self.stopping = stopping
    }

    /// Receive and poll failures other than EAGAIN so far.
    var errors: Int { errorCount.value }

    /// Starts the thread; `done` is signalled once it has stopped and closed the socket.
    func start(done: DispatchSemaphore) {
        let thread = Thread { [self] in
            run()
            pull.close()
            done.signal()
        }
        thread.name = "growda-receiver"
        thread.start()
    }

    private func run() {
        var droppedSinceLog = 0
        var lastDropLog: UInt64 = 0
        var lastErrorLog: UInt64 = 0
        let poller = ZMQPoller()
        poller.add(pull)
        while !stopping() {
            do {
                guard try poller.poll(timeout: .milliseconds(100))[0].contains(.readable) else { continue }
                while let message = try pull.tryReceive() {
                    if !enqueue(open(message)) {
                        droppedSinceLog += 1
                        let now = DispatchTime.now().uptimeNanoseconds
                        if now - lastDropLog >= 10_000_000_000 {  // one line per 10 s, not one per message
                            logger.warning(
                                "queue full: messages dropped (their nodes resend them)",
                                metadata: ["dropped": "\(droppedSinceLog)"])
                            droppedSinceLog = 0
                            lastDropLog = now
                        }
                    }
                }
            } catch {
                if error.kind == .contextTerminated { return }
                errorCount.value += 1
                let now = DispatchTime.now().uptimeNanoseconds
                if now - lastErrorLog >= 10_000_000_000 {
                    logger.error(
                        "update socket failed; retrying",
                        metadata: ["error": "\(error)", "transport.errors": "\(errorCount.value)"])
                    lastErrorLog = now
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
    }

    /// Opens one multipart message (from ZeroMQ's memory, without copying the ciphertext).
    private func open(_ message: [Frame]) -> Received {
        let bytes = message.reduce(0) { $0 + $1.count }
        let keys = keyring.value
        let opened: Result<Message, RejectionReason>
        if message.count == 2 || message.count == 3, bytes <= limits.maxMessageBytes {
            opened = message[1].withUnsafeBytes { body in
                WireDecoder.open(
                    header: message[0].bytes, body: body, signature: message.count == 3 ? message[2].bytes : nil,
                    keys: keys, limits: limits)
            }
        } else {
            opened = WireDecoder.open(message.map(\.bytes), keys: keys, limits: limits)
        }
        let unknown = if case .failure(.unknownSender) = opened { true } else { false }
        let failed = if case .failure = opened { true } else { false }
        return Received(
            bytes: bytes, opened: opened,
            claimedSender: failed && !message.isEmpty ? WireHeader.claimedSender(message[0].bytes) : nil,
            frames: unknown ? message.map(\.bytes) : nil)
    }

    private func enqueue(_ item: Received) -> Bool {
        queue.push(item, size: item.bytes, now: DispatchTime.now().uptimeNanoseconds)
    }
}
