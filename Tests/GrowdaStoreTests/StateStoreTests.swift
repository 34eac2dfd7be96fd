import Foundation
import GRDB
import GrowdaNN
import GrowdaSafetensors
import GrowdaTestKit
import Testing

@testable import GrowdaStore

@Suite struct StateStoreTests {
    @Test func migrationsCreateTheSchemaAndAFreshStateHasNoVersion() throws {
        let folder = try StateFolder()
        let store = try folder.open(mode: "fedavg")
        let tables = try store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        }
        #expect(tables == ["federation", "grdb_migrations", "nodes", "pending_updates", "refusals", "versions"])
        let migrations = try store.pool.read { try StateSchema.migrator.appliedIdentifiers($0) }
        #expect(
            migrations == [
                "v1: federation, nodes, pending updates, versions, refusals",
                "v2: group commit, one buffer file instead of a delta file per update",
                "v3: the best version by the evaluation metric, kept beside the latest",
                "v4: the bytes each update took on the wire, summed per version",
            ])
        let journal = try store.pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
        let synchronous = try store.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        #expect(synchronous == 2)  // FULL: commits wait for the disk.
        try store.recordHeartbeat(Heartbeat(node: 1, at: StoreFixtures.epoch, state: "idle", versionHeld: nil))
        #expect(try store.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2)

        #expect(
            store.recovery
                == Recovery(
                    version: nil, checkpointPath: nil, optimizerStatePath: nil, pending: [], settledSeqs: [:],
                    removedFiles: [], lostUpdates: []))
        let federation = try store.federation()
        #expect(federation.currentVersion == nil)
        #expect(federation.mode == "fedavg")
        #expect(federation.createdAt == StoreFixtures.epoch)
        #expect(try folder.files(in: "models").isEmpty)
        #expect(folder.exists("LOCK"))
    }

    @Test func processCrashDurabilityWritesTheSameStateWithoutWaitingForTheDisk() throws {
        let folder = try StateFolder()
        var options = StoreFixtures.options()
        options.durability = .processCrash
        let store = try StateStore(folder: folder.path, options: options)
        #expect(try store.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 1)
        let model = try StoreFixtures.tinyModel(seed: 3)
        try store.commitVersion(0, model: model)
        try StoreFixtures.record(store, StoreFixtures.update(node: 2, seq: 1), buffer: [1, 2, 3])
        try store.close()

        let reopened = try StateStore(folder: folder.path, options: options)
        #expect(reopened.recovery.pending.map(\.key) == [UpdateKey(node: 2, seq: 1)])
        #expect(try StoreFixtures.bufferValues(reopened) == [1, 2, 3])
        let loaded = try Model(checkpoint: try #require(reopened.recovery.checkpointPath))
        #expect(Array(loaded.parameters.buffer) == Array(model.parameters.buffer))
        #expect(try folder.files(in: "pending") == ["buffer-0.safetensors"])
    }

    @Test func aGroupCommitMakesTheBatchAndItsBufferDurableAtOnce() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        let a = StoreFixtures.update(node: 7, seq: 3, staleness: 1, weight: 70.7, metrics: ["loss": 0.25])
        let b = StoreFixtures.update(node: 8, seq: 1)
        try store.commit(
            UpdateBatch(
                accepted: [a, b], refusals: [RefusedMessage(reason: "stale", node: 8, settling: 2)],
                buffer: try StoreFixtures.buffer([1, 2, 3])))

        #expect(
            try store.pendingUpdates() == [
                PendingUpdate(update: a, receivedAt: StoreFixtures.epoch),
                PendingUpdate(update: b, receivedAt: StoreFixtures.epoch),
            ])
        #expect(try store.federation().bufferFile == "pending/buffer-0.safetensors")
        #expect(try StoreFixtures.bufferValues(store) == [1, 2, 3])
        #expect(try store.settledSeqs() == [7: 3, 8: 2])
        let node = try #require(try store.nodeSnapshot().first)
        #expect(node.id == 7 && node.settledSeq == 3 && node.acceptedCount == 1 && node.refusedCount == 0)
        #expect(node.lastMetrics == ["loss": 0.25])
        #expect(node.lastUpdateAt == StoreFixtures.epoch)
        #expect(try store.refusals().totalsByReason == ["stale": 1])

        // The next commit replaces the buffer file; a commit of refusals alone keeps it.
        try StoreFixtures.record(store, StoreFixtures.update(node: 7, seq: 4), buffer: [4, 5, 6])
        try store.recordRefusal(reason: "bad_mac")
        #expect(try folder.files(in: "pending") == ["buffer-0.safetensors", "buffer-1.safetensors"])
        #expect(try store.federation().bufferFile == "pending/buffer-1.safetensors")
        #expect(try StoreFixtures.bufferValues(store) == [4, 5, 6])
        #expect(try store.pendingUpdates().count == 3)
    }

    @Test func anUpdateAlreadySettledFailsTheWholeBatch() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        try StoreFixtures.record(store, StoreFixtures.update(node: 2, seq: 5), buffer: [1])
        for batch in [
            [StoreFixtures.update(node: 3, seq: 1), StoreFixtures.update(node: 2, seq: 5)],
            [StoreFixtures.update(node: 2, seq: 4)],
            [StoreFixtures.update(node: 2, seq: 6), StoreFixtures.update(node: 2, seq: 6)],
        ] {
            #expect(throws: StoreError.self) {
                try store.commit(UpdateBatch(accepted: batch, buffer: try StoreFixtures.buffer([-1])))
            }
        }
        #expect(
            throws: StoreError.alreadySettled(node: 2, seq: 5, settledSeq: 5),
            performing: {
                try StoreFixtures.record(store, StoreFixtures.update(node: 2, seq: 5), buffer: [-1])
            })
        #expect(try store.pendingUpdates().map(\.key) == [UpdateKey(node: 2, seq: 5)])
        #expect(try StoreFixtures.bufferValues(store) == [1])
        #expect(try store.nodeSnapshot().map(\.acceptedCount) == [1])
        #expect(try folder.files(in: "pending") == ["buffer-0.safetensors"])
    }

    @Test func invalidUpdatesAreRefusedBeforeAnythingIsWritten() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        var update = StoreFixtures.update(node: 1, seq: 1)
        update.metrics = ["loss": .nan]
        #expect(throws: StoreError.invalidValue(field: "metric 'loss'", reason: "nan is not finite")) {
            try StoreFixtures.record(store, update)
        }
        update = StoreFixtures.update(node: 1, seq: UInt64(Int64.max) + 1)
        #expect(throws: StoreError.self) { try StoreFixtures.record(store, update) }
        update = StoreFixtures.update(node: 1, seq: 0)
        #expect(throws: StoreError.self) { try StoreFixtures.record(store, update) }
        #expect(throws: StoreError.missingBuffer(updates: 1)) {
            try store.commit(UpdateBatch(accepted: [StoreFixtures.update(node: 1, seq: 1)]))
        }
        #expect(try folder.files(in: "pending").isEmpty)
        #expect(try store.nodeSnapshot().isEmpty)
    }

    @Test func commitVersionMovesPendingUpdatesIntoTheHistory() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        let initial = try StoreFixtures.tinyModel(seed: 1)
        let v0 = try store.commitVersion(0, model: initial)
        #expect(v0.updatesFolded == 0 && v0.meanStaleness == nil && v0.maxStaleness == nil)
        #expect(v0.checkpoint == "models/v000000000.safetensors")

        var a = StoreFixtures.update(node: 4, seq: 1, staleness: 0, weight: 100, metrics: ["loss": 0.5, "acc": 0.8])
        var b = StoreFixtures.update(node: 9, seq: 1, staleness: 2, weight: 50, metrics: ["loss": 0.3])
        var c = StoreFixtures.update(node: 4, seq: 2, staleness: 1, weight: 25, metrics: ["loss": 0.1])
        (a.bytes, b.bytes, c.bytes) = (90_000, 12_000, 700)  // what each took on the wire
        try StoreFixtures.record(store, a, b)
        #expect(try store.pendingUpdates().map(\.update.bytes) == [90_000, 12_000])
        let next = try StoreFixtures.tinyModel(seed: 2)
        // c was accepted after the last group commit: the version counts it itself.
        let v1 = try store.commitVersion(1, model: next, accepting: [c], evaluation: Evaluation(accuracy: 0.75))

        #expect(
            v1
                == VersionRecord(
                    version: 1, createdAt: StoreFixtures.epoch, updatesFolded: 3, totalWeight: 175,
                    meanStaleness: 1, maxStaleness: 2, contributingNodes: [4, 9],
                    checkpoint: "models/v000000001.safetensors", evaluation: Evaluation(accuracy: 0.75),
                    trainMetrics: ["loss": 0.3, "acc": 0.8], updateBytes: 102_700))
        #expect(try store.history() == [v0, v1])
        #expect(try store.currentVersion() == 1)
        #expect(try store.pendingUpdates().isEmpty)
        #expect(try store.federation().bufferFile == nil)
        #expect(try store.settledSeqs() == [4: 2, 9: 1])
        #expect(try store.nodeSnapshot().map(\.acceptedCount) == [2, 1])
        #expect(try folder.files(in: "pending") == ["buffer-0.safetensors"])  // kept for the next group commit
        let loaded = try Model(checkpoint: try #require(try store.currentCheckpointPath()))
        #expect(Array(loaded.parameters.buffer) == Array(next.parameters.buffer))
        #expect(Array(loaded.parameters.buffer) != Array(initial.parameters.buffer))
    }

    @Test func versionsStartAtZeroAndGrowByOneAndFoldEachUpdateOnce() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        let model = try StoreFixtures.tinyModel()
        #expect(throws: StoreError.versionOutOfOrder(expected: 0, got: 1)) {
            try store.commitVersion(1, model: model)
        }
        try store.commitVersion(0, model: model)
        #expect(throws: StoreError.versionOutOfOrder(expected: 1, got: 0)) {
            try store.commitVersion(0, model: model)
        }
        let update = StoreFixtures.update(node: 3, seq: 1)
        try StoreFixtures.record(store, update)
        let key = update.key
        #expect(throws: StoreError.foldedTwice(node: 3, seq: 1)) {
            try store.commitVersion(1, model: model, accepting: [update])
        }
        let other = StoreFixtures.update(node: 4, seq: 1)
        #expect(throws: StoreError.foldedTwice(node: 4, seq: 1)) {
            try store.commitVersion(1, model: model, accepting: [other, other])
        }
        try store.recordRefusal(reason: "stale", node: 5, settling: 3)
        #expect(throws: StoreError.alreadySettled(node: 5, seq: 2, settledSeq: 3)) {
            try store.commitVersion(1, model: model, accepting: [StoreFixtures.update(node: 5, seq: 2)])
        }
        #expect(try folder.files(in: "models") == ["v000000000.safetensors"])
        #expect(try store.currentVersion() == 0)
        #expect(try store.pendingUpdates().map(\.key) == [key])
    }

    @Test func oldCheckpointsArePrunedKeepingTheLastNAndVersionZero() throws {
        let folder = try StateFolder()
        let store = try folder.open(keep: 2)
        let model = try StoreFixtures.tinyModel()
        for version in 0...5 as ClosedRange<UInt64> {
            try store.commitVersion(version, model: model)
        }
        #expect(
            try folder.files(in: "models") == [
                "v000000000.safetensors", "v000000004.safetensors", "v000000005.safetensors",
            ])
        #expect(
            try store.history().map(\.checkpoint) == [
                "models/v000000000.safetensors", nil, nil, nil, "models/v000000004.safetensors",
                "models/v000000005.safetensors",
            ])
        #expect(throws: StoreError.self) {
            try StateStore(folder: folder.path + "-other", options: .init(keepCheckpoints: 0))
        }
    }

    @Test func optimizerStateFollowsTheCurrentVersion() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        let model = try StoreFixtures.tinyModel()
        var momentum = SafetensorsWriter()
        try momentum.add(name: "momentum", shape: [2], floats: [0.5, -0.5])
        try store.commitVersion(0, model: model, optimizerState: momentum)
        try store.commitVersion(1, model: model, optimizerState: momentum)
        #expect(try store.federation().optimizerStateFile == "models/v000000001.optimizer.safetensors")
        #expect(
            try folder.files(in: "models") == [
                "v000000000.safetensors", "v000000001.optimizer.safetensors", "v000000001.safetensors",
            ])
        try store.close()
        let reopened = try folder.open()
        #expect(reopened.recovery.optimizerStatePath == "\(folder.path)/models/v000000001.optimizer.safetensors")
        #expect(reopened.recovery.removedFiles.isEmpty)
    }

    @Test func evaluationsAreRecordedWithOrAfterTheirVersion() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        try store.commitVersion(0, model: try StoreFixtures.tinyModel())
        #expect(try store.history()[0].evaluation == nil)
        try store.recordEvaluation(Evaluation(accuracy: 0.9, auc: 0.95, loss: 0.2), version: 0)
        #expect(try store.history()[0].evaluation == Evaluation(accuracy: 0.9, auc: 0.95, loss: 0.2))
        #expect(throws: StoreError.unknownVersion(3)) {
            try store.recordEvaluation(Evaluation(accuracy: 1), version: 3)
        }
        #expect(throws: StoreError.self) { try store.recordEvaluation(Evaluation(accuracy: .infinity), version: 0) }
    }

    @Test func refusalsAreCountedAndFinalOnesSettleTheSeq() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        try store.recordRefusal(reason: "bad_mac")
        try store.recordRefusal(reason: "bad_mac")
        try store.recordRefusal(reason: "stale", node: 5, settling: 8)
        try store.recordRefusal(reason: "norm_too_large", node: 5)

        let refusals = try store.refusals()
        #expect(refusals.map(\.reason) == ["bad_mac", "norm_too_large", "stale"])
        #expect(refusals.map(\.node) == [nil, 5, 5])
        #expect(refusals.map(\.count) == [2, 1, 1])
        #expect(refusals.totalsByReason == ["bad_mac": 2, "norm_too_large": 1, "stale": 1])
        #expect(try store.settledSeqs() == [5: 8])
        #expect(try store.nodeSnapshot().map(\.refusedCount) == [2])
        #expect(throws: StoreError.alreadySettled(node: 5, seq: 8, settledSeq: 8)) {
            try StoreFixtures.record(store, StoreFixtures.update(node: 5, seq: 8))
        }
        try store.recordRefusal(reason: "stale", node: 5, settling: 2)
        #expect(try store.settledSeqs() == [5: 8])
        #expect(throws: StoreError.self) { try store.recordRefusal(reason: "replay", settling: 3) }
    }

    @Test func heartbeatsUpdateLivenessAndRegisterUnknownNodes() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        try store.registerNode(1, name: "st-olav")
        let later = StoreFixtures.epoch.addingTimeInterval(30)
        try store.recordHeartbeats([
            Heartbeat(node: 1, at: StoreFixtures.epoch, state: "idle", versionHeld: nil),
            Heartbeat(node: 2, at: StoreFixtures.epoch, state: "training", versionHeld: 3),
            Heartbeat(node: 1, at: later, state: "training", versionHeld: 4),
        ])
        let nodes = try store.nodeSnapshot()
        #expect(nodes.map(\.id) == [1, 2])
        #expect(nodes.map(\.name) == ["st-olav", nil])
        #expect(nodes.map(\.lastHeartbeatAt) == [later, StoreFixtures.epoch])
        #expect(nodes.map(\.reportedState) == ["training", "training"])
        #expect(nodes.map(\.versionHeld) == [4, 3])
        #expect(nodes.map(\.settledSeq) == [0, 0])
    }

    @Test func aSecondOpenOfTheSameFolderIsRefused() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        #expect(throws: StoreError.locked(folder: folder.path, holder: getpid())) { try folder.open() }
        let message = StoreError.locked(folder: folder.path, holder: getpid()).description
        #expect(message.contains("in use by process \(getpid())"))
        try store.close()
        let again = try folder.open()
        #expect(try again.currentVersion() == nil)
    }
}
