import Foundation
import GrowdaNN
import GrowdaTestKit
import Testing

@testable import GrowdaStore

/// Crashes are simulated by running a write sequence up to a crash point (the internal hooks throw there,
/// leaving the folder as a kill -9 would), dropping the store, and opening the folder again.
@Suite struct RecoveryTests {
    @Test func aBufferWrittenWithoutItsCommitIsRemovedAndTheBatchNotCounted() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        try StoreFixtures.record(store, StoreFixtures.update(node: 3, seq: 1), buffer: [1, 1])
        let batch = UpdateBatch(
            accepted: [StoreFixtures.update(node: 3, seq: 2), StoreFixtures.update(node: 4, seq: 1)],
            refusals: [RefusedMessage(reason: "stale", node: 5, settling: 9)],
            buffer: try StoreFixtures.buffer([2, 2]))
        #expect(throws: SimulatedCrash(point: .afterBufferFile)) { try store.commit(batch, crashingAt: .afterBufferFile) }
        #expect(try folder.files(in: "pending") == ["buffer-0.safetensors", "buffer-1.safetensors"])
        try store.close()

        let reopened = try folder.open()
        #expect(reopened.recovery.removedFiles.isEmpty)  // buffer-1, torn or not, is not in force
        #expect(reopened.recovery.pending.map(\.key) == [UpdateKey(node: 3, seq: 1)])
        #expect(reopened.recovery.bufferPath == "\(folder.path)/pending/buffer-0.safetensors")
        #expect(reopened.recovery.settledSeqs == [3: 1])
        #expect(try StoreFixtures.bufferValues(reopened) == [1, 1])
        #expect(try reopened.refusals().isEmpty)
        // Nothing of the batch was acknowledged, so its nodes resend it, and this time it counts.
        try reopened.commit(batch)
        #expect(try reopened.settledSeqs() == [3: 2, 4: 1, 5: 9])
        #expect(try StoreFixtures.bufferValues(reopened) == [2, 2])
        #expect(try reopened.federation().bufferFile == "pending/buffer-1.safetensors")
    }

    @Test func pendingUpdatesAndTheirBufferComeBackInOrder() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        try store.commitVersion(0, model: try StoreFixtures.tinyModel())
        let updates = [
            StoreFixtures.update(node: 9, seq: 4, staleness: 0, weight: 12.5, metrics: ["loss": 0.5]),
            StoreFixtures.update(node: 2, seq: 1, staleness: 1, weight: 7.25, metrics: [:]),
            StoreFixtures.update(node: 9, seq: 5, staleness: 0, weight: 3, metrics: ["auc": 0.7]),
        ]
        try StoreFixtures.record(store, updates[0], updates[1], buffer: [1, 2, 3])
        try StoreFixtures.record(store, updates[2], buffer: [4, 5, 6])
        try store.close()

        let reopened = try folder.open()
        let recovery = reopened.recovery
        #expect(recovery.version == 0)
        #expect(recovery.checkpointPath == "\(folder.path)/models/v000000000.safetensors")
        #expect(recovery.pending.map(\.update) == updates)
        #expect(recovery.pending.map(\.receivedAt) == Array(repeating: StoreFixtures.epoch, count: 3))
        #expect(recovery.settledSeqs == [9: 5, 2: 1])
        #expect(recovery.removedFiles.isEmpty && recovery.lostUpdates.isEmpty)
        #expect(try StoreFixtures.bufferValues(reopened) == [4, 5, 6])
        #expect(try folder.files(in: "pending") == ["buffer-0.safetensors", "buffer-1.safetensors"])
    }

    @Test func aCheckpointWrittenWithoutItsVersionRowIsRemovedAndTheVersionUnchanged() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        let model = try StoreFixtures.tinyModel()
        try store.commitVersion(0, model: model)
        let update = StoreFixtures.update(node: 1, seq: 1)
        try StoreFixtures.record(store, update)
        let unbatched = StoreFixtures.update(node: 2, seq: 1)
        #expect(throws: SimulatedCrash(point: .afterCheckpointFile)) {
            try store.commitVersion(
                1, checkpoint: try model.checkpointWriter(), accepting: [unbatched], evaluation: nil,
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
        #expect(reopened.recovery.settledSeqs == [1: 1])  // node 2's update never counted: it is resent
        #expect(try folder.files(in: "models") == ["v000000000.safetensors"])
        // The aggregator restores the buffer, takes the step again and commits version 1.
        try reopened.commitVersion(1, model: model, accepting: [unbatched])
        #expect(try reopened.history().map(\.updatesFolded) == [0, 2])
        #expect(try reopened.settledSeqs() == [1: 1, 2: 1])
    }

    @Test func filesReleasedByACommittedVersionAreRemovedAtOpen() throws {
        let folder = try StateFolder()
        let store = try folder.open(keep: 1)
        let model = try StoreFixtures.tinyModel()
        try store.commitVersion(0, model: model)
        try store.commitVersion(1, model: model)
        let update = StoreFixtures.update(node: 6, seq: 2)
        try StoreFixtures.record(store, update)
        #expect(throws: SimulatedCrash(point: .afterVersionTransaction)) {
            try store.commitVersion(
                2, checkpoint: try model.checkpointWriter(), accepting: [], evaluation: nil,
                optimizerState: nil, crashingAt: .afterVersionTransaction)
        }
        #expect(folder.exists("pending/buffer-0.safetensors") && folder.exists("models/v000000001.safetensors"))
        try store.close()

        let reopened = try folder.open(keep: 1)
        #expect(reopened.recovery.version == 2)
        #expect(reopened.recovery.pending.isEmpty)
        #expect(reopened.recovery.bufferPath == nil)
        #expect(reopened.recovery.settledSeqs == [6: 2])
        #expect(
            reopened.recovery.removedFiles == [
                RemovedFile(file: "models/v000000001.safetensors", reason: .pruned)
            ])
        #expect(try folder.files(in: "models") == ["v000000000.safetensors", "v000000002.safetensors"])
        #expect(try reopened.federation().bufferFile == nil)
    }

    @Test func temporaryFilesAndOldDeltaFilesAreRemovedAndForeignFilesKept() throws {
        let folder = try StateFolder()
        try folder.open().close()
        for file in [
            "models/.v000000003.safetensors.tmp-42-abc", "pending/.1-1.safetensors.tmp-42-def",
            "pending/4-7.safetensors", "models/NOTES.txt", "pending/readme",
        ] {
            #expect(FileManager.default.createFile(atPath: "\(folder.path)/\(file)", contents: Data([1])))
        }
        let reopened = try folder.open()
        #expect(
            reopened.recovery.removedFiles == [
                RemovedFile(file: "models/.v000000003.safetensors.tmp-42-abc", reason: .temporary),
                RemovedFile(file: "pending/.1-1.safetensors.tmp-42-def", reason: .temporary),
                RemovedFile(file: "pending/4-7.safetensors", reason: .unreferencedDelta),
            ])
        #expect(try folder.files(in: "models") == ["NOTES.txt"])
        #expect(try folder.files(in: "pending") == ["readme"])
    }

    @Test func pendingRowsWithoutTheirBufferFileAreReportedLostAndDropped() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        try StoreFixtures.record(store, StoreFixtures.update(node: 1, seq: 1), StoreFixtures.update(node: 1, seq: 2))
        try store.close()
        try FileManager.default.removeItem(atPath: "\(folder.path)/pending/buffer-0.safetensors")

        let reopened = try folder.open()
        #expect(reopened.recovery.lostUpdates == [UpdateKey(node: 1, seq: 1), UpdateKey(node: 1, seq: 2)])
        #expect(reopened.recovery.pending.isEmpty && reopened.recovery.bufferPath == nil)
        #expect(try reopened.pendingUpdates().isEmpty)
        #expect(try reopened.federation().bufferFile == nil)
    }

    @Test func aMissingCurrentCheckpointStopsTheOpenAndRemovesNothing() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        try store.commitVersion(0, model: try StoreFixtures.tinyModel())
        try StoreFixtures.record(store, StoreFixtures.update(node: 1, seq: 1))
        try store.close()
        let checkpoint = "\(folder.path)/models/v000000000.safetensors"
        try FileManager.default.removeItem(atPath: checkpoint)

        #expect(throws: StoreError.missingCheckpoint(version: 0, path: checkpoint)) { try folder.open() }
        #expect(folder.exists("pending/buffer-0.safetensors"))
    }
}
