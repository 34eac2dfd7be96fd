/// When a node sends an unacknowledged update again: exponential backoff with jitter.
///
/// The first wait after an update is sent is `base`; each resend doubles the wait (`base`, 2·`base`,
/// 4·`base`, …) up to `maximum`. Every wait is then multiplied by a random factor in
/// [1 − `jitter`, 1 + `jitter`), after the cap, so that nodes whose waits are all capped still drift
/// apart instead of resending in lockstep. On a slow link an update may take longer than `base` to
/// drain; doubling lets it arrive instead of piling more copies behind it.
///
/// Pure value: no clock and no random source of its own (the caller passes the random unit), so the
/// tests drive it exactly.
public struct ResendSchedule: Sendable, Equatable {
    /// The wait after the first send, and after acknowledgements progress.
    public let base: Duration
    /// The longest wait before jitter.
    public let maximum: Duration
    /// The relative jitter: each wait is scaled by a factor in [1 − jitter, 1 + jitter).
    public let jitter: Double

    /// The maximum when none is given: this many times `base`.
    public static let defaultMaximumFactor = 8
    /// The jitter when none is given: ±20%.
    public static let defaultJitter = 0.2

    /// A schedule from `base` doubling up to `maximum` (default 8 × `base`), each wait ±`jitter`.
    /// `base` must be positive, `maximum` at least `base`, and `jitter` in [0, 1).
    public init(base: Duration, maximum: Duration? = nil, jitter: Double = ResendSchedule.defaultJitter) {
        precondition(base > .zero, "the resend wait must be positive")
        precondition(jitter >= 0 && jitter < 1, "the resend jitter must be in [0, 1)")
        let maximum = maximum ?? base * Self.defaultMaximumFactor
        precondition(maximum >= base, "the longest resend wait must be at least the first")
        self.base = base
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The wait, before jitter, after a send that followed `resends` resends since the last reset:
    /// `base` · 2^`resends`, at most `maximum`.
    public func nominalWait(afterResends resends: Int) -> Duration {
        var wait = base
        var doublings = max(resends, 0)
        while doublings > 0 && wait < maximum {
            wait = wait * 2
            doublings -= 1
        }
        return min(wait, maximum)
    }

    /// The wait after `resends` resends, scaled by 1 + jitter·(2·`unit` − 1) for `unit` in [0, 1)
    /// (exactly the nominal wait at `unit` = ½).
    public func wait(afterResends resends: Int, unit: Double) -> Duration {
        let unit = min(max(unit, 0), 1)
        return nominalWait(afterResends: resends) * (1 + jitter * (2 * unit - 1))
    }

    /// The wait after `resends` resends, with its jitter drawn from `generator`.
    public func wait(afterResends resends: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        wait(afterResends: resends, unit: Double.random(in: 0..<1, using: &generator))
    }
}

/// The resend timer of one outbox entry, on a clock of nanoseconds (the agent's uptime clock).
///
/// Unsent, it is due at once. Each send sets the next due time from the schedule: `base` after the
/// first send, twice as long after each resend, up to the maximum. `restart` brings the wait back to
/// `base`, counted from the last send (the agent calls it when acknowledgements progress).
public struct ResendTimer: Sendable, Equatable {
    /// When it was last sent (nil: not yet).
    public private(set) var lastSent: UInt64?
    /// Resends since it was first sent or since the last `restart`.
    public private(set) var resends = 0
    /// When it is due to be sent again (nil: now).
    public private(set) var due: UInt64?

    /// A timer for an entry not sent yet.
    public init() {}

    /// Whether the entry should be sent at `now`.
    public func isDue(now: UInt64) -> Bool { due.map { now >= $0 } ?? true }

    /// Records a send (first or again) at `now`; `unit` in [0, 1) draws the jitter of the next wait.
    public mutating func sent(at now: UInt64, schedule: ResendSchedule, unit: Double) {
        if lastSent != nil { resends += 1 }
        lastSent = now
        due = now &+ Self.nanoseconds(schedule.wait(afterResends: resends, unit: unit))
    }

    /// Brings the wait back to the schedule's `base`, counted from the last send (due at once if never sent).
    public mutating func restart(schedule: ResendSchedule, unit: Double) {
        resends = 0
        guard let lastSent else { return }
        due = lastSent &+ Self.nanoseconds(schedule.wait(afterResends: 0, unit: unit))
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }
}
