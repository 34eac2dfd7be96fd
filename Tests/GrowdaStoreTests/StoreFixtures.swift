import Foundation
import GrowdaNN
import GrowdaSafetensors
import GrowdaTestKit

@testable import GrowdaStore

/// Shared helpers: a fixed clock, small models and updates, and a state folder in a temp directory.
enum StoreFixtures {
    /// A whole-second instant, so that stored (millisecond) times compare equal to the ones handed out.
    static let epoch = Date(timeIntervalSince1970: 1_767_225_600)

    static func options(keep: Int = 5, mode: String = "fedbuff") -> StateStore.Options {
        StateStore.Options(keepCheckpoints: keep, mode: mode, now: { epoch })
    }

    /// A 10-parameter model: flatten a 1×2×2 input, dense to two classes.
    static func tinyModel(seed: UInt64 = 1) throws -> Model {
        let spec = ModelSpec(
            name: "tiny", inputShape: [1, 2, 2], classes: ["normal", "pneumonia"],
            layers: [.flatten, .dense(units: 2)])
        return try Model(spec: spec, seed: seed)
    }

    static func update(
        node: UInt32, seq: UInt64, baseVersion: UInt64 = 0, staleness: UInt64 = 0, weight: Double = 1,
        samples: UInt64 = 100, metrics: [String: Double] = ["loss": 0.5]
    ) -> AcceptedUpdate {
        AcceptedUpdate(
            node: node, seq: seq, baseVersion: baseVersion, staleness: staleness, weight: weight,
            sampleCount: samples, metrics: metrics, norm: 1.5)
    }

    /// A delta whose values name its update, so mix-ups show.
    static func delta(node: UInt32, seq: UInt64, count: Int = 10) -> [Float] {
        (0..<count).map { Float(node) * 100 + Float(seq) + Float($0) / 100 }
    }

    /// A buffer file's content as the aggregator would hand it over (the store treats it as opaque).
    static func buffer(_ values: [Float], tag: String = "") throws -> SafetensorsWriter {
        var writer = SafetensorsWriter(metadata: ["tag": tag])
        try writer.add(name: "sum", shape: [values.count], floats: values)
        return writer
    }

    /// Group-commits `updates` with a buffer of `values`.
    static func record(_ store: StateStore, _ updates: AcceptedUpdate..., buffer values: [Float] = [1, 2]) throws {
        try store.commit(UpdateBatch(accepted: updates, buffer: try buffer(values)))
    }

    /// The values of the store's current buffer file, nil when it has none.
    static func bufferValues(_ store: StateStore) throws -> [Float]? {
        try store.bufferFile()?.floats("sum")
    }

    static func fileExists(_ store: StateStore, _ file: String) -> Bool {
        FileManager.default.fileExists(atPath: store.path(of: file))
    }
}

/// A temp folder holding a state folder `STATE`.
struct StateFolder {
    let temporary: TemporaryDirectory
    var path: String { temporary.path("STATE") }

    init() throws {
        temporary = try TemporaryDirectory(prefix: "growda-store")
    }

    func open(keep: Int = 5, mode: String = "fedbuff") throws -> StateStore {
        try StateStore(folder: path, options: StoreFixtures.options(keep: keep, mode: mode))
    }

    func exists(_ file: String) -> Bool {
        FileManager.default.fileExists(atPath: "\(path)/\(file)")
    }

    func files(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: "\(path)/\(folder)").sorted()
    }
}
