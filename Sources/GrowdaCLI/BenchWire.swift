import ArgumentParser
import Dispatch
import Foundation
import GrowdaCrypto
import GrowdaTensor
import GrowdaTransport
import GrowdaWire

/// `growda bench wire`: the secure wire's throughput against this machine's raw decryption rate.
struct BenchWire: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wire",
        abstract: "Seal+send+receive+open+validate throughput of model updates over tcp on 127.0.0.1.",
        discussion: """
            A sender thread seals updates of --parameters floats and pushes them over ZeroMQ; the receiver \
            pulls, decrypts, decodes and validates each. The figure is that rate as a fraction of this \
            machine's raw crypto_secretbox_open rate for the same size, measured in the same run.
            """)

    @Option(parsing: .unconditional, help: "Floats per update (1M = a 3.8 MiB update).")
    var parameters = 1_000_000

    @Option(parsing: .unconditional, help: "Updates to send in the timed run.")
    var messages = 200

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard parameters >= 1, parameters <= 16_000_000 else {
            throw ValidationError("--parameters must be in 1…16000000")
        }
        guard messages >= 10 else { throw ValidationError("--messages must be at least 10") }
    }

    /// The benchmark's figures (JSON keys are stable).
    struct Report: Codable {
        var parameters: Int
        var update_bytes: Int
        var messages: Int
        var raw_open_per_s: Double
        var raw_open_gb_per_s: Double
        var wire_updates_per_s: Double
        var wire_gb_per_s: Double
        var ratio: Double
    }

    func run() async throws {
        let key = try SecretBoxKey.generate()
        var rng = SeededGenerator(seed: 1)
        let values = (0..<parameters).map { _ in rng.uniform(-1e-3, 1e-3) }
        let delta = try WireTensors([WireTensor(name: "delta", shape: [parameters], values: values)])
        let bytes = parameters * MemoryLayout<Float>.size

        // Raw: crypto_secretbox_open_easy on a buffer of the update's size, into a reused buffer.
        let plain = [UInt8](repeating: 7, count: bytes)
        let sealed = try SecretBox.seal(plain, key: key)
        var out = [UInt8](repeating: 0, count: bytes)
        let rawRuns = max(20, messages / 2)
        let rawStart = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<rawRuns {
            try sealed.ciphertext.withUnsafeBytes { c in
                try out.withUnsafeMutableBytes { o in _ = try SecretBox.open(c, nonce: sealed.nonce, key: key, into: o)
                }
            }
        }
        let rawSeconds = Double(DispatchTime.now().uptimeNanoseconds - rawStart) / 1e9
        let rawRate = Double(rawRuns) / rawSeconds

        // The wire: seal and push on one thread, pull, open and validate on this one.
        let context = try ZMQContext()
        let pull = try ZMQSocket(.pull, context: context)
        let endpoint = try pull.bind("tcp://127.0.0.1:*")
        let keyring = AggregatorKeyring(nodeKeys: [1: key])
        let validator = UpdateValidator(
            layout: TensorLayout(of: delta), currentVersion: 0, maxStaleness: 8, maxNorm: .infinity)
        let total = messages + 5  // five to warm up
        let sender = Thread {
            do {
                let push = try ZMQSocket(.push, context: context)
                try push.connect(endpoint)
                for seq in 1...total {
                    let update = UpdateMessage(
                        node: 1, seq: UInt64(seq), baseVersion: 0, sampleCount: 100, metrics: ["loss": 0.5],
                        delta: delta)
                    try push.send(try WireEncoder.encode(update, nodeKey: key))
                }
                push.close()
            } catch {
                Terminal.note("bench wire: sender failed: \(error)")
            }
        }
        sender.start()
        var start: UInt64 = 0
        for i in 1...total {
            if i == 6 { start = DispatchTime.now().uptimeNanoseconds }
            let frames = try pull.receive().map(\.bytes)
            guard case .success(.update(let update)) = WireDecoder.open(frames, keys: keyring) else {
                throw CLIError("bench wire: message \(i) did not decode")
            }
            guard case .success = validator.validate(update, settledSeq: UInt64(i - 1)) else {
                throw CLIError("bench wire: message \(i) did not validate")
            }
        }
        let wireSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        pull.close()
        let wireRate = Double(messages) / wireSeconds
        let report = Report(
            parameters: parameters, update_bytes: bytes, messages: messages, raw_open_per_s: rawRate,
            raw_open_gb_per_s: rawRate * Double(bytes) / 1e9, wire_updates_per_s: wireRate,
            wire_gb_per_s: wireRate * Double(bytes) / 1e9, ratio: wireRate / rawRate)
        if json {
            try Terminal.printJSON(report)
        } else {
            print("update: \(parameters) floats (\(mib(bytes)))")
            print("raw crypto_secretbox_open: \(fmt(rawRate, 1)) /s (\(fmt(report.raw_open_gb_per_s, 2)) GB/s)")
            print(
                "seal+send+receive+open+validate over tcp: \(fmt(wireRate, 1)) updates/s (\(fmt(report.wire_gb_per_s, 2)) GB/s)"
            )
            print("ratio: \(fmt(report.ratio, 2)) (aim ≥ 0.5)")
        }
    }
}
