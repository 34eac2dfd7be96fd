import GrowdaTensor
import Testing

@testable import GrowdaAggregation

@Suite("Robust aggregation: trimmed mean, median, adaptive clip, share cap")
struct RobustAggregationTests {
    /// A FedBuff strategy with η = 1 and constant staleness (a = n), so a step moves the weights by the
    /// rule's direction itself.
    static func strategy(k: Int, rule: RobustRule, maxPerNode: Int? = nil, size: Int = 2) -> FedBuffStrategy {
        FedBuffStrategy(
            parameterCount: size, bufferSize: k, maxStaleness: 4, staleness: .constant, serverLearningRate: 1,
            robust: rule, maxPerNode: maxPerNode)
    }

    /// Folds each (node, samples, delta) at the current version and takes the step from zero weights.
    static func direction(
        _ s: any AggregationStrategy, _ updates: [(NodeID, UInt64, [Float])]
    ) -> ([Float], StepSummary) {
        for (node, samples, delta) in updates {
            #expect(offer(s, node: node, base: s.version, samples: samples, delta: delta).acceptance != nil)
        }
        #expect(s.isStepReady(StepContext(now: 0, aliveNodes: [])))
        var w = [Float](repeating: 0, count: s.parameterCount)
        let summary = step(s, &w)
        return (w, summary)
    }

    @Test func trimmedMeanDropsEachEndPerCoordinateAndAveragesTheRestByWeight() {
        // K = 5, β = 0.2: one value trimmed from each end of every coordinate.
        let updates: [(NodeID, UInt64, [Float])] = [
            (1, 1, [1, -50]), (2, 2, [2, 0]), (3, 3, [3, 1]), (4, 4, [4, 2]), (5, 5, [100, 3]),
        ]
        let (w, summary) = Self.direction(Self.strategy(k: 5, rule: .trimmedMean(beta: 0.2)), updates)
        // Coordinate 0 keeps 2, 3, 4 (weights 2, 3, 4); coordinate 1 keeps 0, 1, 2 (weights 2, 3, 4).
        let expected: [Float] = [Float((2.0 * 2 + 3 * 3 + 4 * 4) / 9), Float((0.0 * 2 + 1 * 3 + 2 * 4) / 9)]
        print("trimmed mean \(w), expected \(expected), max |diff| \(maxDiff(w, expected))")
        #expect(bits(w) == bits(expected))
        #expect(summary.updateCount == 5 && summary.totalWeight == 15)
        // Equal weights: the plain trimmed mean.
        let equal = updates.map { ($0.0, UInt64(1), $0.2) }
        let (w1, _) = Self.direction(Self.strategy(k: 5, rule: .trimmedMean(beta: 0.2)), equal)
        #expect(w1 == [3, 1])
    }

    @Test func medianIsTheWeightedMedianPerCoordinate() {
        // Odd K, equal weights: the middle value.
        let (w3, _) = Self.direction(
            Self.strategy(k: 3, rule: .median), [(1, 1, [5, 0]), (2, 1, [-1, 7]), (3, 1, [2, 7])])
        #expect(w3 == [2, 7])
        // Even K, equal weights: the mean of the two middle values.
        let (w4, _) = Self.direction(
            Self.strategy(k: 4, rule: .median), [(1, 1, [1, 4]), (2, 1, [2, 3]), (3, 1, [3, 2]), (4, 1, [10, -9])])
        #expect(w4 == [2.5, 2.5])
        // Weights 1, 1, 5: the heavy value holds more than half the weight.
        let (wh, _) = Self.direction(
            Self.strategy(k: 3, rule: .median), [(1, 1, [1, 9]), (2, 1, [2, 8]), (3, 5, [3, 0])])
        #expect(wh == [3, 0])
    }

