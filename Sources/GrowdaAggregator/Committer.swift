import Foundation

/// The aggregator's durable writes (group commits, versions, heartbeats), run one at a time in the order
/// submitted on a thread of their own, so the processor goes on decrypting and folding while a write
/// waits for the disk. Each write carries the acknowledgements it makes true (node → settled seq); the
/// processor collects them once the write has finished, and only then tells nodes. A failed write stops
/// everything after it: the processor learns of it at its next `collect` and stops the aggregator (what
/// was not written was not acknowledged, so the nodes resend it to the restarted one).
final class Committer: @unchecked Sendable {
    private let queue = DispatchQueue(label: "growda-committer")
    private let lock = NSLock()
    private let idle = NSCondition()
    private var inFlight = 0
    private var done: [UInt32: UInt64] = [:]
    private var failure: (any Error)?

    /// Whether every submitted write has finished.
    var isIdle: Bool { idle.withLock { inFlight == 0 } }

    /// Queues `write`; once it has succeeded, `acks` are handed to the next `collect`.
    func submit(acks: [UInt32: UInt64] = [:], _ write: @escaping @Sendable () throws -> Void) {
        idle.withLock { inFlight += 1 }
        queue.async { [self] in
            let failed = lock.withLock { failure != nil }
            if !failed {
                do {
                    try write()
                    lock.withLock { for (node, seq) in acks { done[node] = max(done[node] ?? 0, seq) } }
                } catch {
                    lock.withLock { failure = error }
                }
            }
            idle.withLock {
                inFlight -= 1
                idle.broadcast()
            }
        }
    }

    /// The acknowledgements of the writes finished since the last call; throws the first write's failure.
    func collect() throws -> [UInt32: UInt64] {
        try lock.withLock {
            if let failure { throw failure }
            defer { done = [:] }
            return done
        }
    }

    /// Blocks until every submitted write has finished.
    func waitUntilIdle() {
        idle.withLock { while inFlight > 0 { idle.wait() } }
    }
}
