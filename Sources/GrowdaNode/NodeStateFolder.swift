import Foundation
import GrowdaCrypto
import GrowdaNN
import GrowdaSafetensors
import GrowdaWire

/// The node's durable state, so a restart loses and double-counts nothing:
///
/// ```
/// STATE/model.safetensors     the latest verified global model (a Growda checkpoint, usable by `growda predict`)
/// STATE/diagnose.safetensors  with `--diagnose-with best`: the best version the aggregator names, by its
///                             evaluation metric (the model to diagnose with; training goes on from the latest)
/// STATE/node.json             {"next_seq": N, "model_version": V, "diagnose_version": B}: the next update's
///                             sequence number
/// STATE/outbox/<seq>.update   each sealed update, exactly as sent, until the aggregator acknowledges it
/// STATE/model.key             the federation's model key when it was rotated since the bundle was made
///                             (KeyFile, 0600; it takes precedence over the bundle's)
/// STATE/status.json           what the node last said of itself (`growda-node status`)
/// STATE/privacy-ledger.json   every update sent and the noise that protected it (see `NodePrivacy`): the ε
///                             this hospital has spent; saved before the update enters the outbox
/// STATE/residual/<seq>.safetensors  with a top-k codec: what update `seq` left unsent (error feedback), added
///                             to the next delta. The one in force is `next_seq − 1`'s: a crash before
///                             node.json moved on leaves the previous one in force, so nothing is sent twice
/// ```
/// An update is written to the outbox (atomically) and the next sequence number saved before it is
/// first sent; it is deleted once an acknowledgement covers it. Resending after a restart sends the
/// same bytes, so the aggregator sees a duplicate sequence number and counts it once.
final class NodeStateFolder {
    let path: String
    var modelPath: String { path + "/model.safetensors" }
    var diagnosePath: String { path + "/diagnose.safetensors" }
    private var countersPath: String { path + "/node.json" }
    private var outboxPath: String { path + "/outbox" }
    private var residualPath: String { path + "/residual" }

    /// What node.json holds.
    struct Counters: Codable {
        var next_seq: UInt64
        var model_version: UInt64?
        /// Set once the aggregator said this node was revoked: the node refuses to start again.
        var revoked: Bool?
        /// The version of `diagnose.safetensors`, the best the aggregator named.
        var diagnose_version: UInt64?
        /// The codec the aggregator last announced (`wire.codec`), so a restarted node compresses its first
        /// update as the federation asks before any reply came.
        var codec: String?
    }

    private(set) var counters = Counters(next_seq: 1, model_version: nil)

