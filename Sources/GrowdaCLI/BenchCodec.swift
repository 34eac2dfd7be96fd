import ArgumentParser
import Dispatch
import Foundation
import GrowdaCrypto
import GrowdaFederation
import GrowdaNN
import GrowdaTensor
import GrowdaWire

/// `growda bench codec`: what each update codec costs and saves on a reference model's update.
struct BenchCodec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "Bytes per update and encode/decode time of each update codec (wire.codec), per reference model.",
        discussion: """
            For each model, a delta of the model's layout (Gaussian values of the size a local round moves \
            weights, 1e-3) is sealed as an update with each codec: the figures are the sealed message's bytes \
            against the uncompressed one's, the node's encode time (with top-k: choosing the k largest and \
            keeping the residual), the aggregator's open + decode + validate time, and the decoded delta's \
            relative error ‖ĉ − Δ‖ / ‖Δ‖ for one update (top-k's error feedback sends the rest later; \
            growda simulate --codec measures what that does to accuracy).
            """)

    @Option(help: "Models, comma-separated.")
    var models = "small28,xray128"

    @Option(help: "Codecs, comma-separated (\(UpdateCodec.allowed)).")
    var codecs = "none,fp16,int8,topk:0.01,topk-int8:0.01,topk-int8:0.03"

    @Option(parsing: .unconditional, help: "Timed repetitions per codec (the median is reported).")
    var repeats = 5

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        for name in models.split(separator: ",") where ModelSpec.reference(String(name), classes: ["a", "b"]) == nil {
            throw ValidationError("--models: '\(name)' is not a reference model (\(ModelSpec.referenceNames.joined(separator: ", ")))")
        }
        for text in codecs.split(separator: ",") where UpdateCodec(String(text)) == nil {
            throw ValidationError("--codecs: '\(text)' is not a codec; allowed: \(UpdateCodec.allowed)")
        }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
    }

    /// One codec on one model (JSON keys are stable).
    struct Row: Codable {
        var model: String
        var codec: String
        var parameters: Int
        var message_bytes: Int
        var ratio_to_raw: Double
        var encode_ms: Double
        var decode_ms: Double
        var relative_error: Double
    }

    func run() async throws {
        let key = try SecretBoxKey.generate()
        let keyring = AggregatorKeyring(nodeKeys: [1: key])
        var rows: [Row] = []
        for name in models.split(separator: ",").map(String.init) {
            let model = try Model(spec: ModelSpec.reference(name, classes: ["normal", "pneumonia"])!)
            var rng = SeededGenerator(seed: 1)
            let delta = try model.delta(from: model.parameters)
            let tensors = try WireTensors(
                delta.tensors.map { t in WireTensor(name: t.name, shape: t.shape, values: t.values.map { _ in 1e-3 * rng.gaussian() }) })
            let layout = TensorLayout(of: tensors)
            let validator = UpdateValidator(layout: layout, currentVersion: 0, maxStaleness: 8, maxNorm: .infinity)
            let original = tensors.tensors.flatMap(\.values)
            let norm = original.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            var rawBytes = 0
            for text in codecs.split(separator: ",").map(String.init) {
                let codec = UpdateCodec(text)!
                var encodeTimes: [Double] = [], decodeTimes: [Double] = []
                var bytes = 0
                var decoded: [Float] = []
                for r in 0..<repeats {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    var update = UpdateMessage(node: 1, seq: UInt64(r + 1), baseVersion: 0, sampleCount: 100, metrics: ["loss": 0.5], delta: tensors)
                    if codec != .none {
                        var residual: WireTensors? = nil
                        var random = SeededGenerator(seed: UInt64(r))
                        let coded = try UpdateCompressor.encode(tensors, codec: codec, residual: &residual, random: &random)
                        update = UpdateMessage(node: 1, seq: UInt64(r + 1), baseVersion: 0, sampleCount: 100, metrics: ["loss": 0.5], coded: coded)
                    }
                    let frames = try WireEncoder.encode(update, nodeKey: key)
                    let t1 = DispatchTime.now().uptimeNanoseconds
                    guard case .success(.update(let received)) = WireDecoder.open(frames, keys: keyring),
                        case .success(let accepted) = validator.validate(received, settledSeq: UInt64(r))
                    else { throw CLIError("bench codec: a \(text) update of \(name) did not decode") }
                    let t2 = DispatchTime.now().uptimeNanoseconds
                    encodeTimes.append(Double(t1 - t0) / 1e6)
                    decodeTimes.append(Double(t2 - t1) / 1e6)
                    bytes = frames.reduce(0) { $0 + $1.count }
                    decoded = accepted.delta.tensors.flatMap(\.values)
                }
                if codec == .none { rawBytes = bytes }
                let error = zip(original, decoded).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
                rows.append(
                    Row(
                        model: name, codec: codec.description, parameters: original.count, message_bytes: bytes,
                        ratio_to_raw: rawBytes > 0 ? Double(bytes) / Double(rawBytes) : .nan,
                        encode_ms: Self.median(encodeTimes), decode_ms: Self.median(decodeTimes),
                        relative_error: norm > 0 ? error / norm : 0))
                if !json { Terminal.note("\(name) \(codec): \(bytes) bytes") }
            }
        }
        if json {
            try Terminal.printJSON(rows)
            return
        }
        print("model     codec              values     message      × raw   encode ms  decode ms  rel. error")
        for row in rows {
            print(
                row.model.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + row.codec.padding(toLength: 17, withPad: " ", startingAt: 0)
                    + String(
                        format: "%9d  %10d  %7.4f  %9.2f  %9.2f  %9.4f", row.parameters, row.message_bytes,
                        row.ratio_to_raw, row.encode_ms, row.decode_ms, row.relative_error))
        }
        print("(× raw is against the first codec listed when it is none; the aims: int8 ≤ 0.26, top-k ≤ 0.05)")
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? 0 : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
