import GrowdaTensor
import Testing

@testable import GrowdaAggregation

@Suite("Determinism and crash recovery")
struct RecoveryTests {
    /// A fixed stream of updates: (node, base offset below the current version, samples, delta).
    struct Update {
        var node: NodeID
        var lag: UInt64
        var samples: UInt64
        var delta: [Float]
    }

    static func updates(count: Int, size: Int, seed: UInt64) -> [Update] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            Update(
                node: NodeID.random(in: 1...6, using: &rng), lag: UInt64.random(in: 0...3, using: &rng),
                samples: UInt64.random(in: 1...500, using: &rng),
                delta: (0..<size).map { _ in Float.random(in: -2...2, using: &rng) })
        }
    }

    static let config = AggregationConfig(
        mode: .async(bufferSize: 3, maxStaleness: 2), serverLearningRate: 0.01, serverOptimizer: .defaultAdam,
        clipNorm: 4)

    /// Feeds `updates` in order, stepping whenever ready; returns the weights.
    static func run(_ strategy: any AggregationStrategy, _ updates: ArraySlice<Update>, weights: [Float]) -> [Float] {
        var w = weights
        for u in updates {
            offer(
                strategy, node: u.node, base: strategy.version - min(u.lag, strategy.version), samples: u.samples,
                delta: u.delta)
            if strategy.isStepReady(StepContext(now: 0, aliveNodes: [])) { step(strategy, &w) }
        }
        return w
    }

    /// The same sequence gives the same weights and optimizer state, bit for bit.
    @Test func sameSequenceSameBits() throws {
        let updates = Self.updates(count: 40, size: 37, seed: 11)[...]
        let start = [Float](repeating: 0.5, count: 37)
        let a = try Self.config.makeStrategy(parameterCount: 37, openedAt: 0)
        let b = try Self.config.makeStrategy(parameterCount: 37, openedAt: 0)
        let wa = Self.run(a, updates, weights: start)
        let wb = Self.run(b, updates, weights: start)
        #expect(a.version > 5)
        #expect(wa != start)
        #expect(bits(wa) == bits(wb))
        #expect(a.version == b.version)
        let sa = a.exportOptimizerState(), sb = b.exportOptimizerState()
        #expect(sa.tensors.keys.sorted() == ["server.adam.m", "server.adam.v"])
        for name in sa.tensors.keys { #expect(bits(sa.tensors[name]!) == bits(sb.tensors[name]!)) }
    }

    /// A checkpoint after some steps (version, weights, optimizer state) plus the buffer exported after the
    /// updates accepted since (what the aggregator's group commit persists), restored on a fresh strategy,
    /// continues exactly as the original did.
    @Test func restoreFromExportedStateContinuesIdentically() throws {
        let updates = Self.updates(count: 30, size: 19, seed: 5)
        let start = [Float](repeating: -0.25, count: 19)
        let original = try Self.config.makeStrategy(parameterCount: 19, openedAt: 0)

        // Run until just after some step, then fold two more updates without stepping: the "crash".
        var w = start
        var index = 0
        while original.version < 4 {
            w = Self.run(original, updates[index...index], weights: w)
            index += 1
        }
        let checkpoint = (version: original.version, weights: w, state: original.exportOptimizerState())
        var pending: [Update] = []
        while original.pending.count < 2 {
            let u = updates[index]
            index += 1
            let verdict = offer(
                original, node: u.node, base: original.version - min(u.lag, original.version), samples: u.samples,
                delta: u.delta)
            if verdict.acceptance != nil { pending.append(u) }
        }
        #expect(pending.count == 2 && original.version == checkpoint.version)
        let buffer = original.exportBuffer()
        #expect(buffer.count == 2 && buffer.nodes == Set(pending.map(\.node)).sorted())
        let finalOriginal = Self.run(original, updates[index...], weights: w)

        let restored = try Self.config.makeStrategy(parameterCount: 19, openedAt: 0)
        try restored.restore(version: checkpoint.version, optimizerState: checkpoint.state, at: 0)
        #expect(restored.version == checkpoint.version)
        #expect(restored.exportOptimizerState() == checkpoint.state)
        try restored.restoreBuffer(buffer)
        #expect(restored.pending == PendingStatus(count: 2, totalWeight: buffer.totalWeight, nodes: buffer.nodes))
        #expect(restored.exportBuffer() == buffer)
        let finalRestored = Self.run(restored, updates[index...], weights: checkpoint.weights)
        #expect(restored.version == original.version)
        #expect(bits(finalRestored) == bits(finalOriginal))
        #expect(restored.exportOptimizerState() == original.exportOptimizerState())
    }

    /// A mismatched state is refused whole and leaves the strategy as it was.
    @Test func restoreRefusesMismatchedState() throws {
        let momentum = ServerMomentum(
            wrapping: FedBuffStrategy(parameterCount: 2, bufferSize: 1, maxStaleness: 1, version: 3), beta: 0.5)
        let adamState = OptimizerState(["server.adam.m": [0, 0], "server.adam.v": [1, 1]])
        #expect(throws: AggregationStateError.missingTensor(name: "server.momentum")) {
            try momentum.restore(version: 9, optimizerState: adamState, at: 0)
        }
        #expect(throws: AggregationStateError.wrongLength(name: "server.momentum", expected: 2, actual: 3)) {
            try momentum.restore(version: 9, optimizerState: OptimizerState(["server.momentum": [1, 2, 3]]), at: 0)
        }
        let extra = OptimizerState(["server.momentum": [1, 2], "server.adam.m": [0, 0]])
        #expect(throws: AggregationStateError.unexpectedTensors(names: ["server.adam.m"])) {
            try momentum.restore(version: 9, optimizerState: extra, at: 0)
        }
        #expect(momentum.version == 3)
        #expect(momentum.exportOptimizerState() == OptimizerState(["server.momentum": [0, 0]]))

        let plain = FedBuffStrategy(parameterCount: 2, bufferSize: 1, maxStaleness: 1)
        #expect(throws: AggregationStateError.unexpectedTensors(names: ["server.momentum"])) {
            try plain.restore(version: 1, optimizerState: OptimizerState(["server.momentum": [1, 2]]), at: 0)
        }
    }

    /// A buffer of another size, or whose counts contradict each other, is refused whole.
    @Test func restoreBufferRefusesMismatchedState() throws {
        let strategy = ServerMomentum(
            wrapping: FedBuffStrategy(parameterCount: 2, bufferSize: 5, maxStaleness: 1), beta: 0.5)
        offer(strategy, node: 4, base: 0, samples: 3, delta: [1, 2])
        let good = strategy.exportBuffer()
        #expect(good == BufferState(sum: [3, 6], totalWeight: 3, count: 1, nodes: [4], stalenessSum: 0, maxStaleness: 0, clippedCount: 0))
        var wrongSize = good
        wrongSize.sum = [1, 2, 3]
        #expect(throws: AggregationStateError.wrongLength(name: "buffer.sum", expected: 2, actual: 3)) {
            try strategy.restoreBuffer(wrongSize)
        }
        var noNodes = good
        noNodes.nodes = []
        var negative = good
        negative.totalWeight = -1
        var clipped = good
        clipped.clippedCount = 2
        for bad in [noNodes, negative, clipped] {
            #expect(throws: AggregationStateError.inconsistentBuffer) { try strategy.restoreBuffer(bad) }
        }
        #expect(strategy.exportBuffer() == good)
        try strategy.restoreBuffer(BufferState(sum: [0, 0], totalWeight: 0, count: 0, nodes: [], stalenessSum: 0, maxStaleness: 0, clippedCount: 0))
        #expect(strategy.pending.count == 0)
    }

    /// Restoring empties the buffer, sets the version, and with no state starts the optimizer afresh.
    @Test func restoreEmptiesBufferAndResetsOptimizer() throws {
        let strategy = ServerMomentum(
            wrapping: SyncFedAvgStrategy(parameterCount: 1, quorum: 1, deadlineSeconds: 1, openedAt: 0), beta: 0.5)
        var w: [Float] = [0]
        offer(strategy, node: 1, base: 0, samples: 1, delta: [2])
        step(strategy, &w)
        offer(strategy, node: 1, base: 1, samples: 1, delta: [5])
        try strategy.restore(version: 10, optimizerState: nil, at: 50)
        #expect(strategy.pending.count == 0 && strategy.version == 10)
        #expect(strategy.exportOptimizerState() == OptimizerState(["server.momentum": [0]]))
        #expect((strategy.inner as? SyncFedAvgStrategy)?.roundOpenedAt == 50)
        // Momentum restarted from zero: w = 2 + 1·[1] = 3.
        offer(strategy, node: 1, base: 10, samples: 1, delta: [1])
        step(strategy, &w)
        #expect(w == [3])
    }
}
