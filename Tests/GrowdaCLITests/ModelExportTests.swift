import Foundation
import GrowdaNN
import GrowdaStore
import GrowdaTestKit
import Testing

@testable import GrowdaCLI

/// `growda model export`: the best, latest or a given version's checkpoint, offline from the state folder,
/// loadable as the model `growda predict --model` takes; clear errors for versions pruned or never made.
@Suite struct ModelExportTests {
    /// A state keeping 2 checkpoints, versions 0…7 (each with its own weights, seed = version + 1), v2 the best.
    static func makeState(at folder: String, best: Bool = true) throws -> ModelSpec {
        let store = try StateStore(folder: folder, options: .init(keepCheckpoints: 2, durability: .processCrash))
        let spec = ModelSpec(
            name: "t", inputShape: [1, 6, 6], classes: ["a", "b"], layers: [.flatten, .dense(units: 2)])
        for version in 0...7 as ClosedRange<UInt64> {
            try store.commitVersion(version, model: try Model(spec: spec, seed: version + 1))
            if version == 2 && best {
                try store.recordEvaluation(
                    Evaluation(accuracy: 0.84, auc: 0.93), version: 2,
                    best: BestVersion(version: 2, metric: "auc", value: 0.93),
                    checkpoint: try Model(spec: spec, seed: 3).checkpointWriter(facts: ["growda.version": "2"]))
            }
        }
        try store.close()
        return spec
    }

    static func export(_ arguments: [String]) async throws {
        let command = try #require(try Growda.parseAsRoot(["model", "export"] + arguments) as? ModelCommand.Export)
        try await command.run()
    }

    static func failure(_ arguments: [String]) async -> String? {
        do {
            try await export(arguments)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func theBestLatestAndAKeptVersionAreWrittenAsLoadableCheckpoints() async throws {
        let temporary = try TemporaryDirectory(prefix: "growda-export")
        let state = temporary.path("state")
        let spec = try Self.makeState(at: state)
        for (flags, seed) in [
            (["--best"], UInt64(3)), (["--latest"], 8), (["--version", "6"], 7), (["--version", "0"], 1),
        ] {
            let out = temporary.path("out-\(seed).safetensors")
            try await Self.export(["--state", state, "--out", out] + flags)
            let exported = try Model(checkpoint: out)
            #expect(exported.spec == spec)
            let reference = try Model(spec: spec, seed: seed)
            let expected = withExtendedLifetime(reference) { Array(reference.parameters.buffer) }
            #expect(withExtendedLifetime(exported) { Array(exported.parameters.buffer) } == expected)
        }
        let reader = try StateReader(folder: state)
        defer { try? reader.close() }
        let result = try ModelCommand.Export.export(from: reader, choice: .best, to: temporary.path("b.safetensors"))
        #expect(result.version == 2 && result.best && result.metric == "auc" && result.metric_value == 0.93)
    }

    @Test func aPrunedOrUnknownVersionSaysWhichVersionsExist() async throws {
        let temporary = try TemporaryDirectory(prefix: "growda-export")
        let state = temporary.path("state")
        _ = try Self.makeState(at: state)
        let out = temporary.path("m.safetensors")
        let pruned = try #require(await Self.failure(["--state", state, "--version", "4", "--out", out]))
        #expect(pruned.contains("version 4's checkpoint was pruned"), "\(pruned)")
        #expect(pruned.contains("Checkpoints kept: v0, v2, v6–v7."), "\(pruned)")
        let unknown = try #require(await Self.failure(["--state", state, "--version", "99", "--out", out]))
        #expect(unknown.contains("version 99 was never made (versions made: v0–v7)"), "\(unknown)")
        #expect(!FileManager.default.fileExists(atPath: out))

        let plain = temporary.path("plain")
        _ = try Self.makeState(at: plain, best: false)
        let noBest = try #require(await Self.failure(["--state", plain, "--best", "--out", out]))
        #expect(noBest.contains("records no best version") && noBest.contains("eval.keep_best"), "\(noBest)")
    }

    @Test func exactlyOneVersionChoiceAndASafetensorsFileAreRequired() {
        func message(_ args: [String]) -> String? {
            do { _ = try Growda.parseAsRoot(["model", "export"] + args); return nil } catch {
                return Growda.message(for: error)
            }
        }
        #expect(message(["--state", "s", "--best", "--out", "m.safetensors"]) == nil)
        #expect(message(["--state", "s", "--out", "m.safetensors"])?.contains("exactly one of") == true)
        #expect(
            message(["--state", "s", "--best", "--latest", "--out", "m.safetensors"])?.contains("exactly one") == true)
        #expect(message(["--state", "s", "--version", "-1", "--out", "m.safetensors"])?.contains("0 or more") == true)
        #expect(message(["--state", "s", "--best", "--out", "m.bin"])?.contains(".safetensors") == true)
        #expect(message(["--best", "--out", "m.safetensors"])?.contains("--state DIR or --federation DIR") == true)
    }
}
