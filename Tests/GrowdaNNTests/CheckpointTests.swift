import Foundation
import GrowdaSafetensors
import GrowdaTestKit
import Testing

@testable import GrowdaNN

@Suite("Checkpoints")
struct CheckpointTests {
    /// Save, load: same spec, parameters, state and facts; the file names tensors as PyTorch would.
    @Test func roundTrip() throws {
        let dir = try TemporaryDirectory()
        let model = try Model(spec: tinySpec, seed: 4)
        model.state.pointer[0] = 0.25  // a batch-norm running mean, so state round-trips too
        let path = dir.path("tiny.safetensors")
        try model.save(to: path, facts: ["epoch": "3", "threshold": "0.4"])

        let file = try SafetensorsFile(contentsOf: path)
        #expect(file.metadata["format"] == "growda-checkpoint")
        #expect(Model.facts(of: file)["threshold"] == "0.4")
        #expect(file.info("layers.0.weight")?.shape == [4, 1, 3, 3])
        #expect(file.info("layers.1.running_mean")?.shape == [4])
        #expect(file.info("layers.0.weight")?.dtype == .F32)

        let loaded = try Model(checkpoint: path)
        #expect(loaded.spec == model.spec)
        #expect(loaded.parameters.array == model.parameters.array)
        #expect(loaded.state.array == model.state.array)
    }

    @Test func refusesForeignAndMismatchedFiles() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("plain.safetensors")
        var writer = SafetensorsWriter()
        try writer.add(name: "x", shape: [2], floats: [1, 2])
        try writer.write(to: path)
        #expect(throws: ModelError.self) { try Model(checkpoint: path) }

        // A checkpoint of a different architecture cannot be loaded into this one.
        let other = try Model(reference: "small28", classes: ["a", "b"])
        let otherPath = dir.path("small28.safetensors")
        try other.save(to: otherPath)
        let model = try Model(spec: tinySpec)
        do {
            try model.load(from: try SafetensorsFile(contentsOf: otherPath), origin: otherPath)
            Issue.record("loading a small28 checkpoint into the tiny model should fail")
        } catch let error as ModelError {
            #expect("\(error)".contains("layers.0.weight"))
        }
    }
}
