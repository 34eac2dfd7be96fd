import Testing

@testable import GrowdaAggregator

/// Permits keep the bytes on their way within the budget, whatever the number of nodes asking.
@Suite struct AdmissionTests {
    @Test func permitsStopAtTheBudgetAndFreeUpWhenTheirUpdateIsHandled() {
        var admission = Admission(budgetBytes: 30, updateBytes: 10)
        #expect(admission.maxPermits == 3)
        let answers = (1...5).map { admission.answer(node: UInt32($0), wanted: 1, queuedBytes: 0, now: 0) }
        #expect(answers == [1, 1, 1, 0, 0])
        // Node 4 asks again: still no room until an update on its way has been handled.
        #expect(admission.answer(node: 4, wanted: 1, queuedBytes: 0, now: 1) == 0)
        admission.handled(node: 2, seq: 1)
        #expect(admission.answer(node: 4, wanted: 1, queuedBytes: 0, now: 1) == 1)
        // What the queue holds counts against the budget too.
        admission.handled(node: 1, seq: 1)
        #expect(admission.answer(node: 5, wanted: 1, queuedBytes: 15, now: 1) == 0)
        #expect(admission.answer(node: 5, wanted: 1, queuedBytes: 0, now: 1) == 1)
    }

    @Test func aNodeKeepsItsPermitWhenAskingAgainAndMovesOnToItsNextUpdate() {
        var admission = Admission(budgetBytes: 10, updateBytes: 10)
        #expect(admission.answer(node: 7, wanted: 4, queuedBytes: 0, now: 0) == 4)
        #expect(admission.answer(node: 7, wanted: 4, queuedBytes: 0, now: 20) == 4)  // renewed
        #expect(admission.answer(node: 7, wanted: nil, queuedBytes: 0, now: 21) == 4)
        #expect(admission.answer(node: 8, wanted: 1, queuedBytes: 0, now: 21) == 0)
        // Update 4 was handled elsewhere (say, refused as a replay after a restart); the node asks for 5.
        #expect(admission.answer(node: 7, wanted: 5, queuedBytes: 0, now: 22) == 5)
        #expect(admission.permits[7]?.seq == 5)
        admission.handled(node: 7, seq: 4)  // an old update handled late does not end the newer permit
        #expect(admission.permits[7]?.seq == 5)
        #expect(admission.answer(node: 9, wanted: nil, queuedBytes: 0, now: 22) == 0)
    }

    @Test func anUnusedPermitExpiresAndABudgetBelowOneUpdateStillLetsOneThrough() {
        var admission = Admission(budgetBytes: 5, updateBytes: 10, lifetime: 30)
        #expect(admission.maxPermits == 1)
        #expect(admission.answer(node: 1, wanted: 1, queuedBytes: 0, now: 0) == 1)
        #expect(admission.answer(node: 2, wanted: 1, queuedBytes: 0, now: 29) == 0)
        #expect(admission.answer(node: 2, wanted: 1, queuedBytes: 0, now: 31) == 1)  // node 1's ran out
        #expect(admission.permits.keys.sorted() == [2])
    }
}

extension AdmissionTests {
    @Test func permitsAlsoStopAtTheQueuesCapacityInMessages() {
        var admission = Admission(budgetBytes: 1000, budgetCount: 3, updateBytes: 1)
        #expect(admission.maxPermits == 3)
        #expect(admission.answer(node: 1, wanted: 1, queuedBytes: 0, queued: 1, now: 0) == 1)
        #expect(admission.answer(node: 2, wanted: 1, queuedBytes: 0, queued: 1, now: 0) == 1)
        #expect(admission.answer(node: 3, wanted: 1, queuedBytes: 0, queued: 1, now: 0) == 0)  // 1 queued + 2 on the way
        #expect(admission.answer(node: 3, wanted: 1, queuedBytes: 0, queued: 0, now: 0) == 1)
    }
}
