/// Admission control: how many update-sized messages may be on their way to the aggregator at once.
///
/// A node with an update ready asks leave to send it (`want_send` in its snapshot request); the
/// aggregator answers with `send_ok`, the highest seq of that node it will take now. It grants a
/// permit while the bytes of the queue plus those of the permits already out stay within
/// `budgetBytes`, so however many hospitals finish training at the same moment, the aggregator holds at
/// most about that many bytes of their updates (in ZeroMQ's buffers and its own queue) instead of one
/// update per hospital. A permit ends when an update of that node up to its seq is handled (whatever the
/// verdict) or after `lifetime` seconds (the update was lost on the way, or the node went away).
struct Admission {
    /// A node's leave to send its updates up to `seq`, until `expires`.
    struct Permit: Equatable {
        var seq: UInt64
        var expires: Double
    }

    /// The most bytes of queued updates and permitted updates on their way, together.
    let budgetBytes: Int
    /// The most messages queued and permitted updates on their way, together (the queue's capacity: an
    /// update given leave must find room).
    let budgetCount: Int
    /// The size of one update on the wire (the model's parameters as F32, plus headers).
    let updateBytes: Int
    /// How long a permit lasts without its update arriving, in seconds.
    let lifetime: Double
    private(set) var permits: [UInt32: Permit] = [:]

    init(budgetBytes: Int, budgetCount: Int = .max, updateBytes: Int, lifetime: Double = 30) {
        self.budgetBytes = budgetBytes
        self.budgetCount = budgetCount
        self.updateBytes = max(1, updateBytes)
        self.lifetime = lifetime
    }

    /// The most permits out at once when the queue is empty (never below 1: a budget smaller than one
    /// update still lets updates through one at a time).
    var maxPermits: Int { max(1, min(budgetCount, budgetBytes / updateBytes)) }

    /// Answers `node`'s request: the seq it may send up to now (0: none, ask again later). `wanted` is
    /// the update it has ready (nil: it only asks how things stand); `queuedBytes` and `queued` what the
    /// queue holds.
    mutating func answer(node: UInt32, wanted: UInt64?, queuedBytes: Int, queued: Int = 0, now: Double) -> UInt64 {
        expire(now: now)
        if let permit = permits[node], permit.seq >= (wanted ?? 0) {
            if wanted != nil { permits[node]!.expires = now + lifetime }  // still coming: keep it
            return permit.seq
        }
        guard let wanted else { return 0 }
        permits[node] = nil  // an older permit, for an update the node has since moved past
        let fits =
            queuedBytes + (permits.count + 1) * updateBytes <= budgetBytes && queued + permits.count + 1 <= budgetCount
        guard fits || permits.isEmpty else { return 0 }
        permits[node] = Permit(seq: wanted, expires: now + lifetime)
        return wanted
    }

    /// An update of `node` with `seq` was handled: its permit (for that seq or an earlier one) ends.
    mutating func handled(node: UInt32, seq: UInt64) {
        if let permit = permits[node], permit.seq <= seq { permits[node] = nil }
    }

    /// Ends the permits whose update did not come in time.
    mutating func expire(now: Double) {
        permits = permits.filter { $0.value.expires > now }
    }
}
