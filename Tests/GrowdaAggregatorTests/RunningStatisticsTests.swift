import Foundation
import GrowdaAggregation
import GrowdaFederation
import GrowdaNN
import GrowdaSafetensors
import GrowdaStore
import GrowdaTestKit
import GrowdaWire
import Logging
import Testing

@testable import GrowdaAggregator

/// A model with batch-norm running statistics: updates carry their deltas, the aggregator folds them with
/// each update's weight beside the parameters' buffer and moves the global state to their weighted mean.
@Suite struct RunningStatisticsTests {
    typealias Rig = FederationProcessorTests.Rig

    /// One batch norm over a 1×2×2 input (running_mean and running_var of one channel), then a dense layer.
    static let spec = ModelSpec(
        name: "tiny-bn", inputShape: [1, 2, 2], classes: ["a", "b"], layers: [.batchNorm, .flatten, .dense(units: 2)])

    static func rig(k: Int, maxNorm: Double = 1e9, serverLR: String = "0.5") throws -> Rig {
        try Rig(k: k) { configuration in
            configuration.model = spec
            configuration.maxUpdateNorm = maxNorm
            configuration.aggregation = try! AggregationConfig(
                settings: [
                    "mode": "async", "fedbuff.k": String(k), "fedbuff.max_staleness": "2", "server.lr": serverLR,
                ])
        }
    }

    /// An update of `node` trained on `samples` with every parameter delta `value` and the state deltas
    /// `mean` (running_mean) and `variance` (running_var).
    static func update(
        _ rig: Rig, _ node: UInt32, seq: UInt64, samples: UInt64, value: Float, mean: Float, variance: Float
    ) throws -> Message {
        var tensors = rig.model.parameterViews.map {
            WireTensor(name: $0.name, shape: $0.shape, values: Array(repeating: value, count: $0.range.count))
        }
        tensors.append(WireTensor(name: "layers.0.running_mean", shape: [1], values: [mean]))
        tensors.append(WireTensor(name: "layers.0.running_var", shape: [1], values: [variance]))
        return .update(
            UpdateMessage(
                node: node, seq: seq, baseVersion: rig.processor.version, sampleCount: samples, metrics: [:],
                delta: try WireTensors(tensors)))
    }

