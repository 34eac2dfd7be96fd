import Foundation
import Testing

@testable import GrowdaAggregator

/// The committer runs writes in order off the caller's thread, hands out a write's acknowledgements only
/// once it has finished, and after a failed write runs nothing more and reports the failure.
@Suite struct CommitterTests {
    struct DiskFull: Error, Equatable {}

    @Test func acknowledgementsComeOnlyAfterTheirWriteInOrder() throws {
        let committer = Committer()
        let gate = DispatchSemaphore(value: 0)
        let order = LockedValue<[Int]>([])
        committer.submit(acks: [1: 5]) {
            gate.wait()
            order.value.append(1)
        }
        committer.submit(acks: [1: 7, 2: 1]) { order.value.append(2) }
        #expect(!committer.isIdle)
        #expect(try committer.collect().isEmpty)  // the first write is still waiting for its disk
        gate.signal()
        committer.waitUntilIdle()
        #expect(order.value == [1, 2])
        #expect(try committer.collect() == [1: 7, 2: 1])
        #expect(try committer.collect().isEmpty)
    }

    @Test func aFailedWriteStopsTheWritesAfterItAndIsReported() throws {
        let committer = Committer()
        let ran = LockedValue(0)
        committer.submit(acks: [3: 1]) { ran.value += 1 }
        committer.submit(acks: [3: 2]) { throw DiskFull() }
        committer.submit(acks: [3: 3]) { ran.value += 1 }
        committer.waitUntilIdle()
        #expect(ran.value == 1)
        #expect(throws: DiskFull.self) { try committer.collect() }
        #expect(committer.isIdle)
    }
}
