/// Whether the aggregator answers this node: socket-free, driven by the agent with the time.
///
/// A node asks the aggregator something every poll (a snapshot request: the latest model, its
/// acknowledgements, leave to send). An aggregator that runs answers every one it can open. So a node
/// that keeps asking and never hears back is cut off (the aggregator is down, or this host cannot reach
/// it) or is not believed: a bundle with a key the federation does not hold for this node makes the
/// aggregator refuse every message as `bad_mac`, and nothing comes back. Either way, updates are never
/// acknowledged: the node must say so plainly, not only "update resent".
///
/// The clock starts at the first question after the last answer. After `warningAfter` seconds without
/// an answer the contact is `.warning`, after `errorAfter` it is `.error`; any answer makes it `.ok`.
public struct AggregatorContact: Equatable, Sendable {
    /// How the conversation stands.
    public enum Level: String, Codable, Sendable, Comparable {
        case ok, warning, error

        public static func < (a: Level, b: Level) -> Bool { a.rank < b.rank }
        private var rank: Int { self == .ok ? 0 : self == .warning ? 1 : 2 }
    }

    /// Seconds without an answer before a warning, and before an error.
    let warningAfter: Double, errorAfter: Double
    /// When the first question not yet answered was asked (nil: every question so far was answered).
    private(set) var waitingSince: Double?
    /// When the last answer came (nil: none since the node started).
    private(set) var lastAnswer: Double?
    /// Questions asked since the last answer.
    private(set) var unanswered = 0

    init(warningAfter: Double, errorAfter: Double) {
        self.warningAfter = warningAfter
        self.errorAfter = max(errorAfter, warningAfter)
    }

    /// A question (snapshot request) went out at `now`.
    mutating func asked(at now: Double) {
        if waitingSince == nil { waitingSince = now }
        unanswered += 1
    }

    /// A verified answer came at `now`.
    mutating func answered(at now: Double) {
        lastAnswer = now
        waitingSince = nil
        unanswered = 0
    }

    /// Seconds the node has been waiting for an answer at `now` (0 when none is outstanding).
    func silence(at now: Double) -> Double { waitingSince.map { max(0, now - $0) } ?? 0 }

    /// The level at `now`.
    func level(at now: Double) -> Level {
        let silent = silence(at: now)
        return silent >= errorAfter ? .error : silent >= warningAfter ? .warning : .ok
    }
}
