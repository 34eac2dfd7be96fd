import Foundation
import GrowdaBench
import GrowdaConsole
import GrowdaCrypto
import GrowdaData
import GrowdaDesk
import GrowdaDiagnosis
import GrowdaNN
import GrowdaTestKit
import Logging
import Testing

/// The diagnosis desk and the model behind both consoles' predict and explain.
@Suite(.serialized) struct DeskTests {
    /// The DICOM fixtures GrowdaDataTests keeps (made by its make_dicom_fixtures.py).
    static func dicomFixture(_ name: String) throws -> [UInt8] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return [UInt8](try Data(contentsOf: root.appendingPathComponent("GrowdaDataTests/Fixtures/dicom/\(name)")))
    }

    /// A small28 checkpoint (seeded) with the facts a node's model carries.
    static func checkpoint(facts: [String: String] = ["global_version": "7"], in folder: TemporaryDirectory) throws
        -> String
    {
        let model = try Model(reference: "small28", classes: ["normal", "pneumonia"])
        let path = folder.path("model.safetensors")
        try model.save(to: path, facts: facts)
        return path
    }

    static func scanPNG(seed: UInt64 = 3) throws -> [UInt8] {
        let scan = SyntheticXray.image(label: 1, index: 0, size: 64, seed: seed)
        return try PNG.encode(scan)
    }

    @Test func aDiagnosisAgreesWithThePredictorAndExplainsItself() throws {
        let folder = try TemporaryDirectory(prefix: "growda-diagnosis")
        let path = try Self.checkpoint(in: folder)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let diagnostician = try Diagnostician(checkpoint: bytes, origin: path)
        #expect(diagnostician.version == 7)
        let png = try Self.scanPNG()
        let plain = try diagnostician.diagnose(png, name: "scan.png", explain: false)
        let scan = try PNG.decode(png, name: "scan.png")
        let sample = scan.resized(width: 28, height: 28).pixels.map { Float($0) / 255 }
        let expected = Predictor(model: try Model(checkpoint: path)).probabilities(sample: sample)
        // The diagnostician runs on more threads than this predictor: the same up to float rounding.
        func close(_ a: [Float], _ b: [Float]) -> Bool { a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) < 1e-5 } }
        #expect(close(plain.probabilities, expected))
        #expect(abs(plain.probabilities.reduce(0, +) - 1) < 1e-5)
        #expect(plain.image.format == "png" && plain.image.width == 64)
        #expect(plain.map == nil && plain.heatmap_png == nil)

        let explained = try diagnostician.diagnose(png, name: "scan.png", explain: true, targetClass: "pneumonia")
        #expect(explained.target_class == "pneumonia")
        #expect(close(explained.probabilities, expected))
        let map = try #require(explained.map)
        // At the last convolution layer's resolution.
        let shape = try GradCAM(model: diagnostician.model).activationShape
        #expect(map.height == shape[1] && map.width == shape[2] && map.values.count == shape[1])
        #expect(map.values.allSatisfy { $0.count == shape[2] })
        #expect(map.values.joined().allSatisfy { $0 >= 0 && $0 <= 1 })
        let heat = try PNG.decode([UInt8](try #require(Data(base64Encoded: explained.heatmap_png ?? ""))), name: "heat")
        #expect(heat.width == 28 && heat.height == 28)  // the model's input size, stretched by the page
        let shown = try PNG.decode([UInt8](try #require(Data(base64Encoded: explained.image_png ?? ""))), name: "scan")
        #expect(shown.width == 64 && shown.height == 64)
        #expect(throws: DiagnosisError.self) { try diagnostician.diagnose(png, name: "x", explain: true, targetClass: "flu") }
        #expect(throws: DiagnosisError.self) { try diagnostician.diagnose(Array("hello".utf8), name: "x", explain: false) }
    }

    @Test func theStoredThresholdDecides() throws {
        let folder = try TemporaryDirectory(prefix: "growda-diagnosis")
        let png = try Self.scanPNG()
        let low = try Diagnostician(
            checkpoint: [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.checkpoint(facts: ["threshold": "0.0"], in: folder)))),
            origin: "low")
        #expect(try low.diagnose(png, name: "s", explain: false).decision == "pneumonia")
        let high = try Diagnostician(
            checkpoint: [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.checkpoint(facts: ["threshold": "1.01"], in: folder)))),
            origin: "high")
        let answer = try high.diagnose(png, name: "s", explain: false)
        #expect(answer.decision == "normal")
        #expect(answer.threshold == 1.01)
    }

    /// A desk on a free port over a state folder holding a model and a status, signed in by bearer token.
    final class RunningDesk: @unchecked Sendable {
        let folder: TemporaryDirectory
        let server: ConsoleServer
        let port: Int
        let auth: [String: String]
        let task: Task<Void, any Error>

        init(withModel: Bool = true) async throws {
            folder = try TemporaryDirectory(prefix: "growda-desk")
            if withModel { _ = try DeskTests.checkpoint(in: folder) }
            let status = #"{"node_id":1,"node_name":"st-mary","written_at":0,"model_version":7,"outbox":0,"sent":3,"resent":0,"acknowledged":3,"refused":0,"contact":"ok","seconds_without_answer":0,"revoked":false,"last_training":{"train_loss":0.5,"val_auc":0.9,"base_version":6},"privacy":{"epsilon":3.21,"delta":1e-05,"max_epsilon":8,"updates":12,"budget_spent":false,"dp_clip":1,"dp_noise":1.5}}"#
            try Data(status.utf8).write(to: URL(fileURLWithPath: folder.path("status.json")))
            let token = try ConsoleToken.generate()
            try token.write(path: folder.path("desk.console-token"))
            let text = try String(contentsOfFile: folder.path("desk.console-token"), encoding: .utf8)
            auth = ["Authorization": "Bearer " + String(text.split(separator: "\n")[1].split(separator: " ")[2])]
            var logger = Logger(label: "desk-test")
            logger.logLevel = .critical
            server = try Desk.server(
                stateFolder: folder.url.path, nodeName: "st-mary", model: .latest,
                settings: ConsoleSettings(
                    title: "Growda diagnosis desk", port: 0, tokenPath: folder.path("desk.console-token"),
                    maxUploadBytes: 1 << 20),
                logger: logger)
            let server = self.server
            task = server.runInBackground()
            port = try await server.waitUntilListening(seconds: 60)
        }

        func client() -> LoopbackHTTPClient { LoopbackHTTPClient(port: port) }

        func post(_ path: String, _ body: [UInt8], type: String = "application/octet-stream") throws
            -> LoopbackHTTPClient.Response
        {
            try LoopbackHTTPClient(port: port).request(
                "POST", path, headers: auth.merging(["Content-Type": type]) { $1 }, body: body)
        }

        func stop() { task.cancel() }
    }

    @Test func theDeskDiagnosesPNGAndDICOMAndRefusesBadInputWithAReason() async throws {
        let desk = try await RunningDesk()
        defer { desk.stop() }
        let png = try desk.post("/api/v1/explain", try Self.scanPNG(), type: "image/png")
        #expect(png.status == 200)
        let answer = try #require(JSONSerialization.jsonObject(with: Data(png.body)) as? [String: Any])
        #expect(answer["model_version"] as? Int == 7)
        #expect((answer["probabilities"] as? [Double])?.count == 2)
        #expect(answer["heatmap_png"] is String)
        let lean = try desk.post("/api/v1/explain?image=false", try Self.scanPNG(), type: "image/png")
        #expect(lean.status == 200)
        #expect(lean.text.contains("heatmap_png") && !lean.text.contains("image_png"))
        #expect(try desk.post("/api/v1/explain?image=maybe", try Self.scanPNG()).status == 400)
        let dicom = try desk.post("/api/v1/predict", try Self.dicomFixture("mono2-u16-window.dcm"), type: "application/dicom")
        #expect(dicom.status == 200)
        #expect(dicom.text.contains("\"format\":\"dicom\""))
        #expect(!dicom.text.contains("heatmap_png"))

        let notImage = try desk.post("/api/v1/predict", Array("just some text".utf8))
        #expect(notImage.status == 415)
        #expect(notImage.text.contains("neither a PNG nor a DICOM"))
        let wrongType = try desk.post("/api/v1/predict", try Self.scanPNG(), type: "text/plain")
        #expect(wrongType.status == 415)
        var corrupt = try Self.scanPNG()
        corrupt.removeLast(corrupt.count / 2)
        #expect(try desk.post("/api/v1/predict", corrupt).status == 422)
        let noPixels = try desk.post("/api/v1/predict", try Self.dicomFixture("no-pixel-data.dcm"))
        #expect(noPixels.status == 422)
        #expect(noPixels.text.contains("unprocessable"))
        #expect(try desk.post("/api/v1/predict", try Self.dicomFixture("truncated.dcm")).status == 422)
        #expect(try desk.post("/api/v1/explain?class=flu", try Self.scanPNG()).status == 400)
        let huge = try desk.post("/api/v1/predict", [UInt8](repeating: 0x89, count: 2 << 20))
        #expect(huge.status == 413)
        let anonymous = try desk.client().request("POST", "/api/v1/predict", body: try Self.scanPNG())
        #expect(anonymous.status == 401)
        // The server carries on after all of it.
        #expect(try desk.post("/api/v1/predict", try Self.scanPNG()).status == 200)
        let counts = desk.server.refusals.byReason
        #expect(counts["unsupported_media_type"] == 2)
        #expect(counts["unprocessable"] == 3)
        #expect(counts["bad_request"] == 2)
        #expect(counts["too_large"] == 1)
        #expect(counts["unauthenticated"] == 1)
        // Nothing uploaded is kept: the state folder holds what it held.
        let files = try FileManager.default.contentsOfDirectory(atPath: desk.folder.url.path).sorted()
        #expect(files == ["desk.console-token", "model.safetensors", "status.json"])
    }

    @Test func theDeskShowsTheNodeAndItsModel() async throws {
        let desk = try await RunningDesk()
        defer { desk.stop() }
        let client = desk.client()
        let status = try client.request("GET", "/api/v1/status", headers: desk.auth)
        let object = try #require(JSONSerialization.jsonObject(with: Data(status.body)) as? [String: Any])
        #expect(object["role"] as? String == "node")
        #expect((object["node"] as? [String: Any])?["node_name"] as? String == "st-mary")
        let model = try client.request("GET", "/api/v1/model", headers: desk.auth)
        #expect(model.status == 200)
        #expect(try Model(checkpoint: .init(bytes: model.body), origin: "download").spec.name == "small28")
        #expect(try client.request("GET", "/api/v1/model?version=3", headers: desk.auth).status == 400)
        #expect(try client.request("GET", "/api/v1/model?version=best", headers: desk.auth).status == 404)
        let page = try client.request("GET", "/", headers: desk.auth.merging(["Accept": "text/html"]) { $1 })
        #expect(page.text.contains("Diagnosis desk · st-mary"))
        let document = try client.request("GET", "/api/v1/openapi.json", headers: desk.auth)
        #expect(document.text.contains("/api/v1/explain") && !document.text.contains("/api/v1/nodes"))
    }

    @Test func withoutAModelTheDeskSaysWhy() async throws {
        let desk = try await RunningDesk(withModel: false)
        defer { desk.stop() }
        let answer = try desk.post("/api/v1/predict", try Self.scanPNG())
        #expect(answer.status == 503)
        #expect(answer.text.contains("holds no global model yet"))
    }
}
