import Testing

@testable import GrowdaAggregation

@Suite("Server momentum and Adam over two steps by hand")
struct ServerOptimizerTests {
    /// FedBuff K = 1, f constant, β = ½, η = 1, w = [0, 0], m = 0:
    ///   g1 = [2, −4]: m = [2, −4],               w = [2, −4]
    ///   g2 = [1, 1]:  m = ½·[2, −4] + [1, 1] = [2, −1], w = [4, −5]
    @Test func momentumTwoSteps() {
        let base = FedBuffStrategy(parameterCount: 2, bufferSize: 1, maxStaleness: 8, staleness: .constant)
        let strategy = ServerMomentum(wrapping: base, beta: 0.5)
        var w: [Float] = [0, 0]
        offer(strategy, node: 1, base: 0, samples: 1, delta: [2, -4])
        step(strategy, &w)
        #expect(w == [2, -4])
        offer(strategy, node: 1, base: 1, samples: 1, delta: [1, 1])
        step(strategy, &w)
        #expect(w == [4, -5])
        #expect(strategy.version == 2)
        #expect(strategy.exportOptimizerState() == OptimizerState(["server.momentum": [2, -1]]))
    }

    /// FedAdam, β1 = ½, β2 = ½, τ = 1 (so v starts at τ² = 1), η = ½, w = [0, 0], m = 0:
    ///   g1 = [1, −1]: m = ½·g1 = [0.5, −0.5]; v = ½·1 + ½·[1, 1] = [1, 1];
    ///                 d = m / (√v + 1) = [0.25, −0.25];                 w = [0.125, −0.125]
    ///   g2 = [7, 1]:  m = ½·[0.5, −0.5] + ½·[7, 1] = [3.75, 0.25]; v = ½·[1, 1] + ½·[49, 1] = [25, 1];
    ///                 d = [3.75 / 6, 0.25 / 2] = [0.625, 0.125];         w = [0.4375, −0.0625]
    @Test func adamTwoSteps() {
        let base = FedBuffStrategy(
            parameterCount: 2, bufferSize: 1, maxStaleness: 8, staleness: .constant, serverLearningRate: 0.5)
        let strategy = ServerAdam(wrapping: base, beta1: 0.5, beta2: 0.5, tau: 1)
        #expect(
            strategy.exportOptimizerState() == OptimizerState(["server.adam.m": [0, 0], "server.adam.v": [1, 1]]))
        var w: [Float] = [0, 0]
        offer(strategy, node: 1, base: 0, samples: 1, delta: [1, -1])
        step(strategy, &w)
        #expect(w == [0.125, -0.125])
        offer(strategy, node: 1, base: 1, samples: 1, delta: [7, 1])
        step(strategy, &w)
        #expect(w == [0.4375, -0.0625])
        #expect(
            strategy.exportOptimizerState()
                == OptimizerState(["server.adam.m": [3.75, 0.25], "server.adam.v": [25, 1]]))
    }

    /// Clipping C = 5, K = 2, η = 1: Δ1 = [6, 8] (norm 10 → scaled by ½ to [3, 4]), Δ2 = [1, 0] (norm 1,
    /// kept); n = 1 each, weights unchanged: S = [4, 4], Z = 2 → w = [2, 2].
    @Test func clippingScalesTheDelta() {
        let base = FedBuffStrategy(parameterCount: 2, bufferSize: 2, maxStaleness: 8)
        let strategy = NormClipping(wrapping: base, maxNorm: 5)
        var w: [Float] = [0, 0]
        let v1 = strategy.verdict(for: UpdateCandidate(node: 1, baseVersion: 0, sampleCount: 1))
        let r1 = [Float](arrayLiteral: 6, 8).withUnsafeBufferPointer {
            strategy.fold(delta: $0, accepted: v1.acceptance!)
        }
        #expect(r1 == FoldRecord(node: 1, staleness: 0, weight: 1, scale: 0.5, pendingCount: 1))
        let v2 = strategy.verdict(for: UpdateCandidate(node: 2, baseVersion: 0, sampleCount: 1))
        let r2 = [Float](arrayLiteral: 1, 0).withUnsafeBufferPointer {
            strategy.fold(delta: $0, accepted: v2.acceptance!)
        }
        #expect(r2.scale == 1 && r2.weight == 1)
        let summary = step(strategy, &w)
        #expect(w == [2, 2])
        #expect(summary.clippedCount == 1 && summary.totalWeight == 2)
    }

    /// Wrappers nest: clipping around momentum around sync FedAvg, one round of one node:
    /// Δ = [0, 10] clipped to [0, 1] (C = 1), m = [0, 1], η = 2 → w = [0, 2].
    @Test func wrappersNest() {
        let base = SyncFedAvgStrategy(
            parameterCount: 2, quorum: 1, deadlineSeconds: 5, serverLearningRate: 2, openedAt: 0)
        let strategy = NormClipping(wrapping: ServerMomentum(wrapping: base, beta: 0.9), maxNorm: 1)
        var w: [Float] = [0, 0]
        offer(strategy, node: 4, base: 0, samples: 10, delta: [0, 10])
        #expect(strategy.isStepReady(StepContext(now: 0, aliveNodes: [4])))
        step(strategy, &w, at: 3)
        #expect(w == [0, 2])
        #expect(strategy.exportOptimizerState() == OptimizerState(["server.momentum": [0, 1]]))
        #expect(base.roundOpenedAt == 3)
    }
}
