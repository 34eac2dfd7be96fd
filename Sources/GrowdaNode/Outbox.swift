/// Where an `Outbox` keeps its entries across restarts (the node's state folder; a test may keep them in memory).
protocol OutboxStorage: AnyObject {
    /// Every entry kept, by sequence number.
    func outbox() throws -> [UInt64: [[UInt8]]]
    /// Keeps an entry (durably, before it is first sent).
    func store(seq: UInt64, frames: [[UInt8]]) throws
    /// Forgets an acknowledged entry.
    func remove(seq: UInt64)
}

/// The node's sealed updates from the moment they are written until the aggregator acknowledges them.
///
/// It decides, and sends nothing itself: which entries are due (never sent, or their resend wait is over)
/// and allowed (admission: the aggregator's last `send_ok` covers them, or it never sends one), when an
/// acknowledgement retires entries (every entry at or below the acknowledged sequence number, oldest
/// first), and when waits start again from `resendAfter` (a new entry, or acknowledgements progressing).
/// Time is the caller's (nanoseconds of an uptime clock) and so is the jitter's random source, so tests
/// drive it exactly. Every entry is in `storage` before `add` returns and leaves it only when acknowledged:
/// a restart resends the same bytes and the aggregator counts them once.
struct Outbox {
    /// One sealed update and when it is next due.
    struct Entry {
        let frames: [[UInt8]]
        var timer: ResendTimer
    }

    /// What `acknowledge` did.
    struct Acknowledgement: Equatable {
        /// The entries it retired, oldest first.
        var retired: [UInt64] = []
        /// Whether the acknowledged sequence number grew (the waits of what remains started again).
        var progressed = false
    }

    private let storage: any OutboxStorage
    private let schedule: ResendSchedule
    private let jitter: () -> Double
    private var entries: [UInt64: Entry] = [:]

    /// The highest sequence number the aggregator has acknowledged (0: none yet).
    private(set) var settledSeq: UInt64 = 0
    /// Admission: the highest sequence number the aggregator last said it would take; nil until a reply
    /// carried `send_ok` (an aggregator without admission control never sends one: then send without asking).
    private(set) var sendOK: UInt64?

    /// An outbox holding what `storage` kept (the entries of a run before a restart), all due at once.
    /// `jitter` draws a unit in [0, 1) for each wait.
    init(
        storage: any OutboxStorage, schedule: ResendSchedule, jitter: @escaping () -> Double = { Double.random(in: 0..<1) }
    ) throws {
        self.storage = storage
        self.schedule = schedule
        self.jitter = jitter
        for (seq, frames) in try storage.outbox() { entries[seq] = Entry(frames: frames, timer: ResendTimer()) }
    }

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }
    /// The sequence numbers held, oldest first.
    var sequenceNumbers: [UInt64] { entries.keys.sorted() }
    /// The oldest entry's sequence number: what a snapshot request asks leave for (`want_send`).
    var oldest: UInt64? { entries.keys.min() }

    /// The entry `seq`, if it is held.
    subscript(seq: UInt64) -> Entry? { entries[seq] }

    /// Keeps a new entry, in storage first; it is due at once.
    mutating func add(seq: UInt64, frames: [[UInt8]]) throws {
        try storage.store(seq: seq, frames: frames)
        entries[seq] = Entry(frames: frames, timer: ResendTimer())
    }

    /// Whether the aggregator has given leave to send `seq` (or never asks for requests).
    func maySend(_ seq: UInt64) -> Bool {
        guard let sendOK else { return true }
        return sendOK >= seq
    }

    /// The entries to send at `now`, oldest first: due and allowed.
    func due(now: UInt64) -> [UInt64] {
        sequenceNumbers.filter { entries[$0]!.timer.isDue(now: now) && maySend($0) }
    }

    /// Records that `seq` was sent (or tried: a send that failed counts as a try, and the wait still grows);
    /// returns whether it had been sent before, and the time the next resend is due.
    @discardableResult
    mutating func sent(_ seq: UInt64, at now: UInt64) -> (again: Bool, nextDue: UInt64?) {
        guard var entry = entries[seq] else { return (false, nil) }
        let again = entry.timer.lastSent != nil
        entry.timer.sent(at: now, schedule: schedule, unit: jitter())
        entries[seq] = entry
        return (again, entry.timer.due)
    }

    /// Takes the leave a snapshot reply carried (`send_ok`).
    mutating func grant(through seq: UInt64) { sendOK = seq }

    /// Takes a snapshot reply's acknowledged sequence number: retires every entry at or below it, and if it
    /// grew, starts the waits of what remains again from `resendAfter` (the aggregator is taking updates).
    /// A number at or below one seen before changes nothing (replies can arrive late and out of order).
    mutating func acknowledge(through ackedSeq: UInt64) -> Acknowledgement {
        guard ackedSeq > settledSeq else { return Acknowledgement() }
        settledSeq = ackedSeq
        var result = Acknowledgement(progressed: true)
        for seq in sequenceNumbers where seq <= ackedSeq {
            entries[seq] = nil
            storage.remove(seq: seq)
            result.retired.append(seq)
        }
        for seq in entries.keys { entries[seq]!.timer.restart(schedule: schedule, unit: jitter()) }
        return result
    }
}
