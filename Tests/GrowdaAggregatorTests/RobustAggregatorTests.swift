import Foundation
import GrowdaAggregation
import GrowdaNN
import GrowdaSafetensors
import GrowdaStore
import GrowdaTestKit
import Logging
import Testing

@testable import GrowdaAggregator

/// Robust aggregation through the processor and the state folder: the kept deltas and the adaptive window
/// survive a restart bit for bit, suspect updates are counted per node, and an update over its node's
/// share of the buffer is held unsettled and counted exactly once later.
@Suite struct RobustAggregatorTests {
    /// K = 4, the coordinate-wise median and an adaptive bound over the last two norms.
    static func rig() throws -> FederationProcessorTests.Rig {
        try FederationProcessorTests.Rig(k: 4) { configuration in
            configuration.aggregation.robust = .median
            configuration.aggregation.adaptiveClip = .init(quantile: 0.5, window: 2)
        }
    }

    /// u1 and u2 fill the window; u3 (the wrong way, large) is clipped to u1's norm; u4 makes the step.
    static let values: [(node: Int, seq: UInt64, value: Float)] = [(0, 1, 0.1), (1, 1, 0.2), (0, 2, -2), (1, 2, 0.15)]

    @Test func aRobustBufferSurvivesARestartBitForBit() throws {
        // Without a restart.
        let whole = try Self.rig()
        for u in Self.values { whole.receive(try whole.update(whole.ids[u.node], seq: u.seq, value: u.value)) }
        #expect(whole.processor.version == 1)
        let status = whole.processor.status(now: 2, queue: QueueLoad(capacity: 64), residentBytes: 0)
        let first = try #require(status.nodes.first { $0.id == whole.ids[0] })
        #expect(first.clipped == 1 && first.outliers == 1 && first.over_share == 0)
        #expect(status.nodes.first { $0.id == whole.ids[1] }?.outliers == 0)
        #expect(status.robust == "median")
        #expect(status.buffer_bytes == (1 + 4) * whole.model.parameterCount * 4)
        // The median of 0.1, 0.2, −0.1 (u3 clipped to norm ‖u1‖) and 0.15 is 0.125, in every coordinate.
        let moved = zip(whole.model.parameters.array, try Self.initialWeights(whole)).map { $0 - $1 }
        print("step per coordinate: \(moved.prefix(3)) (expected 0.5 · 0.125)")
        #expect(moved.allSatisfy { abs($0 - 0.5 * 0.125) < 1e-6 })

        // Two updates, a group commit, a restart from the state folder, the other two.
        let rig = try Self.rig()
        for u in Self.values.prefix(2) { rig.receive(try rig.update(rig.ids[u.node], seq: u.seq, value: u.value)) }
        rig.processor.flushBatch()
        let writes = FederationProcessorTests.Rig.commits(rig.processor.takeActions())
        let configuration = rig.processor.configuration
        let logger = Logger(label: "test")
        let (reopened, recovered) = try rig.restart(after: writes)
        defer { try? reopened.close() }
        let file = try SafetensorsFile(contentsOf: try #require(reopened.recovery.bufferPath))
        #expect(
            file.tensors.map(\.name).sorted() == ["buffer.delta.0", "buffer.delta.1", NormClipping.windowTensor])
        #expect(recovered.strategy.pending.count == 2)
        #expect(recovered.strategy.exportBuffer() == rig.processor.strategy.exportBuffer())
        let processor = FederationProcessor(
            configuration: configuration, model: recovered.model, strategy: recovered.strategy,
            registry: rig.processor.registry, settled: recovered.settled, logger: logger)
        for u in Self.values.suffix(2) {
            processor.handle(.success(try rig.update(rig.ids[u.node], seq: u.seq, value: u.value)), bytes: 100, now: 1)
        }
        #expect(processor.version == 1)
        #expect(recovered.model.parameters.array.map(\.bitPattern) == whole.model.parameters.array.map(\.bitPattern))
        #expect(processor.tallies[rig.ids[0]]?.clipped == 1)  // the window came back: u3 was clipped again
    }

    /// The weights a rig's model started from (its seed).
    static func initialWeights(_ rig: FederationProcessorTests.Rig) throws -> [Float] {
        try Model(spec: rig.processor.configuration.model, seed: 1).parameters.array
    }

