import ArgumentParser
import Dispatch
import Foundation
import GrowdaNN
import GrowdaTensor

/// `growda bench`: timings of this machine's engine. Timings live here, never in tests.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training and inference speed against this machine's own GEMM rate.",
        subcommands: [BenchTrain.self, BenchPredict.self, BenchWire.self, BenchAggregate.self, BenchCodec.self]
    )
}

/// Options every benchmark takes.
struct BenchOptions: ParsableArguments {
    @OptionGroup var threadOptions: ThreadOptions
    /// The thread count in force.
    var threads: Int { threadOptions.count }

    @Option(parsing: .unconditional, help: "Seconds to time each model for (after warm-up).")
    var seconds: Double = 4

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
    }
}

/// The figures of one model's benchmark (the JSON keys are part of the interface).
struct ModelBenchResult: Codable {
    var model: String
    var batch: Int
    var threads: Int
    var train_images_per_s: Double?
    var gemm_fraction: Double?
    var predict_ms: Double?
    /// In process: predict + Grad-CAM of one scan, as the consoles run it.
    var explain_ms: Double? = nil
    /// Through the REST API on loopback, the client's median of POST /api/v1/predict.
    var http_predict_ms: Double? = nil
    /// The same for POST /api/v1/explain (diagnosis + Grad-CAM + overlay PNGs), median and 95th percentile.
    var http_explain_ms: Double? = nil
    var http_explain_p95_ms: Double? = nil
    /// explain?image=false (the desk's request for a PNG upload), median.
    var http_explain_no_image_ms: Double? = nil
}

/// The whole benchmark report.
struct BenchReport: Codable {
    var gemm_gflops: Double
    var blas_core: String
    var models: [ModelBenchResult]
}

enum Bench {
    /// The reference models benchmarked, with their class counts.
    static let models: [(name: String, classes: Int)] = [("small28", 2), ("xray128", 3), ("resnet128", 3)]

    /// Median GFLOP/s of a large square cblas_sgemm on `threads` threads.
    static func gemmGflops(threads: Int, size n: Int = 2048, repeats: Int = 5) -> Double {
        BLAS.setThreads(threads)
        var rng = SeededGenerator(seed: 1)
        let a = (0..<(n * n)).map { _ in rng.uniform(-1, 1) }
        let b = (0..<(n * n)).map { _ in rng.uniform(-1, 1) }
        var c = [Float](repeating: 0, count: n * n)
        var rates: [Double] = []
        for _ in 0..<(repeats + 1) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            BLAS.gemm(.none, .none, m: n, n: n, k: n, a, lda: n, b, ldb: n, &c, ldc: n)
            let s = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            rates.append(2 * Double(n * n * n) / s / 1e9)
        }
        return median(Array(rates.dropFirst()))
    }

    /// Training images/s of a reference model at `batch` on random data, timed for `seconds`.
    static func trainRate(
        model name: String, classes: Int, batch: Int, threads: Int, seconds: Double
    ) throws -> (Double, Model) {
        let model = try Model(reference: name, classes: (0..<classes).map { "c\($0)" }, seed: 1)
        let data = InMemorySamples.random(
            count: batch * 8, sampleShape: model.spec.inputShape, classes: classes, seed: 2)
        let trainer = Trainer(
            model: model, optimizer: .adam(learningRate: 1e-3), batchSize: batch, threads: threads, seed: 3)
        let order = Array(0..<data.count)
        for s in 0..<2 { trainer.step(data, indices: order[(s * batch)..<((s + 1) * batch)]) }
        var images = 0, elapsed = 0.0, s = 0
        while elapsed < seconds {
            let lo = (s % 8) * batch
            let st = trainer.step(data, indices: order[lo..<(lo + batch)])
            images += st.samples
            elapsed += st.seconds
            s += 1
        }
        return (Double(images) / elapsed, model)
    }

    /// Median single-image inference latency in milliseconds.
    static func predictMs(model: Model, threads: Int, runs: Int = 60) -> Double {
        let predictor = Predictor(model: model, threads: threads, chunk: 1)
        var rng = SeededGenerator(seed: 4)
        let sample = (0..<model.inputSize).map { _ in rng.nextUnit() }
        for _ in 0..<5 { _ = predictor.probabilities(sample: sample) }
        var times: [Double] = []
        for _ in 0..<runs {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = predictor.probabilities(sample: sample)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        return median(times)
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? 0 : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
    }

    static func printReport(_ report: BenchReport, json: Bool) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        print(
            "cblas_sgemm: \(String(format: "%.1f", report.gemm_gflops)) GFLOP/s on \(report.models.first?.threads ?? 1) threads (\(report.blas_core))"
        )
        for m in report.models {
            var line =
                "\(m.model.padding(toLength: 9, withPad: " ", startingAt: 0)) batch \(m.batch), \(m.threads) threads:"
            if let r = m.train_images_per_s, let f = m.gemm_fraction {
                line += String(format: " train %.1f images/s (%.0f%% of GEMM rate)", r, 100 * f)
            }
            if let p = m.predict_ms { line += String(format: " predict %.2f ms/image", p) }
            if let e = m.explain_ms { line += String(format: ", predict + Grad-CAM %.2f ms", e) }
            print(line)
            if let p = m.http_predict_ms, let e = m.http_explain_ms, let e95 = m.http_explain_p95_ms,
                let desk = m.http_explain_no_image_ms
            {
                print(
                    String(
                        format: "%@ REST API (%d×%d PNG upload): predict %.2f ms, explain %.2f ms (p95 %.2f ms), "
                            + "explain without the image back (the desk's PNG request) %.2f ms",
                        String(repeating: " ", count: 9), BenchHTTP.scanSide, BenchHTTP.scanSide, p, e, e95, desk))
            }
        }
    }
}

