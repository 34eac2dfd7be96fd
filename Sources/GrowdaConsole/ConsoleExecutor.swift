import Foundation
import Synchronization

/// A few threads of the console's own that run its request handling (a Swift `TaskExecutor`), so that
/// serving never waits on Swift's shared cooperative pool: in `growda serve` and `growda-node run` that pool
/// is small (one thread per core) and other services may block it; the console stays responsive anyway.
/// Blocking work a handler does (a model's forward pass, say) then only holds one of these threads.
public final class ConsoleExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false

    /// An executor of `threads` threads named `name`.
    public init(threads: Int = 2, name: String = "growda-console") {
        for i in 0..<max(1, threads) {
            let thread = Thread { [self] in work() }
            thread.name = "\(name)-\(i)"
            thread.start()
        }
    }

    /// Queues one job; a free thread runs it.
    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        jobs.append(unowned)
        condition.signal()
        condition.unlock()
    }

    /// Lets the threads finish once the queue is empty.
    public func shutdown() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty && stopped {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
