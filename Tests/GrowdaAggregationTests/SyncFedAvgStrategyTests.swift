import Testing

@testable import GrowdaAggregation

@Suite("Synchronous FedAvg rounds on hand-computed vectors")
struct SyncFedAvgStrategyTests {
    /// Nodes 1, 2, 3 alive; q = ½ (⌈1.5⌉ = 2 reports after the deadline); deadline 10 s; η = 1.
    ///
    /// Round 0 opens at t = 100, w = [0, 0]:
    ///   node 1: n = 1, Δ = [4, 0];  node 2: n = 3, Δ = [0, 4]
    ///   at 105 not ready (node 3 missing, deadline 110 not passed); at 110 ready (2 ≥ 2).
    ///   S = [4, 12], Z = 4 → w = [1, 3], version 1, round 1 opens at 110.
    /// Round 1:
    ///   node 3 with τ = 0 → refused as stale (s = 1, limit 0)
    ///   node 3: n = 2, Δ = [2, 2]; at 120 one report is short of the quorum of 2.
    ///   node 1: n = 2, Δ = [0, −2]; ready at 120.
    ///   S = [4, 4] + [0, −4] = [4, 0], Z = 4 → w = [2, 3], version 2.
    @Test func roundsWaitForAllOrQuorumAfterDeadline() {
        let strategy = SyncFedAvgStrategy(parameterCount: 2, quorum: 0.5, deadlineSeconds: 10, openedAt: 100)
        let all: Set<NodeID> = [1, 2, 3]
        var w: [Float] = [0, 0]
        #expect(!strategy.isStepReady(StepContext(now: 200, aliveNodes: all)))  // nothing reported

        #expect(offer(strategy, node: 1, base: 0, samples: 1, delta: [4, 0]).acceptance?.weight == 1)
        #expect(!strategy.isStepReady(StepContext(now: 111, aliveNodes: all)))  // 1 < quorum 2
        #expect(offer(strategy, node: 2, base: 0, samples: 3, delta: [0, 4]).acceptance?.weight == 3)
        #expect(!strategy.isStepReady(StepContext(now: 105, aliveNodes: all)))
        #expect(strategy.isStepReady(StepContext(now: 110, aliveNodes: all)))
        let first = step(strategy, &w, at: 110)
        #expect(w == [1, 3])
        #expect(first.version == 1 && first.contributors == [1, 2] && first.totalWeight == 4)
        #expect(strategy.version == 1 && strategy.roundOpenedAt == 110)

        #expect(
            offer(strategy, node: 3, base: 0, samples: 2, delta: [9, 9]) == .refuse(.stale(staleness: 1, limit: 0)))
        #expect(offer(strategy, node: 3, base: 1, samples: 2, delta: [2, 2]).acceptance != nil)
        #expect(!strategy.isStepReady(StepContext(now: 115, aliveNodes: all)))
        #expect(!strategy.isStepReady(StepContext(now: 120, aliveNodes: all)))
        #expect(offer(strategy, node: 1, base: 1, samples: 2, delta: [0, -2]).acceptance != nil)
        #expect(!strategy.isStepReady(StepContext(now: 119, aliveNodes: all)))
        #expect(strategy.isStepReady(StepContext(now: 120, aliveNodes: all)))
        step(strategy, &w, at: 120)
        #expect(w == [2, 3])
        #expect(strategy.version == 2)
    }

    /// A round ends before its deadline once every alive node has reported; lost nodes are not waited
    /// for, and a node reporting twice in a round is refused.
    @Test func allAliveReportedIsReadyAtOnce() {
        let strategy = SyncFedAvgStrategy(parameterCount: 1, quorum: 1, deadlineSeconds: 60, openedAt: 0)
        offer(strategy, node: 1, base: 0, samples: 5, delta: [1])
        #expect(offer(strategy, node: 1, base: 0, samples: 5, delta: [1]) == .refuse(.alreadyReported))
        #expect(strategy.pending.count == 1)
        #expect(!strategy.isStepReady(StepContext(now: 1, aliveNodes: [1, 2])))
        #expect(!strategy.isStepReady(StepContext(now: 100, aliveNodes: [1, 2])))  // quorum 1 → both needed
        #expect(strategy.isStepReady(StepContext(now: 1, aliveNodes: [1])))  // node 2 lost
        offer(strategy, node: 2, base: 0, samples: 5, delta: [3])
        #expect(strategy.isStepReady(StepContext(now: 1, aliveNodes: [1, 2])))
        // A node that reported and was then lost still counts: alive {2} ⊆ reported {1, 2}.
        #expect(strategy.isStepReady(StepContext(now: 1, aliveNodes: [2])))
    }

    /// ⌈q · N⌉ with a hair of slack for binary fractions, never below 1.
    @Test func quorumSizes() {
        let q70 = SyncFedAvgStrategy(parameterCount: 1, quorum: 0.7, deadlineSeconds: 1, openedAt: 0)
        #expect(q70.quorumSize(of: 10) == 7)
        #expect(q70.quorumSize(of: 3) == 3)  // 2.1 → 3
        #expect(q70.quorumSize(of: 0) == 1)
        let q75 = SyncFedAvgStrategy(parameterCount: 1, quorum: 0.75, deadlineSeconds: 1, openedAt: 0)
        #expect(q75.quorumSize(of: 4) == 3)
        #expect(q75.quorumSize(of: 20) == 15)
        let q10 = SyncFedAvgStrategy(parameterCount: 1, quorum: 0.1, deadlineSeconds: 1, openedAt: 0)
        #expect(q10.quorumSize(of: 3) == 1)
    }

    /// FedAvg and FedBuff give the same step for fresh updates: K = 2 FedBuff and a 2-node round on
    /// Δ = [1, 2] (n = 1) and Δ = [3, −2] (n = 3): S/Z = [10, −4]/4 = [2.5, −1].
    @Test func sameArithmeticAsFedBuffForFreshUpdates() {
        let sync = SyncFedAvgStrategy(parameterCount: 2, quorum: 1, deadlineSeconds: 1, openedAt: 0)
        let async = FedBuffStrategy(parameterCount: 2, bufferSize: 2, maxStaleness: 0)
        var ws: [Float] = [0, 0], wa: [Float] = [0, 0]
        for strategy in [sync, async] as [any AggregationStrategy] {
            offer(strategy, node: 1, base: 0, samples: 1, delta: [1, 2])
            offer(strategy, node: 2, base: 0, samples: 3, delta: [3, -2])
            #expect(strategy.isStepReady(StepContext(now: 0, aliveNodes: [1, 2])))
        }
        step(sync, &ws)
        step(async, &wa)
        #expect(ws == [2.5, -1] && wa == ws)
    }
}
