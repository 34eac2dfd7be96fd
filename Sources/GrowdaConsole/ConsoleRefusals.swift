import Synchronization

/// Every request a console refused, by reason: shown on the console, in its API status and in metrics.
///
/// Thread-safe; one per console.
public final class ConsoleRefusals: Sendable {
    private let counts = Mutex<[RefusalReason: Int]>([:])
    private let served = Mutex<Int>(0)

    /// An empty count.
    public init() {}

    /// Counts one refusal.
    public func count(_ reason: RefusalReason) {
        counts.withLock { $0[reason, default: 0] += 1 }
    }

    /// Counts one request answered with success.
    func countServed() {
        served.withLock { $0 += 1 }
    }

    /// Refusals so far by reason (reasons never seen are absent).
    public var byReason: [String: Int] {
        counts.withLock { counts in
            Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) })
        }
    }

    /// All refusals so far.
    public var total: Int { counts.withLock { $0.values.reduce(0, +) } }

    /// Requests answered with success so far.
    public var servedCount: Int { served.withLock { $0 } }
}
