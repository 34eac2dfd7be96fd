import Foundation
import GrowdaSafetensors
import Testing

@testable import GrowdaStore

/// Full-size round trips (4 MB buffers, a 13 MB xray128-sized checkpoint) that also print how long each
/// durable step takes. Off by default (they write ~100 MB); run them in release with
/// `GROWDA_STORE_TIMING=1 swift test -c release -Xswiftc -enable-testing --filter StoreTimingTests`.
/// Nothing asserts a time: the numbers are printed for the reader.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["GROWDA_STORE_TIMING"] == "1"))
struct StoreTimingTests {
    static let updateFloats = 1 << 20  // 4 MiB of F32
    static let modelFloats = 3_304_322  // xray128 with two classes: 13.2 MB

    @Test(arguments: Durability.allCases)
    func fullSizeUpdatesAndVersionsRoundTrip(durability: Durability) throws {
        let folder = try StateFolder()
        let options = StateStore.Options(durability: durability)
        let store = try StateStore(folder: folder.path, options: options)
        let checkpoint = try Self.checkpoint(fill: 0.5)
        try store.commitVersion(0, checkpoint: checkpoint, evaluation: nil, optimizerState: nil)

        // Group commits of 1 to 20 updates, each with a 4 MiB buffer: the cost is per commit.
        var commitBatchTimes: [Int: Double] = [:]
        var seq: UInt64 = 0
        var keys: [UpdateKey] = []
        for size in [1, 5, 20] {
            let updates = (0..<size).map { _ in
                seq += 1
                return StoreFixtures.update(node: UInt32(seq % 4 + 1), seq: seq)
            }
            var buffer = SafetensorsWriter(metadata: ["format": "timing"])
            try buffer.add(name: "sum", shape: [Self.updateFloats], floats: [Float](repeating: Float(seq), count: Self.updateFloats))
            let start = ContinuousClock.now
            try store.commit(UpdateBatch(accepted: updates, buffer: buffer))
            commitBatchTimes[size] = Self.milliseconds(ContinuousClock.now - start)
            keys += updates.map(\.key)
        }

        let reopenStart = ContinuousClock.now
        try store.close()
        let reopened = try StateStore(folder: folder.path, options: options)
        let reopenTime = Self.milliseconds(ContinuousClock.now - reopenStart)
        #expect(reopened.recovery.pending.map(\.key) == keys)
        #expect(try reopened.bufferFile()?.floats("sum") == [Float](repeating: Float(seq), count: Self.updateFloats))

        var commitTimes: [Double] = []
        for version in 1...5 as ClosedRange<UInt64> {
            let writer = try Self.checkpoint(fill: Float(version))
            let start = ContinuousClock.now
            try reopened.commitVersion(version, checkpoint: writer, evaluation: nil, optimizerState: nil)
            commitTimes.append(Self.milliseconds(ContinuousClock.now - start))
        }
        let current = try SafetensorsFile(contentsOf: try #require(try reopened.currentCheckpointPath()))
        #expect(try current.floats("weights") == [Float](repeating: 5, count: Self.modelFloats))

        var heartbeatTimes: [Double] = []
        for index in 0..<50 {
            let start = ContinuousClock.now
            try reopened.recordHeartbeat(Heartbeat(node: 1, at: Date(), state: "idle", versionHeld: UInt64(index)))
            heartbeatTimes.append(Self.milliseconds(ContinuousClock.now - start))
        }
        let batch = (0..<50).map { Heartbeat(node: UInt32($0 + 1), at: Date(), state: "training", versionHeld: 5) }
        let batchStart = ContinuousClock.now
        try reopened.recordHeartbeats(batch)
        let batchTime = Self.milliseconds(ContinuousClock.now - batchStart)

        let label = "store timing (\(durability)):"
        print(
            "\(label) group commit with a 4 MiB buffer: "
                + [1, 5, 20].map { "\($0) updates \(commitBatchTimes[$0]!) ms" }.joined(separator: ", "))
        print("\(label) commit a 13.2 MB version (the first folds 26 updates) \(Self.summary(commitTimes))")
        print("\(label) one heartbeat \(Self.summary(heartbeatTimes)); 50 in one batch \(batchTime) ms")
        print("\(label) close + reopen with 26 pending updates \(reopenTime) ms")
    }

    static func checkpoint(fill: Float) throws -> SafetensorsWriter {
        var writer = SafetensorsWriter(metadata: ["format": "timing"])
        try writer.add(name: "weights", shape: [modelFloats], floats: [Float](repeating: fill, count: modelFloats))
        return writer
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return (Double(seconds) * 1e3 + Double(attoseconds) / 1e15).rounded(toPlaces: 2)
    }

    static func summary(_ times: [Double]) -> String {
        let sorted = times.sorted()
        return "median \(sorted[sorted.count / 2]) ms, min \(sorted[0]) ms, max \(sorted[sorted.count - 1]) ms"
    }
}

extension Double {
    fileprivate func rounded(toPlaces places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}
