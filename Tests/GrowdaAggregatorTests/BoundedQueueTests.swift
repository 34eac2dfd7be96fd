import Testing

@testable import GrowdaAggregator

@Suite struct BoundedQueueTests {
    let big = 1 << 20  // an update-sized item
    let heartbeat = 300  // a heartbeat-sized item

    @Test func bigItemsStopAtTheItemCapacityAndEveryDropIsCounted() {
        let queue = BoundedQueue<Int>(capacity: 3, byteCapacity: 100 << 20)
        let admitted = (0..<5).map { queue.push($0, size: big, now: 0) }
        #expect(admitted == [true, true, true, false, false])
        #expect(queue.status().count == 3 && queue.status().bytes == 3 * big && queue.dropped == 2)
        #expect(queue.enqueued == 3)
    }

    @Test func bigItemsStopAtTheByteCapacityButAnEmptyQueueTakesOneOversizedItem() {
        let queue = BoundedQueue<Int>(capacity: 10, byteCapacity: 2 * big)
        #expect(queue.push(0, size: big, now: 0))
        #expect(queue.push(1, size: big, now: 0))
        #expect(!queue.push(2, size: 1 << 16, now: 0))  // exactly the small threshold: a big item
        #expect(queue.pop() == 0 && queue.pop() == 1 && queue.pop() == nil)
        #expect(queue.push(3, size: 5 * big, now: 0))  // alone, an oversized item is taken
        #expect(!queue.push(4, size: big, now: 0))
        #expect(queue.dropped == 2)
    }

    @Test func heartbeatsGetThroughWhenUpdatesFillTheQueue() {
        let queue = BoundedQueue<String>(capacity: 4, byteCapacity: 4 * big, smallItemBytes: 64 << 10, smallReserve: 3)
        for i in 0..<4 { #expect(queue.push("update \(i)", size: big, now: 0)) }
        #expect(!queue.push("update 4", size: big, now: 0))  // full for updates
        // The reserved headroom: three heartbeats beyond the item and byte capacity, then no more.
        let heartbeats = (0..<4).map { queue.push("heartbeat \($0)", size: heartbeat, now: 0) }
        #expect(heartbeats == [true, true, true, false])
        #expect(queue.status().count == 7 && queue.status().bytes == 4 * big + 3 * heartbeat)
        #expect(queue.dropped == 2 && queue.enqueued == 7)
        let order = (0..<8).compactMap { _ in queue.pop() }
        #expect(order == ["update 0", "update 1", "update 2", "update 3", "heartbeat 0", "heartbeat 1", "heartbeat 2"])
        #expect(queue.status().count == 0 && queue.status().bytes == 0)
    }

    @Test func waitingHeartbeatsCountTowardsTheCapacityUpdatesSee() {
        let queue = BoundedQueue<String>(capacity: 4, byteCapacity: 4 * big, smallItemBytes: 64 << 10, smallReserve: 3)
        for i in 0..<3 { #expect(queue.push("heartbeat \(i)", size: heartbeat, now: 0)) }
        #expect(queue.push("update 0", size: big, now: 0))
        #expect(!queue.push("update 1", size: big, now: 0))  // 4 items waiting: the updates' share is taken
        #expect(queue.push("heartbeat 3", size: heartbeat, now: 0))  // the headroom is still there
        #expect(queue.dropped == 1 && queue.status().count == 5)
    }

    @Test func smallItemsStayWithinTheByteHeadroom() {
        // 40 KiB items are small (below 64 KiB); the headroom is 2 × 64 KiB bytes beyond a 100 KiB cap.
        let queue = BoundedQueue<Int>(
            capacity: 100, byteCapacity: 100 << 10, smallItemBytes: 64 << 10, smallReserve: 2)
        let admitted = (0..<8).map { queue.push($0, size: 40 << 10, now: 0) }
        // 5 × 40 KiB = 200 KiB ≤ 100 + 128 KiB; the sixth would make 240 KiB.
        #expect(admitted == [true, true, true, true, true, false, false, false])
        #expect(queue.status().bytes == 200 << 10 && queue.dropped == 3)
    }

    @Test func noReserveMeansSmallItemsObeyTheSameLimits() {
        let queue = BoundedQueue<Int>(capacity: 2, byteCapacity: 10 * big, smallReserve: 0)
        let admitted = (0..<3).map { queue.push($0, size: heartbeat, now: 0) }
        #expect(admitted == [true, true, false])
        #expect(queue.dropped == 1)
    }

    @Test func statusReportsTheOldestArrival() {
        let queue = BoundedQueue<Int>(capacity: 4, byteCapacity: 4 * big)
        #expect(queue.status().oldest == nil)
        _ = queue.push(1, size: heartbeat, now: 10)
        _ = queue.push(2, size: heartbeat, now: 20)
        #expect(queue.status().oldest == 10)
        _ = queue.pop()
        #expect(queue.status().oldest == 20 && queue.status().bytes == heartbeat)
    }
}
