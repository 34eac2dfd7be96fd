import ArgumentParser
import Foundation
import GrowdaData
import GrowdaNN
import GrowdaTestKit
import Testing

@testable import GrowdaCLI

/// train → explain on a small synthetic set, through the commands as a user runs them.
@Suite struct ExplainCommandTests {
    /// A small28 checkpoint trained for two epochs on synthetic X-rays, and a 40×36 scan (not the model's
    /// 28×28) made from a held-out image. (So briefly trained a model finds no evidence at all in some
    /// images, an empty map; this image, for these seeds, is not one of them.)
    static func trainedCheckpoint(in dir: TemporaryDirectory) async throws -> (checkpoint: String, scan: String) {
        let train = dir.path("train"), ckpt = dir.path("m.safetensors")
        _ = try SyntheticXray.write(perClass: 12, size: 28, seed: 1, to: train)
        _ = try SyntheticXray.write(perClass: 4, size: 28, seed: 2, to: dir.path("val"))
        let command = try #require(
            try Growda.parseAsRoot([
                "train", "--data", train, "--model", "small28", "--epochs", "2", "--batch", "8", "--threads", "2",
                "--out", ckpt, "--json",
            ]) as? TrainCommand)
        try await command.run()
        let image = try PNG.read(contentsOf: dir.path("val/bacterial/00001.png"))
        let scan = dir.path("scan.png")
        try PNG.write(image.resized(width: 40, height: 36), to: scan)
        return (ckpt, scan)
    }

    func parse(_ arguments: [String]) throws -> ExplainCommand {
        try #require(try Growda.parseAsRoot(["explain"] + arguments) as? ExplainCommand)
    }

    @Test func writesTheOverlayAndPrintsTheMap() async throws {
        let dir = try TemporaryDirectory()
        let (ckpt, scan) = try await Self.trainedCheckpoint(in: dir)
        let heat = dir.path("heat.png")
        let output = try parse(["--model", ckpt, scan, "--out", heat, "--opacity", "0.6", "--json"]).explain()

        // The overlay: an RGB PNG at the scan's size.
        let png = try Data(contentsOf: URL(fileURLWithPath: heat))
        #expect(png[25] == 2, "colour type 2: 8-bit RGB")
        let back = try PNG.read(contentsOf: heat)
        #expect(back.width == 40 && back.height == 36)

        // The JSON: probabilities, the classes, the class explained, the time and a 28×28 map.
        let json = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(output)) as? [String: Any])
        #expect(json["classes"] as? [String] == SyntheticXray.classNames)
        let probabilities = try #require(json["probabilities"] as? [String: Double])
        #expect(abs(probabilities.values.reduce(0, +) - 1) < 1e-4)
        #expect(json["target"] as? String == json["predicted"] as? String)
        #expect(json["layer"] as? String == "layers.3" && json["feature_maps"] as? [Int] == [64, 11, 11])
        #expect((json["ms"] as? Double ?? -1) > 0 && json["out"] as? String == heat)
        let map = try #require(json["map"] as? [[Double]])
        #expect(map.count == 28 && map.allSatisfy { $0.count == 28 })
        let values = map.flatMap { $0 }
        print("explain: target \(output.target), map sum \(values.reduce(0, +)), \(output.ms) ms")
        #expect(values.reduce(0, +) > 0)
        #expect(values.allSatisfy { $0 >= 0 && $0 <= 1 })
        let mapText = String(decoding: try JSONEncoder().encode(output.map), as: UTF8.self)
        #expect(mapText.firstMatch(of: /\.\d{5}/) == nil, "four decimals at most")

        // --class by name or by index explains the same class.
        let byName = try parse(["--model", ckpt, scan, "--class", "normal", "--json"]).explain()
        let byIndex = try parse(["--model", ckpt, scan, "--class", "1", "--json"]).explain()
        #expect(byName.target == "normal" && byIndex.target == "normal" && byName.map == byIndex.map)
        #expect(byName.out == nil)
    }

    @Test func errorsNameTheInputAndWhatToDo() async throws {
        func message(_ arguments: [String]) -> String? {
            do { _ = try Growda.parseAsRoot(["explain"] + arguments); return nil } catch {
                return Growda.message(for: error)
            }
        }
        #expect(message(["--model", "m.safetensors", "s.png", "--out", "h.png"]) == nil)
        #expect(
            message(["--model", "m", "s.png", "--json", "--opacity", "1.5"])
                == "--opacity must be between 0 and 1, got 1.5")
        #expect(message(["--model", "m", "s.png"])?.contains("--out heat.png") == true)
        #expect(message(["--model", "m", "s.png", "--out", "h.jpg"]) == "--out must end in .png, got h.jpg")

        let dir = try TemporaryDirectory()
        let missing = dir.path("none.safetensors")
        #expect { try parse(["--model", missing, "s.png", "--json"]).explain() } throws: {
            "\($0)".contains("no checkpoint at \(missing)")
        }
        let (ckpt, scan) = try await Self.trainedCheckpoint(in: dir)
        #expect { try parse(["--model", ckpt, scan, "--class", "flu", "--json"]).explain() } throws: {
            "\($0)" == "--class flu is not one of the model's classes: give a name (bacterial, normal, viral) "
                + "or an index from 0 to 2"
        }
        let notPNG = dir.path("scan.txt")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: notPNG))
        #expect { try parse(["--model", ckpt, notPNG, "--json"]).explain() } throws: {
            "\($0)".contains("\(notPNG) is not a PNG file")
        }
    }
}