    @Test func coordinateRulesOnScratchArrays() {
        var values: [Float] = [4, 1, 3, 2], weights: [Double] = [1, 1, 1, 1]
        #expect(CoordinateRule.trimmedMean(&values, &weights, count: 4, trim: 1) == 2.5)
        #expect(values == [1, 2, 3, 4])
        values = [3, 1, 2]
        weights = [1, 2, 1]  // cumulative 2 (value 1) reaches half of 4 exactly: mean of 1 and 2
        #expect(CoordinateRule.median(&values, &weights, count: 3) == 1.5)
    }

    @Test func oneHostileUpdateIsOutvotedAndCountedAsAnOutlier() {
        let honest: [Float] = [0.1, -0.2, 0.3]
        for rule in [RobustRule.median, .trimmedMean(beta: 0.25)] {
            let s = Self.strategy(k: 4, rule: rule, size: 3)
            let updates: [(NodeID, UInt64, [Float])] = [
                (1, 1, honest), (2, 1, honest.map { $0 * 1.1 }), (3, 1, honest.map { $0 * 0.9 }),
                (4, 1, honest.map { $0 * -10 }),
            ]
            let (w, summary) = Self.direction(s, updates)
            print("\(rule): direction \(w), honest \(honest), max |diff| \(maxDiff(w, honest))")
            #expect(maxDiff(w, honest) < 0.05)
            #expect(summary.outliers == [4])
        }
        // Plain FedBuff is pulled the wrong way and names no outliers.
        let (mean, summary) = Self.direction(
            Self.strategy(k: 4, rule: .none, size: 3),
            [(1, 1, honest), (2, 1, honest), (3, 1, honest), (4, 1, honest.map { $0 * -10 })])
        #expect(mean[0] < 0 && summary.outliers.isEmpty)
    }

    @Test func kRequirements() {
        #expect(RobustRule.trimmedMean(beta: 0.2).smallestBufferSize == 5)
        #expect(RobustRule.trimmedMean(beta: 0.25).smallestBufferSize == 4)
        #expect(RobustRule.trimmedMean(beta: 0.4).smallestBufferSize == 3)
        #expect(RobustRule.trimmedMean(beta: 0.1).smallestBufferSize == 10)
        #expect(RobustRule.median.smallestBufferSize == 3)
        #expect(RobustRule.trimmedMean(beta: 0.29).trimCount(bufferSize: 100) == 29)
        #expect(!RobustRule.median.works(bufferSize: 2) && RobustRule.median.works(bufferSize: 3))
        #expect(RobustRule.median.toleratedOutliers(bufferSize: 4) == 1)
        #expect(RobustRule.median.toleratedOutliers(bufferSize: 5) == 2)
        #expect(RobustRule.trimmedMean(beta: 0.25).toleratedOutliers(bufferSize: 8) == 2)
    }