    @Test func anUpdateOverItsShareIsHeldUnsettledAndCountedOnceLater() throws {
        let rig = try FederationProcessorTests.Rig(k: 4) { $0.aggregation.maxShare = 0.5 }  // at most 2 of 4
        let (general, county) = (rig.ids[0], rig.ids[1])
        rig.receive(try rig.update(general, seq: 1))
        rig.receive(try rig.update(general, seq: 2))
        rig.receive(try rig.update(general, seq: 3))  // over the share: neither folded nor settled
        #expect(rig.processor.strategy.pending.count == 2)
        #expect(rig.processor.settled[general] == 2)
        rig.processor.flushBatch()
        let acks = FederationProcessorTests.Rig.commits(rig.processor.takeActions()).map(\.1)
        #expect(acks == [[general: 2]])
        rig.processor.acknowledge([general: 2])
        // Leave to send seq 3 waits for the step; the resend meanwhile is held again, not a replay.
        #expect(rig.ask(general, want: 3, have: 0) == nil)
        rig.receive(try rig.update(general, seq: 3))
        #expect(rig.processor.rejections.count(of: .replay) == 0)
        #expect(rig.processor.tallies[general]?.overShare == 1)  // one update made to wait, counted once
        // The other hospital fills the buffer: a step, and the waiting request gets its leave.
        rig.receive(try rig.update(county, seq: 1))
        rig.receive(try rig.update(county, seq: 2))
        #expect(rig.processor.version == 1)
        rig.processor.answerWaiting(queue: QueueLoad(capacity: 64), now: 2)
        let reply = rig.processor.takeActions().compactMap { if case .reply(let r, _) = $0 { r } else { nil } }.last
        #expect(reply?.sendOK == 3 && reply?.ackedSeq == 2)
        // Seq 3 now counts, once, a version staler; a further resend is a replay.
        rig.receive(try rig.update(general, seq: 3))
        #expect(rig.processor.settled[general] == 3 && rig.processor.strategy.pending.count == 1)
        rig.receive(try rig.update(general, seq: 3))
        #expect(rig.processor.rejections.count(of: .replay) == 1)
        #expect(rig.processor.tallies[general]?.accepted == 3 && rig.processor.accepted == 5)
        let status = rig.processor.status(now: 3, queue: QueueLoad(capacity: 64), residentBytes: 0)
        #expect(status.over_share_held == 1 && status.robust == "none")
        #expect(rig.processor.hospitalsNeededForShare == nil)  // two hospitals, two places each, fill K = 4
        #expect(status.buffer_bytes == rig.model.parameterCount * 4)
    }

    @Test func aShareCapThatTheRegisteredHospitalsCannotFillIsNamed() throws {
        let rig = try FederationProcessorTests.Rig(k: 4) { $0.aggregation.maxShare = 0.25 }  // one place each
        #expect(rig.processor.hospitalsNeededForShare == 4)
        let sync = try FederationProcessorTests.Rig(k: 4) {
            $0.aggregation.maxShare = 0.25
            $0.aggregation.mode = .defaultSync
        }
        #expect(sync.processor.hospitalsNeededForShare == nil)  // rounds take one update per hospital anyway
    }

    @Test func aBufferFileKeepsTheDeltasTheirWeightsNodesAndTheWindow() throws {
        let state = BufferState(
            sum: [], totalWeight: 3.5, count: 3, nodes: [2, 7], stalenessSum: 2, maxStaleness: 1, clippedCount: 1,
            nodeCounts: [2: 2, 7: 1], deltas: [[1, -2], [0.5, 0.25], [3, 1e-7]], deltaWeights: [1, 0.1, 2.4],
            deltaNodes: [2, 7, 2], recentNorms: [0.5, 2])
        let dir = try TemporaryDirectory(prefix: "growda-robust-buffer")
        let path = dir.path("buffer.safetensors")
        try BufferFile.writer(state, version: 4).write(to: path)
        let read = try BufferFile.read(path, version: 4)
        #expect(read.buffer == state && read.stateSum == nil)
        // A plain buffer reads back with its node counts.
        let plain = BufferState(
            sum: [1, 2], totalWeight: 2, count: 3, nodes: [1, 5], stalenessSum: 0, maxStaleness: 0, clippedCount: 0,
            nodeCounts: [1: 2, 5: 1])
        try BufferFile.writer(plain, version: 4).write(to: path)
        #expect(try BufferFile.read(path, version: 4).buffer == plain)
    }
}
