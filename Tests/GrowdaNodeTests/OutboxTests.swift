import GrowdaTestKit
import Testing

@testable import GrowdaNode

/// The outbox with no sockets and no clock: admission, acknowledgement order, backoff and restarts.
@Suite struct OutboxTests {
    /// Storage in memory that records what was kept and forgotten, and can be made to fail.
    final class MemoryStorage: OutboxStorage {
        var kept: [UInt64: [[UInt8]]] = [:]
        var removed: [UInt64] = []
        var failStores = false
        struct Full: Error {}
        func outbox() throws -> [UInt64: [[UInt8]]] { kept }
        func store(seq: UInt64, frames: [[UInt8]]) throws {
            if failStores { throw Full() }
            kept[seq] = frames
        }
        func remove(seq: UInt64) {
            kept[seq] = nil
            removed.append(seq)
        }
    }

    static let second: UInt64 = 1_000_000_000
    /// 10 s doubling up to 80 s; jitter fixed at the middle, so waits are exactly nominal.
    static func outbox(_ storage: MemoryStorage) throws -> Outbox {
        try Outbox(storage: storage, schedule: ResendSchedule(base: .seconds(10)), jitter: { 0.5 })
    }

    /// An entry is kept before `add` returns and is due at once; a failed store adds nothing.
    @Test func keepsBeforeSending() throws {
        let storage = MemoryStorage()
        var outbox = try Self.outbox(storage)
        try outbox.add(seq: 1, frames: [[1, 2, 3]])
        #expect(storage.kept[1] == [[1, 2, 3]])
        #expect(outbox.due(now: 0) == [1])
        storage.failStores = true
        #expect(throws: MemoryStorage.Full.self) { try outbox.add(seq: 2, frames: [[4]]) }
        #expect(outbox.sequenceNumbers == [1])
    }

    /// Without `send_ok` every entry may go; with it, only those it covers, and `want_send` names the oldest.
    @Test func admission() throws {
        var outbox = try Self.outbox(MemoryStorage())
        for seq: UInt64 in 3...5 { try outbox.add(seq: seq, frames: [[UInt8(seq)]]) }
        #expect(outbox.due(now: 0) == [3, 4, 5])
        outbox.grant(through: 2)
        #expect(outbox.due(now: 0).isEmpty)
        #expect(outbox.oldest == 3)
        outbox.grant(through: 4)
        #expect(outbox.due(now: 0) == [3, 4])
        #expect(outbox.maySend(4) && !outbox.maySend(5))
    }

    /// An acknowledgement retires every entry at or below it, oldest first, and forgets them in storage;
    /// an older or repeated one (a late reply) changes nothing.
    @Test func acknowledgementOrder() throws {
        let storage = MemoryStorage()
        var outbox = try Self.outbox(storage)
        for seq: UInt64 in [7, 5, 6, 8] { try outbox.add(seq: seq, frames: [[UInt8(seq)]]) }
        #expect(outbox.acknowledge(through: 6) == .init(retired: [5, 6], progressed: true))
        #expect(storage.removed == [5, 6])
        #expect(outbox.sequenceNumbers == [7, 8])
        #expect(outbox.acknowledge(through: 6) == .init())
        #expect(outbox.acknowledge(through: 3) == .init())
        #expect(outbox.settledSeq == 6)
        #expect(outbox.acknowledge(through: 100) == .init(retired: [7, 8], progressed: true))
        #expect(outbox.isEmpty && storage.kept.isEmpty)
    }

    /// Resends back off 10, 20, 40 s; progress in acknowledgements brings what remains back to 10 s after
    /// its last send, and an acknowledgement that does not progress leaves the backoff alone.
    @Test func backoffAndReset() throws {
        var outbox = try Self.outbox(MemoryStorage())
        try outbox.add(seq: 1, frames: [[1]])
        try outbox.add(seq: 2, frames: [[2]])
        var now: UInt64 = 0
        #expect(outbox.sent(2, at: now) == (false, 10 * Self.second))
        #expect(!outbox.due(now: now).contains(2))
        now = 10 * Self.second
        #expect(outbox.sent(2, at: now) == (true, 30 * Self.second))
        now = 30 * Self.second
        #expect(outbox.sent(2, at: now) == (true, 70 * Self.second))
        #expect(outbox[2]?.timer.resends == 2)
        #expect(outbox.acknowledge(through: 0) == .init())
        #expect(outbox[2]?.timer.due == 70 * Self.second)
        _ = outbox.acknowledge(through: 1)
        #expect(outbox[2]?.timer.resends == 0)
        #expect(outbox[2]?.timer.due == 40 * Self.second)
        #expect(outbox.due(now: 39 * Self.second).isEmpty)
        #expect(outbox.due(now: 40 * Self.second) == [2])
    }

    /// A restart finds the entries storage kept, all due at once, with the same bytes.
    @Test func restoresAfterRestart() throws {
        let storage = MemoryStorage()
        var first = try Self.outbox(storage)
        try first.add(seq: 4, frames: [[4, 4], [9]])
        try first.add(seq: 5, frames: [[5]])
        first.sent(4, at: 0)
        first.sent(5, at: 0)
        _ = first.acknowledge(through: 4)
        let second = try Self.outbox(storage)
        #expect(second.sequenceNumbers == [5])
        #expect(second[5]?.frames == [[5]])
        #expect(second.due(now: 0) == [5])
    }

    /// The node's state folder is the outbox's storage: entries survive a new `NodeStateFolder`.
    @Test func stateFolderKeepsEntries() throws {
        let folder = try TemporaryDirectory(prefix: "growda-outbox")
        let path = folder.path("state")
        var outbox = try Outbox(storage: try NodeStateFolder(path: path), schedule: ResendSchedule(base: .seconds(1)))
        try outbox.add(seq: 9, frames: [[1, 2], [], [3]])
        try outbox.add(seq: 10, frames: [[10]])
        _ = outbox.acknowledge(through: 9)
        let again = try Outbox(storage: try NodeStateFolder(path: path), schedule: ResendSchedule(base: .seconds(1)))
        #expect(again.sequenceNumbers == [10])
        #expect(again[10]?.frames == [[10]])
    }
}
