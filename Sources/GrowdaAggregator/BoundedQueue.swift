import Foundation

/// A thread-safe FIFO with a fixed capacity in items and in bytes. When full, a new item is dropped
/// and counted (never queued without bound): a node whose update is dropped resends it, since it
/// was not acknowledged.
final class BoundedQueue<Item>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(item: Item, bytes: Int, at: UInt64)] = []
    private var head = 0
    private var bytes = 0
    /// The most items held at once.
    let capacity: Int
    /// The most bytes held at once.
    let byteCapacity: Int
    private(set) var dropped = 0
    private(set) var enqueued = 0

    init(capacity: Int, byteCapacity: Int) {
        self.capacity = capacity
        self.byteCapacity = byteCapacity
    }

    /// Adds `item` of `size` bytes, or drops it (returning false) when either capacity would be exceeded.
    func push(_ item: Item, size: Int, now: UInt64) -> Bool {
        lock.withLock {
            guard items.count - head < capacity, bytes + size <= byteCapacity || items.count == head else {
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