    @Test func aConfigWhoseKCannotWorkIsRefusedNamingTheSmallestK() throws {
        let error = #expect(throws: AggregationConfigError.self) {
            try AggregationConfig(settings: ["fedbuff.k": "4", "fedbuff.robust": "trimmed_mean:0.2"])
        }
        guard case .bufferTooSmall(let key, let value, let k, let smallest, _) = error else {
            Issue.record("not bufferTooSmall: \(String(describing: error))")
            return
        }
        #expect(key == "fedbuff.robust" && value == "trimmed_mean:0.2" && k == 4 && smallest == 5)
        let text = error!.description
        print(text)
        #expect(text.contains("fedbuff.k = 4") && text.contains("smallest fedbuff.k that works is 5"))
        #expect(throws: AggregationConfigError.self) {
            try AggregationConfig(settings: ["fedbuff.k": "2", "fedbuff.robust": "median"])
        }
        // Sync rounds refuse a robust rule; β outside (0, 0.5) and bad shares are refused as out of range.
        for settings in [
            ["mode": "sync", "fedbuff.robust": "median"], ["fedbuff.k": "8", "fedbuff.robust": "trimmed_mean:0.5"],
            ["fedbuff.max_share": "0"], ["fedbuff.max_share": "1.5"], ["clip_norm": "adaptive:0"],
            ["clip_norm": "adaptive:0.5:0"], ["clip_norm": "adaptive:0.5:2.5"], ["fedbuff.robust": "mean"],
        ] {
            #expect(throws: AggregationConfigError.self, "\(settings)") { try AggregationConfig(settings: settings) }
        }
        // What works, and reads back from its settings.
        let config = try AggregationConfig(settings: [
            "fedbuff.k": "5", "fedbuff.robust": "trimmed_mean:0.2", "fedbuff.max_share": "0.5",
            "clip_norm": "adaptive:0.5",
        ])
        #expect(config.robust == .trimmedMean(beta: 0.2) && config.maxShare == 0.5)
        #expect(config.adaptiveClip == .init(quantile: 0.5, window: 16))
        #expect(config.maxPerNode(bufferSize: 5) == 3)
        #expect(try AggregationConfig(settings: config.settings) == config)
        #expect(config.settings["clip_norm"] == "adaptive:0.5:16")
        #expect(AggregationConfig(maxShare: 0.3).maxPerNode(bufferSize: 10) == 3)
        // Sync mode with the FedBuff keys left at none still parses (switching mode stays a one-line change).
        #expect(try AggregationConfig(settings: ["mode": "sync", "fedbuff.robust": "none"]).robust == .none)
        #expect(try AggregationConfig(settings: ["fedbuff.k": "3", "fedbuff.robust": "median"]).robust == .median)
    }

    @Test func adaptiveClipUsesTheQuantileOfTheLastNormsOnceTheWindowIsFull() throws {
        let inner = Self.strategy(k: 10, rule: .none)
        let clip = NormClipping(wrapping: inner, bound: .adaptive(quantile: 0.5, window: 4))
        var scales: [Float] = []
        for (i, norm) in [Float(1), 2, 3, 4, 10, 10].enumerated() {
            let acceptance = try #require(
                clip.verdict(for: UpdateCandidate(node: NodeID(i + 1), baseVersion: 0, sampleCount: 1)).acceptance)
            let record = [norm, 0].withUnsafeBufferPointer { clip.fold(delta: $0, accepted: acceptance) }
            scales.append(record.scale)
        }
        // Nothing clipped until four norms are known; then C = the 2nd smallest of the last four:
        // 2 of [1, 2, 3, 4], then 3 of [2, 3, 4, 10].
        #expect(scales == [1, 1, 1, 1, 0.2, 0.3])
        #expect(clip.recentNorms == [3, 4, 10, 10] && clip.maxNorm == 4)
        #expect(clip.pending.count == 6)
        // The window travels with the optimizer state and with the buffer, and comes back whole.
        let state = clip.exportOptimizerState()
        #expect(state.tensors[NormClipping.windowTensor] == [3, 4, 10, 10])
        let fresh = NormClipping(
            wrapping: Self.strategy(k: 10, rule: .none), bound: .adaptive(quantile: 0.5, window: 4))
        try fresh.restore(version: 0, optimizerState: state, at: 0)
        #expect(fresh.recentNorms == [3, 4, 10, 10])
        let buffer = clip.exportBuffer()
        #expect(buffer.recentNorms == [3, 4, 10, 10])
        let other = NormClipping(
            wrapping: Self.strategy(k: 10, rule: .none), bound: .adaptive(quantile: 0.5, window: 4))
        try other.restoreBuffer(buffer)
        #expect(other.recentNorms == clip.recentNorms && other.pending == clip.pending)
        // A fixed bound ignores a window left in the state.
        let fixed = NormClipping(wrapping: Self.strategy(k: 10, rule: .none), maxNorm: 1)
        try fixed.restore(version: 3, optimizerState: state, at: 0)
        #expect(fixed.version == 3)
        #expect(NormClipping.quantile([5, 1, 4, 2, 3], 0.9) == 5 && NormClipping.quantile([5, 1, 4, 2, 3], 0.2) == 1)
    }

    @Test func theShareCapRefusesANodesUpdatesBeyondItsShareUntilTheStep() {
        let s = Self.strategy(k: 4, rule: .median, maxPerNode: 2)
        #expect(offer(s, node: 1, base: 0, samples: 1, delta: [1, 1]).acceptance != nil)
        #expect(offer(s, node: 1, base: 0, samples: 1, delta: [1, 1]).acceptance != nil)
        #expect(offer(s, node: 1, base: 0, samples: 1, delta: [1, 1]) == .refuse(.overShare(count: 2, limit: 2)))
        #expect(s.pending.nodeCounts == [1: 2] && s.pending.count == 2)
        #expect(offer(s, node: 2, base: 0, samples: 1, delta: [0, 0]).acceptance != nil)
        #expect(offer(s, node: 3, base: 0, samples: 1, delta: [0, 0]).acceptance != nil)
        var w: [Float] = [0, 0]
        step(s, &w)
        #expect(s.version == 1 && s.pending.count == 0)
        #expect(offer(s, node: 1, base: 0, samples: 1, delta: [1, 1]).acceptance?.staleness == 1)
        #expect(Refusal.overShare(count: 2, limit: 2).label == "over_share")
    }

    /// A robust buffer exported mid-way and restored on a fresh strategy continues bit for bit; plain and
    /// robust buffers hold the bytes they say.
    @Test func aRobustBufferRestoredMidwayContinuesBitForBit() throws {
        let updates = RecoveryTests.updates(count: 23, size: 29, seed: 5)
        for rule in [RobustRule.median, .trimmedMean(beta: 0.25)] {
            let config = AggregationConfig(
                mode: .async(bufferSize: 4, maxStaleness: 3), serverLearningRate: 0.1,
                serverOptimizer: .defaultMomentum, adaptiveClip: .init(quantile: 0.5, window: 5), robust: rule)
            let start = [Float](repeating: 0.25, count: 29)
            let whole = try config.makeStrategy(parameterCount: 29, openedAt: 0)
            let reference = RecoveryTests.run(whole, updates[...], weights: start)

            let first = try config.makeStrategy(parameterCount: 29, openedAt: 0)
            let halfway = RecoveryTests.run(first, updates[..<14], weights: start)
            #expect(first.pending.count > 0)
            #expect(first.heldBytes == (1 + 4) * 29 * 4)
            let restarted = try config.makeStrategy(parameterCount: 29, version: first.version, openedAt: 0)
            try restarted.restore(version: first.version, optimizerState: first.exportOptimizerState(), at: 0)
            try restarted.restoreBuffer(first.exportBuffer())
            #expect(restarted.exportBuffer() == first.exportBuffer())
            let continued = RecoveryTests.run(restarted, updates[14...], weights: halfway)
            #expect(restarted.version == whole.version && whole.version >= 4)
            #expect(bits(continued) == bits(reference))
        }
        #expect(Self.strategy(k: 4, rule: .none, size: 29).heldBytes == 29 * 4)
    }

    @Test func aPlainBufferCannotBecomeRobustButARobustOneBecomesPlain() throws {
        let plain = Self.strategy(k: 4, rule: .none)
        offer(plain, node: 1, base: 0, samples: 2, delta: [1, 2])
        let robust = Self.strategy(k: 4, rule: .median)
        #expect(throws: AggregationStateError.deltasNeeded(count: 1)) { try robust.restoreBuffer(plain.exportBuffer()) }
        #expect(robust.pending.count == 0)
        offer(robust, node: 1, base: 0, samples: 2, delta: [1, 2])
        offer(robust, node: 2, base: 0, samples: 1, delta: [4, 4])
        let converted = Self.strategy(k: 4, rule: .none)
        try converted.restoreBuffer(robust.exportBuffer())
        #expect(converted.exportBuffer().sum == [6, 8] && converted.pending.nodeCounts == [1: 1, 2: 1])
        // Contradictory kept deltas are refused whole.
        var broken = robust.exportBuffer()
        broken.deltaWeights = [1]
        #expect(throws: AggregationStateError.inconsistentBuffer) {
            try Self.strategy(k: 4, rule: .median).restoreBuffer(broken)
        }
    }
}