    /// Opens (making if needed) the state folder, mode 0700.
    init(path: String) throws {
        self.path = path
        do {
            try FileManager.default.createDirectory(
                atPath: path + "/outbox", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            if FileManager.default.fileExists(atPath: countersPath) {
                counters = try JSONDecoder().decode(
                    Counters.self, from: Data(contentsOf: URL(fileURLWithPath: countersPath)))
            }
        } catch {
            throw NodeError.state(path: path, reason: "\(error.localizedDescription)")
        }
        guard access(path, W_OK) == 0 else { throw NodeError.state(path: path, reason: "it is not writable") }
    }

    /// Saves the counters atomically.
    func save(_ counters: Counters) throws {
        self.counters = counters
        try AtomicFile.write(Array(try JSONEncoder().encode(counters)), to: countersPath, permissions: 0o600)
    }

    var modelKeyPath: String { path + "/model.key" }

    /// The model key a rotation handed this node, if any.
    func loadModelKey() throws -> SecretBoxKey? {
        guard FileManager.default.fileExists(atPath: modelKeyPath) else { return nil }
        return try KeyFile.read(SecretBoxKey.self, path: modelKeyPath)
    }

    /// Keeps the model key a rotation handed this node (atomically, mode 0600).
    func saveModelKey(_ key: SecretBoxKey) throws {
        try KeyFile.write(key, path: modelKeyPath, overwrite: true)
    }

    /// The latest global model kept here, if any.
    func loadModel() throws -> Model? {
        guard FileManager.default.fileExists(atPath: modelPath) else { return nil }
        return try Model(checkpoint: modelPath)
    }

    /// Keeps `model` as the latest global model (atomically), recording its version and the privacy policy
    /// it came with (a checkpoint fact, so model and policy change together).
    func saveModel(_ model: Model, version: UInt64, privacy: String? = nil) throws {
        var facts = ["global_version": String(version)]
        facts[Self.privacyFact] = privacy
        try model.save(to: modelPath, facts: facts)
        var c = counters
        c.model_version = version
        try save(c)
    }

    /// Keeps `model` as the best version to diagnose with (atomically), recording its version.
    func saveDiagnoseModel(_ model: Model, version: UInt64) throws {
        try model.save(to: diagnosePath, facts: ["global_version": String(version), "growda.best": "true"])
        var c = counters
        c.diagnose_version = version
        try save(c)
    }

    /// The error-feedback residual update `seq` left (nil when there is none, or it cannot be read: a
    /// damaged residual only loses what it held, never sends anything twice).
    func loadResidual(seq: UInt64) -> WireTensors? {
        let file = "\(residualPath)/\(seq).safetensors"
        guard FileManager.default.fileExists(atPath: file), let read = try? SafetensorsFile(contentsOf: file),
            read.metadata["format"] == Self.residualFormat
        else { return nil }
        let tensors = read.tensors.compactMap { info -> WireTensor? in
            guard info.dtype == .F32, let values = try? read.floats(info.name) else { return nil }
            return WireTensor(name: info.name, shape: info.shape, values: values)
        }
        guard tensors.count == read.tensors.count else { return nil }
        return try? WireTensors(tensors)
    }

    /// Keeps the residual update `seq` leaves (atomically, mode 0600), before node.json moves past `seq`.
    func saveResidual(_ residual: WireTensors, seq: UInt64) throws {
        try FileManager.default.createDirectory(
            atPath: residualPath, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var writer = SafetensorsWriter(metadata: ["format": Self.residualFormat, "seq": String(seq)])
        for tensor in residual.tensors { try writer.add(name: tensor.name, shape: tensor.shape, floats: tensor.values) }
        try AtomicFile.write(writer.encoded(), to: "\(residualPath)/\(seq).safetensors", permissions: 0o600)
    }

    /// Deletes every residual but `seq`'s (nil: all of them), once node.json has moved past it.
    func pruneResiduals(keeping seq: UInt64?) {
        let keep = seq.map { "\($0).safetensors" }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: residualPath)) ?? [] where name != keep {
            try? FileManager.default.removeItem(atPath: residualPath + "/" + name)
        }
    }

    static let residualFormat = "growda-residual"

    /// The unacknowledged updates, by sequence number.
    func outbox() throws -> [UInt64: [[UInt8]]] {
        var result: [UInt64: [[UInt8]]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: outboxPath) where name.hasSuffix(".update") {
            guard let seq = UInt64(name.dropLast(".update".count)) else { continue }
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: outboxPath + "/" + name)))
            if let frames = Self.unpack(bytes) { result[seq] = frames }
        }
        return result
    }

    /// Writes an update to the outbox before it is sent.
    func store(seq: UInt64, frames: [[UInt8]]) throws {
        try AtomicFile.write(Self.pack(frames), to: "\(outboxPath)/\(seq).update", permissions: 0o600)
    }

    /// Deletes an acknowledged update.
    func remove(seq: UInt64) {
        try? FileManager.default.removeItem(atPath: "\(outboxPath)/\(seq).update")
    }

    /// Frames as one byte string: per frame a little-endian UInt64 length, then its bytes.
    static func pack(_ frames: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(frames.reduce(0) { $0 + 8 + $1.count })
        for frame in frames {
            withUnsafeBytes(of: UInt64(frame.count).littleEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: frame)
        }
        return out
    }

    /// The inverse of `pack`; nil for a damaged file.
    static func unpack(_ bytes: [UInt8]) -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        var i = 0
        while i < bytes.count {
            guard i + 8 <= bytes.count else { return nil }
            var n: UInt64 = 0
            for b in 0..<8 { n |= UInt64(bytes[i + b]) << (8 * b) }
            i += 8
            guard n <= UInt64(bytes.count - i) else { return nil }
            frames.append(Array(bytes[i..<(i + Int(n))]))
            i += Int(n)
        }
        return frames
    }
}
extension NodeStateFolder: OutboxStorage {}
