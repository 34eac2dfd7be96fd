import Dispatch
import Foundation
import GrowdaBench
import GrowdaConsole
import GrowdaCrypto
import GrowdaData
import GrowdaDiagnosis
import GrowdaNN
import Logging

/// `growda bench predict`'s measurement through the REST API: a console serving POST /api/v1/predict and
/// /api/v1/explain for one model in this process, and a client on one keep-alive connection sending a
/// chest X-ray PNG again and again. Latency is the client's: upload, decode, resize, model, Grad-CAM, the
/// overlay PNGs and the JSON answer, over loopback.
enum BenchHTTP {
    /// The figures of one model (milliseconds).
    struct Latency {
        /// The model alone, in process: predict + Grad-CAM of the resized scan (median).
        var explainInProcess: Double
        /// POST /api/v1/predict, median.
        var predict: Double
        /// POST /api/v1/explain, median and 95th percentile.
        var explain: Double, explainP95: Double
        /// POST /api/v1/explain?image=false (the desk's request for a PNG, which the browser shows itself), median.
        var explainWithoutImage: Double
        /// Requests timed per endpoint.
        var requests: Int
    }

    /// The side of the scan uploaded.
    static let scanSide = 512

    static func measure(model: Model, seconds: Double, threads: Int) async throws -> Latency {
        let checkpoint = try model.checkpointWriter(facts: ["global_version": "1"]).encoded()
        let diagnostician = try Diagnostician(checkpoint: checkpoint, origin: "bench", threads: threads)
        let scan = try PNG.encode(SyntheticXray.image(label: 1, index: 0, size: scanSide, seed: 9))

        // In process: the model's share of the latency.
        for _ in 0..<3 { _ = try diagnostician.diagnose(scan, name: "bench.png", explain: true) }
        var inProcess: [Double] = []
        let started = DispatchTime.now().uptimeNanoseconds
        while inProcess.count < 10 || Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 < seconds / 4 {
            inProcess.append(try diagnostician.diagnose(scan, name: "bench.png", explain: true).milliseconds)
        }

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("growda-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let tokenPath = folder.appendingPathComponent("console.token").path
        let token = try ConsoleToken.generate()
        try token.write(path: tokenPath)
        let tokenText = String(
            try String(contentsOfFile: tokenPath, encoding: .utf8).split(separator: "\n")
                .first { $0.hasPrefix("growda-console-key") }?.split(separator: " ").last ?? "")
        var logger = Logger(label: "bench-console")
        logger.logLevel = .error
        let models = DiagnosticianCache(fixed: diagnostician)
        let server = try ConsoleServer(
            settings: ConsoleSettings(title: "bench", port: 0, tokenPath: tokenPath), logger: logger
        ) { router, toolkit in
            DiagnosisRoutes.add(to: router.group("/api/v1"), toolkit: toolkit, models: models)
        }
        let serving = server.runInBackground()
        defer { serving.cancel() }
        let port = try await server.waitUntilListening()

        let client = LoopbackHTTPClient(port: port)
        let headers = ["Authorization": "Bearer \(tokenText)", "Content-Type": "image/png"]
        func time(_ path: String) throws -> [Double] {
            for _ in 0..<3 { _ = try client.request("POST", path, headers: headers, body: scan) }
            var times: [Double] = []
            let start = DispatchTime.now().uptimeNanoseconds
            while times.count < 20 || Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds / 2 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let response = try client.request("POST", path, headers: headers, body: scan)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                guard response.status == 200 else {
                    throw CLIError("bench: \(path) answered \(response.status): \(response.text.prefix(300))")
                }
            }
            return times
        }
        let predict = try time("/api/v1/predict")
        let explain = try time("/api/v1/explain")
        let explainWithoutImage = try time("/api/v1/explain?image=false")
        let sorted = explain.sorted()
        return Latency(
            explainInProcess: Bench.median(inProcess), predict: Bench.median(predict), explain: Bench.median(explain),
            explainP95: sorted[min(sorted.count - 1, Int(0.95 * Double(sorted.count - 1)))],
            explainWithoutImage: Bench.median(explainWithoutImage),
            requests: min(predict.count, explain.count))
    }
}
