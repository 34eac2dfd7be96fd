import Foundation
import GrowdaNN
import GrowdaSafetensors
import GrowdaTestKit
import Testing

@testable import GrowdaStore

/// The best version by the evaluation metric is recorded durably and its checkpoint is kept whatever the
/// pruning, until a better version replaces it.
@Suite struct BestVersionTests {
    static func best(_ version: UInt64, _ value: Double) -> BestVersion {
        BestVersion(version: version, metric: "auc", value: value)
    }

    static func checkpoint(_ model: Model, _ version: UInt64) throws -> SafetensorsWriter {
        try model.checkpointWriter(facts: ["growda.version": String(version)])
    }

    @Test func theBestCheckpointSurvivesPruningAndARestartUntilABetterVersionReplacesIt() throws {
        let folder = try StateFolder()
        var store = try folder.open(keep: 2)
        let model = try StoreFixtures.tinyModel()
        for version in 0...2 as ClosedRange<UInt64> { try store.commitVersion(version, model: model) }
        try store.recordEvaluation(
            Evaluation(accuracy: 0.8, auc: 0.93), version: 2, best: Self.best(2, 0.93),
            checkpoint: try Self.checkpoint(model, 2))
        for version in 3...7 as ClosedRange<UInt64> { try store.commitVersion(version, model: model) }
        #expect(
            try folder.files(in: "models") == [
                "v000000000.safetensors", "v000000002.safetensors", "v000000006.safetensors",
                "v000000007.safetensors",
            ])
        try store.close()

        store = try folder.open(keep: 2)
        #expect(store.recovery.removedFiles.isEmpty)
        #expect(try store.bestVersion() == Self.best(2, 0.93))
        #expect(try store.history()[2].checkpoint == "models/v000000002.safetensors")
        #expect(try Model(checkpoint: store.path(of: "models/v000000002.safetensors")).spec == model.spec)

        // A worse evaluation changes nothing; a better one takes over, and v2 goes the way of its neighbours.
        try store.recordEvaluation(Evaluation(accuracy: 0.7, auc: 0.9), version: 6)
        #expect(try store.bestVersion() == Self.best(2, 0.93))
        try store.recordEvaluation(
            Evaluation(accuracy: 0.85, auc: 0.95), version: 7, best: Self.best(7, 0.95),
            checkpoint: try Self.checkpoint(model, 7))
        #expect(try store.bestVersion() == Self.best(7, 0.95))
        #expect(try store.history()[2].checkpoint == nil)
        #expect(
            try folder.files(in: "models") == [
                "v000000000.safetensors", "v000000006.safetensors", "v000000007.safetensors",
            ])
        for version in 8...9 as ClosedRange<UInt64> { try store.commitVersion(version, model: model) }
        #expect(
            try folder.files(in: "models") == [
                "v000000000.safetensors", "v000000007.safetensors", "v000000008.safetensors",
                "v000000009.safetensors",
            ])
        let reader = try StateReader(folder: folder.path)
        #expect(try reader.federation().best == Self.best(7, 0.95))
    }

    @Test func aBestVersionWhoseCheckpointWasAlreadyPrunedIsWrittenAgain() throws {
        let folder = try StateFolder()
        let store = try folder.open(keep: 2)
        let model = try StoreFixtures.tinyModel(seed: 3)
        for version in 0...5 as ClosedRange<UInt64> { try store.commitVersion(version, model: model) }
        #expect(try store.history()[2].checkpoint == nil)
        // Its evaluation came back late: without the weights the store cannot keep it, and says so.
        #expect(throws: StoreError.self) {
            try store.recordEvaluation(Evaluation(accuracy: 0.9, auc: 0.9), version: 2, best: Self.best(2, 0.9))
        }
        #expect(try store.bestVersion() == nil)
        try store.recordEvaluation(
            Evaluation(accuracy: 0.9, auc: 0.9), version: 2, best: Self.best(2, 0.9),
            checkpoint: try Self.checkpoint(model, 2))
        #expect(try store.history()[2].checkpoint == "models/v000000002.safetensors")
        #expect(try store.history()[2].evaluation?.auc == 0.9)
        let restored = try Model(checkpoint: store.path(of: "models/v000000002.safetensors"))
        withExtendedLifetime((restored, model)) {
            #expect(Array(restored.parameters.buffer) == Array(model.parameters.buffer))
        }
        // A best naming another version than the evaluation's is refused.
        #expect(throws: StoreError.self) {
            try store.recordEvaluation(Evaluation(accuracy: 0.9), version: 3, best: Self.best(4, 0.9))
        }
    }
}
