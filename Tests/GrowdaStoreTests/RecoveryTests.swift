import Foundation
import GrowdaNN
import Testing

@testable import GrowdaStore

/// Crashes are simulated by running a write sequence up to a crash point (the internal hooks throw there,
/// leaving the folder as a kill -9 would), dropping the store, and opening the folder again.
@Suite struct RecoveryTests {
    @Test func aDeltaWrittenWithoutItsRowIsRemovedAndNotCounted() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        let update = StoreFixtures.update(node: 3, seq: 1)
        let delta = StoreFixtures.delta(node: 3, seq: 1)
        #expect(throws: SimulatedCrash(point: .afterDeltaFile)) {
            try delta.withUnsafeBufferPointer {
                try store.recordAcceptedUpdate(update, delta: $0, crashingAt: .afterDeltaFile)
            }
        }
        #expect(folder.exists("pending/3-1.safetensors"))
        try store.close()

        let reopened = try folder.open()
        #expect(
            reopened.recovery.removedFiles == [RemovedFile(file: "pending/3-1.safetensors", reason: .unreferencedDelta)]
        )
        #expect(reopened.recovery.pending.isEmpty)
        #expect(reopened.recovery.settledSeqs.isEmpty)
        #expect(try folder.files(in: "pending").isEmpty)
        // The node was never acknowledged, so it resends, and this time the update counts.
        guard case .recorded = try reopened.recordAcceptedUpdate(update, delta: delta) else {
            Issue.record("the resent update was not recorded")
            return
        }
        #expect(try reopened.settledSeqs() == [3: 1])
    }

    @Test func acceptedUpdatesNotYetFoldedAreReplayedInOrder() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        try store.commitVersion(0, model: try StoreFixtures.tinyModel(), folding: [])
        let updates = [
            StoreFixtures.update(node: 9, seq: 4, staleness: 0, weight: 12.5, metrics: ["loss": 0.5]),
            StoreFixtures.update(node: 2, seq: 1, staleness: 1, weight: 7.25, metrics: [:]),
            StoreFixtures.update(node: 9, seq: 5, staleness: 0, weight: 3, metrics: ["auc": 0.7]),
        ]
        for update in updates {
            _ = try store.recordAcceptedUpdate(update, delta: StoreFixtures.delta(node: update.node, seq: update.seq))
        }
        try store.close()

        let reopened = try folder.open()
        let recovery = reopened.recovery
        #expect(recovery.version == 0)
        #expect(recovery.checkpointPath == "\(folder.path)/models/v000000000.safetensors")
        #expect(recovery.pending.map(\.update) == updates)
        #expect(recovery.pending.map(\.receivedAt) == Array(repeating: StoreFixtures.epoch, count: 3))
        #expect(recovery.settledSeqs == [9: 5, 2: 1])
        #expect(recovery.removedFiles.isEmpty && recovery.lostUpdates.isEmpty)
        for pending in recovery.pending {
            #expect(
                try reopened.readDelta(pending) == StoreFixtures.delta(node: pending.key.node, seq: pending.key.seq))
            var buffer = [Float](repeating: 0, count: 10)
            try buffer.withUnsafeMutableBufferPointer { try reopened.readDelta(pending, into: $0) }
            #expect(buffer == StoreFixtures.delta(node: pending.key.node, seq: pending.key.seq))
        }
    }

    @Test func aCheckpointWrittenWithoutItsVersionRowIsRemovedAndTheVersionUnchanged() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        let model = try StoreFixtures.tinyModel()
        try store.commitVersion(0, model: model, folding: [])
        let update = StoreFixtures.update(node: 1, seq: 1)
        _ = try store.recordAcceptedUpdate(update, delta: StoreFixtures.delta(node: 1, seq: 1))
        #expect(throws: SimulatedCrash(point: .afterCheckpointFile)) {
            try store.commitVersion(
                1, checkpoint: try model.checkpointWriter(), folding: [update.key], evaluation: nil,
                optimizerState: nil, crashingAt: .afterCheckpointFile)
        }
        #expect(folder.exists("models/v000000001.safetensors"))
        try store.close()

        let reopened = try folder.open()
        #expect(reopened.recovery.version == 0)
        #expect(
            reopened.recovery.removedFiles == [
                RemovedFile(file: "models/v000000001.safetensors", reason: .uncommittedVersion)
            ])
        #expect(reopened.recovery.pending.map(\.key) == [update.key])
        #expect(try folder.files(in: "models") == ["v000000000.safetensors"])
        // The aggregator refolds the buffer and commits version 1 again.
        try reopened.commitVersion(1, model: model, folding: [update.key])
        #expect(try reopened.history().map(\.updatesFolded) == [0, 1])
    }

    @Test func filesReleasedByACommittedVersionAreRemovedAtOpen() throws {
        let folder = try StateFolder()
        let store = try folder.open(keep: 1)
        let model = try StoreFixtures.tinyModel()
        try store.commitVersion(0, model: model, folding: [])
        try store.commitVersion(1, model: model, folding: [])
        let update = StoreFixtures.update(node: 6, seq: 2)
        _ = try store.recordAcceptedUpdate(update, delta: StoreFixtures.delta(node: 6, seq: 2))
        #expect(throws: SimulatedCrash(point: .afterVersionTransaction)) {
            try store.commitVersion(
                2, checkpoint: try model.checkpointWriter(), folding: [update.key], evaluation: nil,
                optimizerState: nil, crashingAt: .afterVersionTransaction)
        }
        #expect(folder.exists("pending/6-2.safetensors") && folder.exists("models/v000000001.safetensors"))
        try store.close()

        let reopened = try folder.open(keep: 1)
        #expect(reopened.recovery.version == 2)
        #expect(reopened.recovery.pending.isEmpty)
        #expect(reopened.recovery.settledSeqs == [6: 2])
        #expect(
            reopened.recovery.removedFiles == [
                RemovedFile(file: "models/v000000001.safetensors", reason: .pruned),
                RemovedFile(file: "pending/6-2.safetensors", reason: .unreferencedDelta),
            ])
        #expect(try folder.files(in: "models") == ["v000000000.safetensors", "v000000002.safetensors"])
        #expect(try folder.files(in: "pending").isEmpty)
    }

    @Test func temporaryFilesAreRemovedAndForeignFilesKept() throws {
        let folder = try StateFolder()
        try folder.open().close()
        for file in [
            "models/.v000000003.safetensors.tmp-42-abc", "pending/.1-1.safetensors.tmp-42-def",
            "models/NOTES.txt", "pending/readme",
        ] {
            #expect(FileManager.default.createFile(atPath: "\(folder.path)/\(file)", contents: Data([1])))
        }
        let reopened = try folder.open()
        #expect(
            reopened.recovery.removedFiles == [
                RemovedFile(file: "models/.v000000003.safetensors.tmp-42-abc", reason: .temporary),
                RemovedFile(file: "pending/.1-1.safetensors.tmp-42-def", reason: .temporary),
            ])
        #expect(try folder.files(in: "models") == ["NOTES.txt"])
        #expect(try folder.files(in: "pending") == ["readme"])
    }

    @Test func aPendingRowWithoutItsDeltaIsReportedLostAndDropped() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        _ = try store.recordAcceptedUpdate(StoreFixtures.update(node: 1, seq: 1), delta: [1, 2, 3])
        _ = try store.recordAcceptedUpdate(StoreFixtures.update(node: 1, seq: 2), delta: [4, 5, 6])
        try store.close()
        try FileManager.default.removeItem(atPath: "\(folder.path)/pending/1-1.safetensors")

        let reopened = try folder.open()
        #expect(reopened.recovery.lostUpdates == [UpdateKey(node: 1, seq: 1)])
        #expect(reopened.recovery.pending.map(\.key) == [UpdateKey(node: 1, seq: 2)])
        #expect(try reopened.pendingUpdates().map(\.key) == [UpdateKey(node: 1, seq: 2)])
    }

    @Test func aMissingCurrentCheckpointStopsTheOpenAndRemovesNothing() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        try store.commitVersion(0, model: try StoreFixtures.tinyModel(), folding: [])
        _ = try store.recordAcceptedUpdate(StoreFixtures.update(node: 1, seq: 1), delta: [1])
        try store.close()
        let checkpoint = "\(folder.path)/models/v000000000.safetensors"
        try FileManager.default.removeItem(atPath: checkpoint)

        #expect(throws: StoreError.missingCheckpoint(version: 0, path: checkpoint)) { try folder.open() }
        #expect(folder.exists("pending/1-1.safetensors"))
    }

    @Test func aDeltaFileIsCheckedAgainstItsRow() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        guard
            case .recorded(let pending) = try store.recordAcceptedUpdate(
                StoreFixtures.update(node: 1, seq: 1), delta: [1])
        else {
            Issue.record("not recorded")
            return
        }
        var other = pending
        other.update.seq = 2
        #expect(throws: StoreError.self) { try store.readDelta(other) }
    }
}
