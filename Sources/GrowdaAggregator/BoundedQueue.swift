import Foundation

/// A thread-safe FIFO with a fixed capacity in items and in bytes. When full, a new item is dropped
/// and counted (never queued without bound): a node whose update is dropped resends it, since it
/// was not acknowledged.
///
/// Small items (below `smallItemBytes`, e.g. heartbeats of a few hundred bytes) get reserved
/// headroom: big items are admitted only within `capacity` and `byteCapacity`, while small items may
/// go `smallReserve` items beyond them (and so at most `smallReserve × smallItemBytes` bytes beyond).
/// A burst of large updates that fills the queue thus never crowds out heartbeats, and the queue's
/// worst case stays bounded: `capacity + smallReserve` items, `byteCapacity + smallReserve ×
/// smallItemBytes` bytes (or one oversized item alone, which an empty queue always takes). Small
/// items count towards the totals like any other, so heartbeats waiting take from the share big
/// items see (they are handled in microseconds). Every refused item, small or big, is counted in
/// `dropped`.
final class BoundedQueue<Item>: @unchecked Sendable {
    /// Items below this size (bytes) may use the reserved headroom: 64 KiB, far above a heartbeat.
    static var defaultSmallItemBytes: Int { 64 << 10 }
    /// The items of headroom reserved for small items by default.
    static var defaultSmallReserve: Int { 64 }

    private let lock = NSLock()
    private var items: [(item: Item, bytes: Int, at: UInt64)] = []
    private var head = 0
    private var bytes = 0
    /// The most items held at once (small items may go `smallReserve` beyond).
    let capacity: Int
    /// The most bytes held at once (small items may go `smallReserve × smallItemBytes` beyond).
    let byteCapacity: Int
    /// Items smaller than this many bytes are small: they may use the reserved headroom.
    let smallItemBytes: Int
    /// Items of headroom beyond `capacity` that only small items may take.
    let smallReserve: Int
    private(set) var dropped = 0
    private(set) var enqueued = 0

    /// A queue holding at most `capacity` items and `byteCapacity` bytes, plus `smallReserve` items of
    /// headroom for items smaller than `smallItemBytes`.
    init(
        capacity: Int, byteCapacity: Int, smallItemBytes: Int = defaultSmallItemBytes,
        smallReserve: Int = defaultSmallReserve
    ) {
        precondition(capacity >= 1 && byteCapacity >= 1 && smallItemBytes >= 0 && smallReserve >= 0)
        self.capacity = capacity
        self.byteCapacity = byteCapacity
        self.smallItemBytes = smallItemBytes
        self.smallReserve = smallReserve
    }

    /// Adds `item` of `size` bytes, or drops and counts it (returning false) when it does not fit:
    /// a big item within `capacity` and `byteCapacity`, a small one within those plus the headroom.
    func push(_ item: Item, size: Int, now: UInt64) -> Bool {
        lock.withLock {
            let count = items.count - head
            let small = size < smallItemBytes
            let itemLimit = small ? capacity + smallReserve : capacity
            let byteLimit = small ? byteCapacity + smallReserve * smallItemBytes : byteCapacity
            guard count < itemLimit, bytes + size <= byteLimit || count == 0 else {
                dropped += 1
                return false
            }
            items.append((item, size, now))
            bytes += size
            enqueued += 1
            return true
        }
    }

    /// Removes and returns the oldest item, if any.
    func pop() -> Item? {
        lock.withLock {
            guard head < items.count else { return nil }
            let entry = items[head]
            head += 1
            bytes -= entry.bytes
            if head > 64 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            return entry.item
        }
    }

    /// Items waiting, bytes waiting, the arrival time of the oldest, drops so far.
    func status() -> (count: Int, bytes: Int, oldest: UInt64?, dropped: Int) {
        lock.withLock { (items.count - head, bytes, head < items.count ? items[head].at : nil, dropped) }
    }
}
