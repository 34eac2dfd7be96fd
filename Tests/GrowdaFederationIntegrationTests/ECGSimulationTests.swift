import Foundation
import GrowdaData
import GrowdaTestKit
import Testing

/// The ECG modality end to end: `growda simulate --model ecg187` on synthetic beats, with real growda-node
/// processes, each hospital holding whole records, the aggregator scoring versions on other records.
@Suite(.serialized) struct ECGSimulationTests {
    /// Runs `growda arguments` to its end; its standard output, or a recorded issue with its log.
    static func growda(_ arguments: [String], log: String) throws -> Data {
        let process = Process()
        process.executableURL = productsDirectory().appendingPathComponent("growda")
        process.arguments = arguments
        let output = Pipe()
        #expect(FileManager.default.createFile(atPath: log, contents: nil))
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let logged = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 0, "growda \(arguments.joined(separator: " ")) failed:\n\(logged)")
        return data
    }

    /// `ecg187` reads the beats alone; `ecg187rr` with their rhythm, which needs the R peaks the files carry.
    @Test(arguments: ["ecg187", "ecg187rr"])
    func aSmallECGFederationMakesVersionsScoredByAUC(model: String) throws {
        let dir = try TemporaryDirectory(prefix: "growda-ecg")
        let out = dir.path("run")
        let json = try Self.growda(
            [
                "simulate", "--model", model, "--hospitals", "3", "--alpha", "0.5", "--versions", "3",
                "--synth-records", "9", "--synth-beats", "60", "--k", "2", "--reference-epochs", "1", "--out", out,
                "--json",
            ], log: dir.path("simulate.log"))
        let report = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let versions = try #require(report["versions"] as? [[String: Any]])
        #expect(versions.count >= 4, "v0 and at least three aggregated versions")
        #expect(versions.last.flatMap { $0["auc"] as? Double }.map { (0...1).contains($0) } == true)
        #expect(report["sample_kind"] as? String == "beats")
        #expect(report["eval_records"] as? Int == 4 && report["eval_images"] as? Int == 240)
        #expect((report["hospital_records"] as? [Int])?.reduce(0, +) == 9)
        #expect((report["reference"] as? [String: Any])?["images"] as? Int == 540)

        // Each hospital's CSV holds whole records, none shared with another hospital or the evaluation set.
        var seen = Set(try Dataset.loadCSV(out + "/synthetic/eval.csv").groups!)
        for h in 1...3 {
            let beats = try Dataset.loadCSV(out + "/hospitals/hospital-0\(h)/beats.csv")
            #expect(beats.rPeaks != nil, "hospital-0\(h)'s beats lost their R peaks")
            let records = Set(beats.groups!)
            #expect(records.isDisjoint(with: seen), "hospital-0\(h) shares a record")
            seen.formUnion(records)
        }
        #expect(seen.count == 13)

        // growda eval on the final model: AUC, and each class's sensitivity and +P.
        let eval = try Self.growda(
            ["eval", "--model", out + "/final-\(model).safetensors", "--data", out + "/synthetic/eval.csv", "--json"],
            log: dir.path("eval.log"))
        let scored = try #require(try JSONSerialization.jsonObject(with: eval) as? [String: Any])
        #expect((scored["auc"] as? Double).map { (0...1).contains($0) } == true)
        let perClass = try #require(scored["per_class"] as? [[String: Any]])
        #expect(perClass.count == 2 && perClass.allSatisfy { $0["ppv"] is Double && $0["sensitivity"] is Double })
    }
}
