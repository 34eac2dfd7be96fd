import ArgumentParser
import Foundation
import GrowdaData
import GrowdaTestKit
import Testing

@testable import GrowdaCLI

/// `growda audit leakage` end to end on a few synthetic X-rays: the report, its JSON and the PNG sheet.
@Suite struct AuditCommandTests {
    func parse(_ arguments: [String]) throws -> AuditLeakage {
        try #require(try Growda.parseAsRoot(["audit", "leakage"] + arguments) as? AuditLeakage)
    }

    @Test func auditsAndWritesTheSheetAndJSON() throws {
        let dir = try TemporaryDirectory()
        let data = dir.path("data"), sheet = dir.path("sheet.png")
        _ = try SyntheticXray.write(perClass: 3, size: 28, seed: 1, to: data)
        let command = try parse([
            "--model", "small28", "--data", data, "--batch-sizes", "1,2", "--trials", "1", "--iterations", "15",
            "--optimizer", "sgd", "--dp-clip", "1", "--dp-noise", "1", "--sheet", sheet, "--threads", "2", "--json",
        ])
        let report = try command.audit()

        let json = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any])
        #expect(json["model"] as? String == "small28" && json["seen"] as? String == "26×26")
        #expect(json["images"] as? Int == 9 && json["defence"] as? String == "DP-SGD C 1.0 σ 1.0")
        let results = try #require(json["results"] as? [[String: Any]])
        #expect(results.map { $0["batch"] as? Int } == [1, 2] && results.allSatisfy { $0["optimizer"] as? String == "sgd" })
        for row in results {
            for key in ["undefended", "defended", "wrong_image", "mean_image"] {
                let score = try #require(row[key] as? [String: Double], "\(key) missing")
                #expect(Set(score.keys) == ["psnr", "psnr_seen", "ssim", "ssim_seen"])
                #expect(score.values.allSatisfy(\.isFinite) && score["psnr"]! > 0 && score["ssim"]! <= 1)
            }
        }
        // The mean image is the same guess for every trial's images: it is scored, not attacked.
        #expect(report.results[0].mean_image.psnr > 0)
        #expect(report.text.contains("baseline: the mean image") && report.text.contains("attack, DP-SGD C 1.0 σ 1.0"))

        // The sheet: an RGB PNG, label column + 2 tiles of 112 px wide at least, two sections of three rows.
        let png = try Data(contentsOf: URL(fileURLWithPath: sheet))
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(png[25] == 2, "colour type 2: 8-bit RGB")
        let picture = try PNG.read(contentsOf: sheet)
        #expect(picture.width >= 150 + 2 * 112 && picture.height >= 2 * 3 * 112)
    }

    @Test func errorsNameTheInput() throws {
        func message(_ arguments: [String]) -> String? {
            do { _ = try Growda.parseAsRoot(["audit", "leakage"] + arguments); return nil } catch {
                return Growda.message(for: error)
            }
        }
        #expect(message(["--model", "small28", "--data", "d"]) == nil)
        #expect(message(["--model", "ecg187", "--data", "d"])?.contains("the image models small28, xray128") == true)
        #expect(message(["--model", "small28", "--data", "d", "--dp-clip", "1"])?.contains("--dp-noise") == true)
        #expect(message(["--model", "small28", "--data", "d", "--batch-sizes", "1,x"])?.contains("'1,x'") == true)
        #expect(message(["--model", "small28", "--data", "d", "--sheet", "s.jpg"]) == "--sheet must end in .png, got s.jpg")
        #expect(message(["--model", "small28", "--data", "d", "--update-noise", "1"])?.contains("--update-clip") == true)

        let dir = try TemporaryDirectory()
        let missing = dir.path("nowhere")
        #expect { try parse(["--model", "small28", "--data", missing]).audit() } throws: {
            "\($0)".contains(missing)
        }
        // Too few images for the batch and a wrong-image baseline.
        let data = dir.path("few")
        _ = try SyntheticXray.write(perClass: 1, size: 28, seed: 1, to: data)
        #expect { try parse(["--model", "small28", "--data", data, "--batch-sizes", "3", "--sheet", dir.path("s.png")]).audit() } throws: {
            "\($0)".contains("3 image(s) in \(data)") && "\($0)".contains("lower --batch-sizes")
        }
    }
}
