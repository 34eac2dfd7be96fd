import Testing

@testable import GrowdaAggregation

@Suite("FedBuff arithmetic on hand-computed vectors")
struct FedBuffStrategyTests {
    /// K = 2, f(s) = 1/√(1 + s), η = ½, at version 3, w = [1, 2, 3].
    ///   A: node 1, τ = 3 → s = 0, n = 128 → a = 128,        Δ = [0.5, −1, 2]
    ///   B: node 2, τ = 0 → s = 3, n = 256 → a = 256 · ½ = 128, Δ = [1.5, 3, −1]
    ///   S = 128·[0.5, −1, 2] + 128·[1.5, 3, −1] = [256, 256, 128], Z = 256, S/Z = [1, 1, 0.5]
    ///   w ← [1, 2, 3] + ½·[1, 1, 0.5] = [1.5, 2.5, 3.25], version 4.
    @Test func twoUpdatesWithDifferentSamplesAndStaleness() {
        let strategy = FedBuffStrategy(
            parameterCount: 3, bufferSize: 2, maxStaleness: 8, serverLearningRate: 0.5, version: 3)
        var w: [Float] = [1, 2, 3]
        let a = offer(strategy, node: 1, base: 3, samples: 128, delta: [0.5, -1, 2])
        #expect(a == .accept(Acceptance(node: 1, version: 3, staleness: 0, weight: 128)))
        #expect(!strategy.isStepReady(StepContext(now: 0, aliveNodes: [1, 2])))
        let b = offer(strategy, node: 2, base: 0, samples: 256, delta: [1.5, 3, -1])
        #expect(b == .accept(Acceptance(node: 2, version: 3, staleness: 3, weight: 128)))
        #expect(strategy.pending == PendingStatus(count: 2, totalWeight: 256, nodes: [1, 2]))
        #expect(strategy.isStepReady(StepContext(now: 0, aliveNodes: [])))

        let summary = step(strategy, &w)
        #expect(w == [1.5, 2.5, 3.25])
        #expect(strategy.version == 4)
        #expect(
            summary
                == StepSummary(
                    version: 4, updateCount: 2, totalWeight: 256, meanStaleness: 1.5, maxStaleness: 3,
                    contributors: [1, 2], clippedCount: 0))
        #expect(strategy.pending == PendingStatus(count: 0, totalWeight: 0, nodes: []))
    }

    /// K = 3, s_max = 2, f(s) = 1/(1 + s), η = 1, at version 5, w = [0, 0].
    ///   node 1, τ = 5: s = 0, n = 64  → a = 64,  Δ = [1, 0]
    ///   node 2, τ = 2: s = 3 > 2 → refused as stale, not counted
    ///   node 3, τ = 6: from the future → refused
    ///   node 4, n = 0: refused (no samples)
    ///   node 3, τ = 4: s = 1, n = 128 → a = 64,  Δ = [0, 2]
    ///   node 1, τ = 3: s = 2, n = 384 → a = 128, Δ = [−1, 1]
    ///   S = [64, 0] + [0, 128] + [−128, 128] = [−64, 256], Z = 256 → w = [−0.25, 1], version 6.
    @Test func staleRefusalIsNotCounted() {
        let strategy = FedBuffStrategy(
            parameterCount: 2, bufferSize: 3, maxStaleness: 2, staleness: .polynomial(exponent: 1), version: 5)
        let ctx = StepContext(now: 0, aliveNodes: [1, 2, 3, 4])
        var w: [Float] = [0, 0]
        #expect(offer(strategy, node: 1, base: 5, samples: 64, delta: [1, 0]).acceptance?.weight == 64)
        #expect(
            offer(strategy, node: 2, base: 2, samples: 64, delta: [9, 9]) == .refuse(.stale(staleness: 3, limit: 2)))
        #expect(
            offer(strategy, node: 3, base: 6, samples: 64, delta: [9, 9])
                == .refuse(.futureVersion(base: 6, current: 5)))
        #expect(offer(strategy, node: 4, base: 5, samples: 0, delta: [9, 9]) == .refuse(.noSamples))
        #expect(strategy.pending.count == 1)
        #expect(offer(strategy, node: 3, base: 4, samples: 128, delta: [0, 2]).acceptance?.weight == 64)
        #expect(!strategy.isStepReady(ctx))
        #expect(offer(strategy, node: 1, base: 3, samples: 384, delta: [-1, 1]).acceptance?.weight == 128)
        #expect(strategy.isStepReady(ctx))

        let summary = step(strategy, &w)
        #expect(w == [-0.25, 1])
        #expect(summary.version == 6 && summary.updateCount == 3 && summary.totalWeight == 256)
        #expect(summary.maxStaleness == 2 && summary.meanStaleness == 1 && summary.contributors == [1, 3])

        // Staleness is now measured from version 6: τ = 3 is too old, τ = 4 just fits.
        #expect(
            offer(strategy, node: 1, base: 3, samples: 1, delta: [0, 0]) == .refuse(.stale(staleness: 3, limit: 2)))
        #expect(offer(strategy, node: 1, base: 4, samples: 3, delta: [0, 0]).acceptance?.staleness == 2)
    }

    /// K = 1, η = 1, f constant. Each step uses only the updates since the last one:
    ///   v0: Δ = [2], n = 1  → w = 0 + 2 = 2,  v1
    ///   v1: Δ = [−1], n = 3 → w = 2 − 1 = 1,  v2   (a leftover S = [2] would give 1.5 − … ≠ 1)
    ///   v2: Δ = [4], n = 1, τ = 0 (s = 2) → w = 1 + 4 = 5, v3
    @Test func versionsIncrementAndBufferResets() {
        let strategy = FedBuffStrategy(parameterCount: 1, bufferSize: 1, maxStaleness: 8, staleness: .constant)
        var w: [Float] = [0]
        #expect(strategy.version == 0)
        offer(strategy, node: 1, base: 0, samples: 1, delta: [2])
        #expect(step(strategy, &w).version == 1)
        #expect(w == [2] && strategy.version == 1)
        #expect(strategy.pending.count == 0 && strategy.pending.totalWeight == 0)
        offer(strategy, node: 1, base: 1, samples: 3, delta: [-1])
        #expect(step(strategy, &w).totalWeight == 3)
        #expect(w == [1] && strategy.version == 2)
        offer(strategy, node: 2, base: 0, samples: 1, delta: [4])
        let summary = step(strategy, &w)
        #expect(w == [5] && strategy.version == 3)
        #expect(summary.updateCount == 1 && summary.maxStaleness == 2)
    }

    /// A node may contribute twice to one FedBuff buffer: K = 2, both from node 7.
    ///   Δ = [2], n = 1; Δ = [4], n = 1 → S/Z = 3.
    @Test func sameNodeTwiceInOneBuffer() {
        let strategy = FedBuffStrategy(parameterCount: 1, bufferSize: 2, maxStaleness: 8)
        var w: [Float] = [0]
        #expect(offer(strategy, node: 7, base: 0, samples: 1, delta: [2]).acceptance != nil)
        #expect(offer(strategy, node: 7, base: 0, samples: 1, delta: [4]).acceptance != nil)
        let summary = step(strategy, &w)
        #expect(w == [3])
        #expect(summary.updateCount == 2 && summary.contributors == [7])
    }
}