/// `growda bench train`.
struct BenchTrain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training images/s for small28, xray128 and resnet128 at batch 32, with this machine's GEMM rate.")

    @OptionGroup var options: BenchOptions

    @Option(parsing: .unconditional, help: "Samples per training step.")
    var batch = 32

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    }

    func run() async throws {
        let gemm = Bench.gemmGflops(threads: options.threads)
        var results: [ModelBenchResult] = []
        for (name, classes) in Bench.models {
            if !options.json { FileHandle.standardError.write(Data("timing \(name) training...\n".utf8)) }
            let (rate, model) = try Bench.trainRate(
                model: name, classes: classes, batch: batch, threads: options.threads, seconds: options.seconds)
            let fraction = rate * Double(model.trainingFlops) / 1e9 / gemm
            let predict = Bench.predictMs(model: model, threads: options.threads)
            results.append(
                ModelBenchResult(
                    model: name, batch: batch, threads: options.threads, train_images_per_s: rate,
                    gemm_fraction: fraction, predict_ms: predict))
        }
        try Bench.printReport(
            BenchReport(gemm_gflops: gemm, blas_core: BLAS.coreName, models: results), json: options.json)
    }
}

/// `growda bench predict`.
struct BenchPredict: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Single-image latency for small28, xray128 and resnet128: inference, predict + Grad-CAM, and both through the REST API.",
        discussion: """
            For each model: the plain forward pass (one image), predict + Grad-CAM in process as the consoles \
            run it, then a console in this process serving POST /api/v1/predict and /api/v1/explain and a client \
            on one keep-alive loopback connection uploading a 512×512 chest X-ray PNG: the client's median (and \
            the 95th percentile for explain) over --seconds.
            """)

    @OptionGroup var options: BenchOptions

    func run() async throws {
        let gemm = Bench.gemmGflops(threads: options.threads)
        var results: [ModelBenchResult] = []
        for (name, classes) in Bench.models {
            let model = try Model(reference: name, classes: (0..<classes).map { "c\($0)" }, seed: 1)
            var result = ModelBenchResult(
                model: name, batch: 1, threads: options.threads,
                predict_ms: Bench.predictMs(model: model, threads: options.threads))
            let http = try await BenchHTTP.measure(model: model, seconds: options.seconds, threads: options.threads)
            result.explain_ms = http.explainInProcess
            result.http_predict_ms = http.predict
            result.http_explain_ms = http.explain
            result.http_explain_p95_ms = http.explainP95
            result.http_explain_no_image_ms = http.explainWithoutImage
            results.append(result)
        }
        try Bench.printReport(
            BenchReport(gemm_gflops: gemm, blas_core: BLAS.coreName, models: results), json: options.json)
    }
}
