import Dispatch
import Foundation

/// Samples a process's resident memory (VmRSS) on its own thread, keeping the highest seen.
public final class MemorySampler: @unchecked Sendable {
    private let pid: Int32
    private let interval: Double
    private let lock = NSLock()
    private var peak = 0
    private var samples = 0
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)

    /// A sampler of `pid` every `interval` seconds; `start` starts it.
    public init(pid: Int32, interval: Double) {
        self.pid = pid
        self.interval = interval
    }

    /// Starts sampling.
    public func start() {
        let thread = Thread { [self] in
            while !lock.withLock({ stopping }) {
                let rss = Self.memory(of: pid).rss
                lock.withLock {
                    peak = max(peak, rss)
                    samples += 1
                }
                Thread.sleep(forTimeInterval: interval)
            }
            finished.signal()
        }
        thread.name = "bench-memory"
        thread.start()
    }

    /// The highest VmRSS seen so far, in bytes, and the number of samples.
    public var observed: (peak: Int, samples: Int) { lock.withLock { (peak, samples) } }

    /// Stops sampling (once started; later calls return at once); returns the highest VmRSS seen, in
    /// bytes, and the number of samples.
    @discardableResult
    public func stop() -> (peak: Int, samples: Int) {
        let first = lock.withLock {
            defer { stopping = true }
            return !stopping
        }
        if first { finished.wait() }
        return observed
    }
}

extension MemorySampler {
    /// VmRSS and VmHWM (the kernel's own peak of VmRSS) of a process, in bytes (Linux /proc; 0 elsewhere).
    public static func memory(of pid: Int32) -> (rss: Int, hwm: Int) {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return (Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0)
                * 1024
        }
        return (field("VmRSS"), field("VmHWM"))
    }
}
