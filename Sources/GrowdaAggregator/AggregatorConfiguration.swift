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

    /// The keys of `federation.conf` the aggregator reads besides ``FederationConfig/Key`` (addresses and
    /// ports) and ``AggregationConfig/settingKeys`` (the aggregation rule). Every reader of these keys
    /// (`serve`, `status`, `simulate`, `bench`, the tests' federations) names them through here.
    public enum Key {
        public static let modelName = "model.name"
        public static let modelClasses = "model.classes"
        public static let modelSeed = "model.seed"
        public static let modelInit = "model.init"
        public static let maxUpdateNorm = "updates.max_norm"
        public static let lostAfterSeconds = "liveness.lost_after_seconds"
        public static let queueCapacity = "queue.capacity"
        public static let queueBytes = "queue.max_bytes"
        public static let admissionBytes = "admission.max_bytes"
        public static let stateDir = "state.dir"
        public static let evalDir = "eval.dir"
        public static let statusBindHost = "status.bind_host"
        public static let statusPort = "port.status"
    }

    /// The defaults of the keys in ``Key``.
    public enum Default {
        public static let modelName = "small28"
        public static let modelClasses = ["normal", "pneumonia"]
        public static let modelSeed: UInt64 = 1
        public static let maxUpdateNorm = 1000.0
        public static let lostAfterSeconds = 15.0
        public static let queueCapacity = 64
        public static let queueBytes = 512 << 20
        public static let admissionBytes = 128 << 20
        public static let stateDir = "state"
        public static let statusHost = FederationConfig.Default.host
        public static let statusPort = 7704
    }

    /// The keys in ``Key``, with what they mean, as `growda serve --help` lists them.
    public static let settingsHelp: [(key: String, meaning: String)] = [
        (Key.modelName, "reference model: small28, xray128 or ecg187"),
        (Key.modelClasses, "class names in label order, comma-separated (e.g. bacterial,normal,viral)"),
        (Key.modelSeed, "seed of the initial weights (default \(Default.modelSeed))"),
        (Key.modelInit, "a checkpoint to start from instead (optional)"),
        (Key.maxUpdateNorm, "refuse updates whose delta L2 norm is above this (default \(Int(Default.maxUpdateNorm)))"),
        (Key.lostAfterSeconds, "a node silent this long is lost (default \(Int(Default.lostAfterSeconds)))"),
        (Key.queueCapacity, "updates waiting to be processed, at most (default \(Default.queueCapacity))"),
        (Key.queueBytes, "bytes of updates waiting, at most (default \(Default.queueBytes))"),
        (
            Key.admissionBytes,
            "bytes of updates queued or on their way with leave to send, at most (default \(Default.admissionBytes))"
        ),
        (
            Key.stateDir,
            "the aggregator's state folder, relative to the federation folder (default \(Default.stateDir))"
        ),
        (Key.evalDir, "a labelled folder to evaluate each version on (optional)"),
        (Key.statusBindHost, "where the operators' status socket binds (default \(Default.statusHost))"),
        (Key.statusPort, "its port (default \(Default.statusPort))"),
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
        let modelName = value(Key.modelName) ?? Default.modelName
        let classes = value(Key.modelClasses).map {
            $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        } ?? Default.modelClasses
        guard let spec = ModelSpec.reference(modelName, classes: classes) else {
            throw AggregatorError.configuration(
                "\(config.path): \(Key.modelName) = \(modelName) is not one of \(ModelSpec.referenceNames.joined(separator: ", "))"
            )
        }
        guard classes.count >= 2, Set(classes).count == classes.count, !classes.contains("") else {
            throw AggregatorError.configuration("\(config.path): \(Key.modelClasses) needs two or more distinct names")
        }
        model = spec
        modelSeed = try number(Key.modelSeed, Default.modelSeed)
        initialCheckpoint = value(Key.modelInit)
        let settings = config.keys.reduce(into: [String: String]()) { dict, key in
            if AggregationConfig.settingKeys.contains(key) { dict[key] = config[key] }
        }
        do {
            aggregation = try AggregationConfig(settings: settings)
            try aggregation.validate()
        } catch {
            throw AggregatorError.configuration("\(config.path): \(error)")
        }
        maxUpdateNorm = try number(Key.maxUpdateNorm, Default.maxUpdateNorm)
        lostAfter = .milliseconds(Int(try number(Key.lostAfterSeconds, Default.lostAfterSeconds) * 1000))
        queueCapacity = try number(Key.queueCapacity, Default.queueCapacity)
        queueBytes = try number(Key.queueBytes, Default.queueBytes)
        admissionBytes = try number(Key.admissionBytes, Default.admissionBytes)
        statePath =
            value(Key.stateDir).map { $0.hasPrefix("/") ? $0 : federation.directory + "/" + $0 }
            ?? federation.directory + "/" + Default.stateDir
        evalPath = value(Key.evalDir)
        do {
            bindHost = try config.host(FederationConfig.Key.bindHost, default: FederationConfig.Default.host)
            updatesPort = try config.port(
                FederationConfig.Key.updatesPort, default: FederationConfig.Default.updatesPort)
            modelsPort = try config.port(FederationConfig.Key.modelsPort, default: FederationConfig.Default.modelsPort)
            snapshotsPort = try config.port(
                FederationConfig.Key.snapshotsPort, default: FederationConfig.Default.snapshotsPort)
            statusHost = try config.host(Key.statusBindHost, default: Default.statusHost)
            statusPort = try config.port(Key.statusPort, default: Default.statusPort)
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
