import Foundation
import GrowdaAggregation
import GrowdaNN
import GrowdaProvisioning

/// What `growda serve` runs with: the federation folder, the state folder, the model, the
/// aggregation rule and the aggregator's own limits. Everything comes from `federation.conf`
/// (see `AggregatorConfiguration.settingsHelp` for the keys), with command-line overrides.
public struct AggregatorConfiguration: Sendable {
    /// The federation folder (keys, node registry, federation.conf).
    public var federationPath: String
    /// The aggregator's state folder (SQLite, checkpoints, pending updates).
    public var statePath: String
    /// The model every hospital trains (used when the state folder is new).
    public var model: ModelSpec
    /// The seed of the initial model's weights.
    public var modelSeed: UInt64
    /// A checkpoint to start from instead of a fresh model (used when the state folder is new).
    public var initialCheckpoint: String?
    /// The aggregation rule.
    public var aggregation: AggregationConfig
    /// Updates whose delta has a larger L2 norm are refused (`norm_too_large`).
    public var maxUpdateNorm: Double
    /// A node that has not been heard from for this long is lost (never waited for).
    public var lostAfter: Duration
    /// The most updates waiting to be processed, and their most bytes; more are dropped and counted.
    public var queueCapacity: Int
    /// See `queueCapacity`.
    public var queueBytes: Int
    /// Admission: the most bytes of updates queued or on their way with leave to send, together.
    public var admissionBytes: Int
    /// A labelled folder to evaluate each new version on (accuracy and AUC go into the history).
    public var evalPath: String?
    /// Where node-facing sockets bind, and their ports (0: any free port, for tests).
    public var bindHost: String
    /// Ports of the PULL (updates), PUB (models) and ROUTER (snapshots) sockets.
    public var updatesPort: Int, modelsPort: Int, snapshotsPort: Int
    /// Where the operators' status socket binds (localhost by default) and its port.
    public var statusHost: String, statusPort: Int
    /// The largest message accepted.
    public var maxMessageBytes: Int
    /// How many checkpoints to keep besides version 0.
    public var keepCheckpoints = 5

    /// The keys `federation.conf` may hold for the aggregator, with what they mean.
    public static let settingsHelp: [(key: String, meaning: String)] = [
        ("model.name", "reference model: small28, xray128 or ecg187"),
        ("model.classes", "class names in label order, comma-separated (e.g. bacterial,normal,viral)"),
        ("model.seed", "seed of the initial weights (default 1)"),
        ("model.init", "a checkpoint to start from instead (optional)"),
        ("updates.max_norm", "refuse updates whose delta L2 norm is above this (default 1000)"),
        ("liveness.lost_after_seconds", "a node silent this long is lost (default 15)"),
        ("queue.capacity", "updates waiting to be processed, at most (default 64)"),
        ("queue.max_bytes", "bytes of updates waiting, at most (default 536870912)"),
        (
            "admission.max_bytes",
            "bytes of updates queued or on their way with leave to send, at most (default 134217728)"
        ),
        ("state.dir", "the aggregator's state folder, relative to the federation folder (default state)"),
        ("eval.dir", "a labelled folder to evaluate each version on (optional)"),
        ("status.bind_host", "where the operators' status socket binds (default 127.0.0.1)"),
        ("port.status", "its port (default 7704)"),
    ]

    /// Reads the configuration from a federation's `federation.conf`.
    public init(federation: Federation) throws {
        let config = federation.config
        func value(_ key: String) -> String? { config[key] }
        func number<T: LosslessStringConvertible>(_ key: String, _ fallback: T) throws -> T {
            guard let text = value(key) else { return fallback }
            guard let v = T(text) else {
                throw AggregatorError.configuration(
                    "\(config.path): \(key) = \(text) is not a valid number\(config.line(of: key).map { " (line \($0))" } ?? "")"
                )
            }
            return v
        }
        federationPath = federation.directory
        let modelName = value("model.name") ?? "small28"
        let classes = (value("model.classes") ?? "normal,pneumonia").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard let spec = ModelSpec.reference(modelName, classes: classes) else {
            throw AggregatorError.configuration(
                "\(config.path): model.name = \(modelName) is not one of \(ModelSpec.referenceNames.joined(separator: ", "))"
            )
        }
        guard classes.count >= 2, Set(classes).count == classes.count, !classes.contains("") else {
            throw AggregatorError.configuration("\(config.path): model.classes needs two or more distinct names")
        }
        model = spec
        modelSeed = try number("model.seed", 1)
        initialCheckpoint = value("model.init")
        let settings = config.keys.reduce(into: [String: String]()) { dict, key in
            if AggregationConfig.settingKeys.contains(key) { dict[key] = config[key] }
        }
        do {
            aggregation = try AggregationConfig(settings: settings)
            try aggregation.validate()
        } catch {
            throw AggregatorError.configuration("\(config.path): \(error)")
        }
        maxUpdateNorm = try number("updates.max_norm", 1000.0)
        lostAfter = .milliseconds(Int(try number("liveness.lost_after_seconds", 15.0) * 1000))
        queueCapacity = try number("queue.capacity", 64)
        queueBytes = try number("queue.max_bytes", 512 << 20)
        admissionBytes = try number("admission.max_bytes", 128 << 20)
        statePath =
            value("state.dir").map { $0.hasPrefix("/") ? $0 : federation.directory + "/" + $0 }
            ?? federation.directory + "/state"
        evalPath = value("eval.dir")
        do {
            bindHost = try config.host(FederationConfig.Key.bindHost, default: FederationConfig.Default.host)
            updatesPort = try config.port(
                FederationConfig.Key.updatesPort, default: FederationConfig.Default.updatesPort)
            modelsPort = try config.port(FederationConfig.Key.modelsPort, default: FederationConfig.Default.modelsPort)
            snapshotsPort = try config.port(
                FederationConfig.Key.snapshotsPort, default: FederationConfig.Default.snapshotsPort)
            statusHost = try config.host("status.bind_host", default: "127.0.0.1")
            statusPort = try config.port("port.status", default: 7704)
            maxMessageBytes = try config.integer(
                FederationConfig.Key.maxMessageBytes, in: FederationConfig.maxMessageBytesRange,
                default: FederationConfig.Default.maxMessageBytes)
        } catch {
            throw AggregatorError.configuration("\(error)")
        }
        guard maxUpdateNorm > 0, queueCapacity >= 1, queueBytes >= 1 << 20, admissionBytes >= 1 << 20 else {
            throw AggregatorError.configuration(
                "\(config.path): updates.max_norm must be positive, queue.capacity at least 1, queue.max_bytes and "
                    + "admission.max_bytes at least 1 MiB"
            )
        }
    }
}

/// Why the aggregator cannot start or go on; each message says what to fix.
public enum AggregatorError: Error, CustomStringConvertible {
    /// The configuration is wrong.
    case configuration(String)
    /// The state folder cannot be used.
    case state(String)
    /// A socket could not be bound.
    case transport(String)

    /// What is wrong and what to do.
    public var description: String {
        switch self {
        case .configuration(let s): return "configuration: \(s)"
        case .state(let s): return "state: \(s)"
        case .transport(let s): return "cannot bind: \(s) (is another aggregator running on these ports?)"
        }
    }
}