    /// Two updates, weights 10 and 30: the state moves by their weighted mean, with no server learning rate;
    /// the parameters by η times theirs.
    @Test func aStepSetsTheWeightedMeanOfTheStatistics() throws {
        let rig = try Self.rig(k: 2)
        #expect(rig.model.stateViews.map(\.name) == ["layers.0.running_mean", "layers.0.running_var"])
        #expect(rig.model.state.array == [0, 1])
        let w0 = rig.model.parameters.array
        rig.receive(try Self.update(rig, rig.ids[0], seq: 1, samples: 10, value: 0.5, mean: 0.2, variance: 1))
        #expect(rig.processor.version == 0 && rig.model.state.array == [0, 1])  // folded, no step yet
        rig.receive(try Self.update(rig, rig.ids[1], seq: 1, samples: 30, value: 0.5, mean: -0.2, variance: -0.5))
        #expect(rig.processor.version == 1)
        let state = rig.model.state.array
        print("state after the step: \(state) (expected [-0.1, 0.875])")
        #expect(abs(state[0] - (10 * 0.2 + 30 * -0.2) / 40) < 1e-6)
        #expect(abs(state[1] - (1 + (10 * 1 + 30 * -0.5) / 40)) < 1e-6)
        for (w, w1) in zip(w0, rig.model.parameters.array) { #expect(abs(w1 - (w + 0.5 * 0.5)) < 1e-6) }
        // The version's checkpoint and broadcast carry the new statistics.
        let actions = rig.processor.takeActions()
        let broadcast = actions.compactMap { if case .broadcast(let m) = $0 { m } else { nil } }.last
        let message = try #require(broadcast)
        #expect(try Model(message: message).state.array == state)
        // The next buffer starts empty: one more pair of updates moves the state from here.
        rig.receive(try Self.update(rig, rig.ids[0], seq: 2, samples: 10, value: 0, mean: 1, variance: 0))
        rig.receive(try Self.update(rig, rig.ids[1], seq: 2, samples: 10, value: 0, mean: 1, variance: 0))
        #expect(abs(rig.model.state.array[0] - (state[0] + 1)) < 1e-6)
    }

    /// The norm bound counts the parameter tensors only; an update without its state tensors, or with a
    /// non-finite one, is refused.
    @Test func theNormBoundsParametersAndTheLayoutIncludesState() throws {
        let rig = try Self.rig(k: 5, maxNorm: 2)
        rig.receive(try Self.update(rig, rig.ids[0], seq: 1, samples: 10, value: 0.1, mean: 50, variance: 50))
        #expect(rig.processor.strategy.pending.count == 1)
        rig.receive(try Self.update(rig, rig.ids[0], seq: 2, samples: 10, value: 1, mean: 0, variance: 0))
        #expect(rig.processor.rejections.count(of: .normTooLarge) == 1)
        rig.receive(try Self.update(rig, rig.ids[0], seq: 3, samples: 10, value: 0.1, mean: .nan, variance: 0))
        #expect(rig.processor.rejections.count(of: .nonFinite) == 1)
        rig.receive(try rig.update(rig.ids[0], seq: 4, value: 0.1))  // parameters only
        #expect(rig.processor.rejections.count(of: .wrongTensors) == 1)
        #expect(rig.processor.strategy.pending.count == 1)
    }

    /// A group commit persists R beside S; a restart from the state folder restores both, and the step after
    /// it gives the same statistics as without the restart.
    @Test func aRestartRecoversTheStateSum() throws {
        let rig = try Self.rig(k: 2)
        rig.receive(try Self.update(rig, rig.ids[0], seq: 1, samples: 10, value: 0.5, mean: 0.2, variance: 1))
        rig.processor.flushBatch()
        let writes = Rig.commits(rig.processor.takeActions())
        guard case .batch(_, let buffer, let stateSum, _) = writes.last?.0 else {
            Issue.record("no batch commit")
            return
        }
        #expect(buffer?.count == 1 && stateSum == [2, 10])

        let configuration = rig.processor.configuration
        let logger = Logger(label: "test")
        let (reopened, recovered) = try rig.restart(after: writes)
        let path = try #require(reopened.recovery.bufferPath)
        #expect(try BufferFile.read(path, version: 0).stateSum == [2, 10])
        #expect(recovered.stateAverage?.values == [2, 10])
        #expect(recovered.strategy.pending.count == 1)
        defer { try? reopened.close() }

        let processor = FederationProcessor(
            configuration: configuration, model: recovered.model, strategy: recovered.strategy,
            stateAverage: recovered.stateAverage, registry: rig.processor.registry,
            settled: recovered.settled, logger: logger)
        let second = try Self.update(rig, rig.ids[1], seq: 1, samples: 30, value: 0.5, mean: -0.2, variance: -0.5)
        processor.handle(.success(second), bytes: 100, now: 1)
        #expect(processor.version == 1)
        let state = recovered.model.state.array
        #expect(abs(state[0] - (-0.1)) < 1e-6 && abs(state[1] - 0.875) < 1e-6)
    }

    /// A buffer file of a stateless model has no state sum, and one written before state sums existed (no
    /// `buffer.state_sum` tensor) still reads.
    @Test func stateSumIsAbsentWithoutState() throws {
        let rig = try Rig(k: 5)
        #expect(rig.processor.stateAverage == nil)
        rig.receive(try rig.update(rig.ids[0], seq: 1))
        rig.processor.flushBatch()
        guard case .batch(_, let buffer, let stateSum, let version) = Rig.commits(rig.processor.takeActions()).last?.0
        else {
            Issue.record("no batch commit")
            return
        }
        #expect(stateSum == nil)
        let path = rig.dir.path("buffer.safetensors")
        try BufferFile.writer(try #require(buffer), version: version).write(to: path)
        let file = try SafetensorsFile(contentsOf: path)
        #expect(file.tensors.map(\.name) == ["buffer.sum"])
        let read = try BufferFile.read(path, version: version)
        #expect(read.buffer == buffer && read.stateSum == nil)
    }
}
