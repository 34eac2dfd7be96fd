import Foundation

/// Counts refusals by reason, from any thread: every refusal the decoder and validators return is
/// recorded here once, and an operator reads the totals.
public final class RejectionCounter: Sendable {
    private let lock = NSLock()
    private nonisolated(unsafe) var counts = [Int](repeating: 0, count: RejectionReason.allCases.count)

    /// Makes a counter with every count at zero.
    public init() {}

    /// Adds one refusal for `reason`.
    public func record(_ reason: RejectionReason) {
        let index = Self.index(of: reason)
        lock.withLock { counts[index] += 1 }
    }

    /// Records the failure of `result`, if it is one, and returns `result` unchanged.
    @discardableResult
    public func record<Success>(_ result: Result<Success, RejectionReason>) -> Result<Success, RejectionReason> {
        if case .failure(let reason) = result { record(reason) }
        return result
    }

    /// How many refusals were recorded for `reason`.
    public func count(of reason: RejectionReason) -> Int {
        let index = Self.index(of: reason)
        return lock.withLock { counts[index] }
    }

    /// Every reason's count, zeros included.
    public func snapshot() -> [RejectionReason: Int] {
        let copy = lock.withLock { counts }
        return Dictionary(uniqueKeysWithValues: zip(RejectionReason.allCases, copy))
    }

    /// All refusals recorded.
    public var total: Int { lock.withLock { counts.reduce(0, +) } }

    private static func index(of reason: RejectionReason) -> Int {
        RejectionReason.allCases.firstIndex(of: reason) ?? 0
    }
}
