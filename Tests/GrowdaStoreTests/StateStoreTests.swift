import Foundation
import GRDB
import GrowdaNN
import GrowdaSafetensors
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
        #expect(migrations == ["v1: federation, nodes, pending updates, versions, refusals"])
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
        try store.commitVersion(0, model: model, folding: [])
        _ = try store.recordAcceptedUpdate(StoreFixtures.update(node: 2, seq: 1), delta: [1, 2, 3])
        try store.close()

        let reopened = try StateStore(folder: folder.path, options: options)
        let pending = try #require(reopened.recovery.pending.first)
        #expect(try reopened.readDelta(pending) == [1, 2, 3])
        let loaded = try Model(checkpoint: try #require(reopened.recovery.checkpointPath))
        #expect(Array(loaded.parameters.buffer) == Array(model.parameters.buffer))
        #expect(try folder.files(in: "pending") == ["2-1.safetensors"])
    }

    @Test func anAcceptedUpdateIsOnDiskAndSettledBeforeItCounts() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        let update = StoreFixtures.update(node: 7, seq: 3, staleness: 1, weight: 70.7, metrics: ["loss": 0.25])
        let delta = StoreFixtures.delta(node: 7, seq: 3)

        let outcome = try store.recordAcceptedUpdate(update, delta: delta)

        let pending = PendingUpdate(
            update: update, receivedAt: StoreFixtures.epoch, deltaFile: "pending/7-3.safetensors")
        #expect(outcome == .recorded(pending))
        #expect(try store.pendingUpdates() == [pending])
        #expect(folder.exists("pending/7-3.safetensors"))
        #expect(try store.readDelta(pending) == delta)
        #expect(try store.settledSeqs() == [7: 3])
        let node = try #require(try store.nodeSnapshot().first)
        #expect(node.id == 7 && node.settledSeq == 3 && node.acceptedCount == 1 && node.refusedCount == 0)
        #expect(node.lastMetrics == ["loss": 0.25])
        #expect(node.lastUpdateAt == StoreFixtures.epoch)
    }

    @Test func aDuplicateSeqChangesNothing() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        let first = StoreFixtures.update(node: 2, seq: 5)
        let original = StoreFixtures.delta(node: 2, seq: 5)
        _ = try store.recordAcceptedUpdate(first, delta: original)

        let again = try store.recordAcceptedUpdate(first, delta: [Float](repeating: -1, count: 10))
        let older = try store.recordAcceptedUpdate(StoreFixtures.update(node: 2, seq: 4), delta: original)

        #expect(again == .duplicate(settledSeq: 5))
        #expect(older == .duplicate(settledSeq: 5))
        let pending = try store.pendingUpdates()
        #expect(pending.map(\.key) == [UpdateKey(node: 2, seq: 5)])
        #expect(try store.readDelta(pending[0]) == original)
        #expect(try store.nodeSnapshot().map(\.acceptedCount) == [1])
        #expect(try folder.files(in: "pending") == ["2-5.safetensors"])
    }

    @Test func invalidUpdatesAreRefusedBeforeAnythingIsWritten() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        var update = StoreFixtures.update(node: 1, seq: 1)
        update.metrics = ["loss": .nan]
        #expect(throws: StoreError.invalidValue(field: "metric 'loss'", reason: "nan is not finite")) {
            try store.recordAcceptedUpdate(update, delta: [1])
        }
        update = StoreFixtures.update(node: 1, seq: UInt64(Int64.max) + 1)
        #expect(throws: StoreError.self) { try store.recordAcceptedUpdate(update, delta: [1]) }
        update = StoreFixtures.update(node: 1, seq: 0)
        #expect(throws: StoreError.self) { try store.recordAcceptedUpdate(update, delta: [1]) }
        #expect(try folder.files(in: "pending").isEmpty)
        #expect(try store.nodeSnapshot().isEmpty)
    }

    @Test func commitVersionMovesPendingUpdatesIntoTheHistory() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        let initial = try StoreFixtures.tinyModel(seed: 1)
        let v0 = try store.commitVersion(0, model: initial, folding: [])
        #expect(v0.updatesFolded == 0 && v0.meanStaleness == nil && v0.maxStaleness == nil)
        #expect(v0.checkpoint == "models/v000000000.safetensors")

        let a = StoreFixtures.update(node: 4, seq: 1, staleness: 0, weight: 100, metrics: ["loss": 0.5, "acc": 0.8])
        let b = StoreFixtures.update(node: 9, seq: 1, staleness: 2, weight: 50, metrics: ["loss": 0.3])
        let c = StoreFixtures.update(node: 4, seq: 2, staleness: 1, weight: 25, metrics: ["loss": 0.1])
        for update in [a, b, c] {
            _ = try store.recordAcceptedUpdate(update, delta: StoreFixtures.delta(node: update.node, seq: update.seq))
        }
        let next = try StoreFixtures.tinyModel(seed: 2)
        let v1 = try store.commitVersion(
            1, model: next, folding: [a.key, b.key], evaluation: Evaluation(accuracy: 0.75))

        #expect(
            v1
                == VersionRecord(
                    version: 1, createdAt: StoreFixtures.epoch, updatesFolded: 2, totalWeight: 150, meanStaleness: 1,
                    maxStaleness: 2, contributingNodes: [4, 9], checkpoint: "models/v000000001.safetensors",
                    evaluation: Evaluation(accuracy: 0.75), trainMetrics: ["loss": 0.4, "acc": 0.8]))
        #expect(try store.history() == [v0, v1])
        #expect(try store.currentVersion() == 1)
        #expect(try store.pendingUpdates().map(\.key) == [c.key])
        #expect(try folder.files(in: "pending") == ["4-2.safetensors"])
        let loaded = try Model(checkpoint: try #require(try store.currentCheckpointPath()))
        #expect(Array(loaded.parameters.buffer) == Array(next.parameters.buffer))
        #expect(Array(loaded.parameters.buffer) != Array(initial.parameters.buffer))
    }

    @Test func versionsStartAtZeroAndGrowByOneAndFoldOnlyPendingUpdates() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        let model = try StoreFixtures.tinyModel()
        #expect(throws: StoreError.versionOutOfOrder(expected: 0, got: 1)) {
            try store.commitVersion(1, model: model, folding: [])
        }
        try store.commitVersion(0, model: model, folding: [])
        #expect(throws: StoreError.versionOutOfOrder(expected: 1, got: 0)) {
            try store.commitVersion(0, model: model, folding: [])
        }
        #expect(throws: StoreError.notPending(node: 3, seq: 1)) {
            try store.commitVersion(1, model: model, folding: [UpdateKey(node: 3, seq: 1)])
        }
        _ = try store.recordAcceptedUpdate(StoreFixtures.update(node: 3, seq: 1), delta: [1, 2])
        let key = UpdateKey(node: 3, seq: 1)
        #expect(throws: StoreError.foldedTwice(node: 3, seq: 1)) {
            try store.commitVersion(1, model: model, folding: [key, key])
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
            try store.commitVersion(version, model: model, folding: [])
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
        try store.commitVersion(0, model: model, folding: [], optimizerState: momentum)
        try store.commitVersion(1, model: model, folding: [], optimizerState: momentum)
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
        try store.commitVersion(0, model: try StoreFixtures.tinyModel(), folding: [])
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
        #expect(
            try store.recordAcceptedUpdate(StoreFixtures.update(node: 5, seq: 8), delta: [1])
                == .duplicate(settledSeq: 8))
        try store.recordRefusal(reason: "stale", node: 5, settling: 2)
        #expect(try store.settledSeqs() == [5: 8])
        #expect(throws: StoreError.self) { try store.recordRefusal(reason: "replay", settling: 3) }
    }

    @Test func discardedPendingUpdatesLeaveTheBufferAsRefusalsAndStaySettled() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        _ = try store.recordAcceptedUpdate(StoreFixtures.update(node: 1, seq: 1), delta: [1])
        _ = try store.recordAcceptedUpdate(StoreFixtures.update(node: 2, seq: 4), delta: [2])
        try store.discardPending([UpdateKey(node: 1, seq: 1)], reason: "stale")
        #expect(try store.pendingUpdates().map(\.key) == [UpdateKey(node: 2, seq: 4)])
        #expect(try folder.files(in: "pending") == ["2-4.safetensors"])
        #expect(try store.refusals().map { [$0.reason, "\($0.node ?? 0)", "\($0.count)"] } == [["stale", "1", "1"]])
        #expect(try store.settledSeqs() == [1: 1, 2: 4])
        #expect(throws: StoreError.notPending(node: 1, seq: 1)) {
            try store.discardPending([UpdateKey(node: 2, seq: 4), UpdateKey(node: 1, seq: 1)], reason: "stale")
        }
        #expect(try store.pendingUpdates().map(\.key) == [UpdateKey(node: 2, seq: 4)])
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
