import Foundation
import GrowdaTestKit
import Testing

@testable import GrowdaStore

@Suite struct StateReaderTests {
    @Test func aReaderSeesTheAggregatorsCommitsWhileItRuns() throws {
        let folder = try StateFolder()
        let store = try folder.open()
        let model = try StoreFixtures.tinyModel()
        try store.commitVersion(0, model: model)

        let reader = try StateReader(folder: folder.path)
        #expect(try reader.history().map(\.version) == [0])
        try StoreFixtures.record(store, StoreFixtures.update(node: 5, seq: 1))
        #expect(try reader.pendingUpdates().map(\.key) == [UpdateKey(node: 5, seq: 1)])
        try store.recordRefusal(reason: "stale", node: 5, settling: 2)
        try store.commitVersion(1, model: model)
        try store.recordHeartbeat(Heartbeat(node: 5, at: StoreFixtures.epoch, state: "idle", versionHeld: 1))

        #expect(try reader.history() == store.history())
        #expect(try reader.nodes() == store.nodeSnapshot())
        #expect(try reader.refusals() == store.refusals())
        #expect(try reader.federation().currentVersion == 1)
        #expect(try reader.pendingUpdates().isEmpty)
        #expect(try reader.nodes().map(\.settledSeq) == [2])
        try store.close()
        #expect(try reader.history().map(\.version) == [0, 1])
        try reader.close()

        let afterwards = try StateReader(folder: folder.path)
        #expect(try afterwards.history().map(\.updatesFolded) == [0, 1])
    }

    @Test func aReaderRefusesAFolderWithoutState() throws {
        let folder = try StateFolder()
        #expect(throws: StoreError.noState(folder: folder.path)) { try StateReader(folder: folder.path) }
    }

    @Test func historyJSONHasStableKeysWithNulls() throws {
        let records = [
            VersionRecord(
                version: 0, createdAt: StoreFixtures.epoch, updatesFolded: 0, totalWeight: 0, meanStaleness: nil,
                maxStaleness: nil, contributingNodes: [], checkpoint: "models/v000000000.safetensors",
                evaluation: nil, trainMetrics: [:]),
            VersionRecord(
                version: 1, createdAt: StoreFixtures.epoch.addingTimeInterval(1.5), updatesFolded: 2,
                totalWeight: 150, meanStaleness: 0.5, maxStaleness: 1, contributingNodes: [3, 8], checkpoint: nil,
                evaluation: Evaluation(accuracy: 0.875, auc: 0.9), trainMetrics: ["loss": 0.25]),
        ]
        let json = try HistoryExport.json(records)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        let keys: Set<String> = [
            "version", "created_at", "updates_folded", "total_weight", "mean_staleness", "max_staleness",
            "contributing_nodes", "checkpoint", "eval_accuracy", "eval_auc", "eval_loss", "train_metrics",
            "update_bytes",
        ]
        #expect(parsed.map { Set($0.keys) } == [keys, keys])
        #expect(parsed[0]["mean_staleness"] is NSNull)
        #expect(parsed[0]["eval_accuracy"] is NSNull)
        #expect(parsed[1]["checkpoint"] is NSNull)
        #expect(parsed[1]["eval_loss"] is NSNull)
        #expect(parsed[1]["created_at"] as? String == "2026-01-01T00:00:01.500Z")
        #expect(parsed[1]["contributing_nodes"] as? [Int] == [3, 8])
        #expect(parsed[1]["eval_auc"] as? Double == 0.9)
        #expect(parsed[1]["train_metrics"] as? [String: Double] == ["loss": 0.25])
    }

    @Test func historyCSVHasFixedColumnsThenOneColumnPerMetric() {
        let records = [
            VersionRecord(
                version: 0, createdAt: StoreFixtures.epoch, updatesFolded: 0, totalWeight: 0, meanStaleness: nil,
                maxStaleness: nil, contributingNodes: [], checkpoint: "models/v000000000.safetensors",
                evaluation: nil, trainMetrics: [:]),
            VersionRecord(
                version: 1, createdAt: StoreFixtures.epoch, updatesFolded: 2, totalWeight: 150.5, meanStaleness: 0.5,
                maxStaleness: 1, contributingNodes: [3, 8], checkpoint: nil,
                evaluation: Evaluation(accuracy: 0.875, auc: 0.9, loss: 0.3),
                trainMetrics: ["loss": 0.25, "acc,top1": 0.5], updateBytes: 180_000),
        ]
        let lines = HistoryExport.csv(records).components(separatedBy: "\r\n")
        #expect(
            lines == [
                "version,created_at,updates_folded,total_weight,mean_staleness,max_staleness,contributing_nodes,"
                    + "checkpoint,eval_accuracy,eval_auc,eval_loss,update_bytes,\"local_acc,top1\",local_loss",
                "0,2026-01-01T00:00:00.000Z,0,0.0,,,,models/v000000000.safetensors,,,,0,,",
                "1,2026-01-01T00:00:00.000Z,2,150.5,0.5,1,3;8,,0.875,0.9,0.3,180000,0.5,0.25",
                "",
            ])
    }
}
