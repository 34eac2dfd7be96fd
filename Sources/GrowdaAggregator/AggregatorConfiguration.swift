import Foundation
import GrowdaAggregation
import GrowdaNN
import GrowdaProvisioning
import GrowdaStore
import GrowdaWire

/// What `growda serve` runs with: the federation folder, the state folder, the model, the
/// aggregation rule and the aggregator's own limits. Everything comes from `federation.conf`
/// (``knownKeys`` lists and documents every key), with command-line overrides.
public struct AggregatorConfiguration: Sendable, Equatable {
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
    /// The codec nodes compress their updates with, announced in every snapshot reply (`wire.codec`). The
    /// aggregator decodes every encoding whatever it announces.
    public var codec: UpdateCodec = .none
    /// How many checkpoints to keep besides version 0 (and the best version's, see ``keepBest``).
    public var keepCheckpoints = 5
    /// The evaluation metric that ranks versions (for the best version and `stop.plateau`).
    public var evalMetric: EvalMetric
    /// With evaluation, whether the aggregator keeps the best version by ``evalMetric`` beside the latest:
    /// recorded in the state, its checkpoint never pruned, its model sent to nodes that ask for it.
    public var keepBest: Bool
    /// Stop making versions once this version is made (nil: never).
    public var stopMaxVersions: UInt64?
    /// Stop making versions once this many evaluated versions followed the best without beating it (nil:
    /// never); needs evaluation and ``keepBest``.
    public var stopPlateau: UInt64?
    /// The web console (dashboard and REST API): its port (nil: off), bind address, login files and TLS.
    public var console: ConsoleConfiguration
    /// The privacy policy every hospital trains under, sent with every model version (nil: none).
    public var privacy: PrivacyPolicy?
    /// The smallest buffer (`fedbuff.k`) the aggregator runs with: below it one hospital comparing two
    /// consecutive versions isolates another's update (`privacy.min_k`).
    public var minimumBuffer: Int

    /// The keys of `federation.conf` the aggregator reads besides ``FederationConfig/Key`` (addresses and
    /// ports) and ``AggregationConfig/settingKeys`` (the aggregation rule), documented in ``knownKeys``.
    /// Every reader of these keys (`serve`, `status`, `simulate`, `bench`, the tests' federations) names
    /// them through here.
    public enum Key {
        /// The dashboard's port (off when unset; `growda serve --console-port` overrides).
        public static let consolePort = "console.port"
        /// The dashboard's bind address.
        public static let consoleHost = "console.host"
        /// The console token's key file.
        public static let consoleTokenFile = "console.token_file"
        /// A bcrypt password file for the console.
        public static let consolePasswordFile = "console.password_file"
        /// The TLS certificate chain (PEM).
        public static let consoleTLSCertificate = "console.tls_certificate"
        /// The TLS private key (PEM, mode 0600).
        public static let consoleTLSKey = "console.tls_key"
        /// Minutes a console login lasts.
        public static let consoleSessionMinutes = "console.session_minutes"
        /// The reference model every hospital trains.
        public static let modelName = "model.name"
        /// The class names in label order, comma-separated.
        public static let modelClasses = "model.classes"
        /// The seed of the initial model's weights.
        public static let modelSeed = "model.seed"
        /// A checkpoint to start from instead of a fresh model.
        public static let modelInit = "model.init"
        /// The largest L2 norm of an update's delta.
        public static let maxUpdateNorm = "updates.max_norm"
        /// How long a silent node stays alive.
        public static let lostAfterSeconds = "liveness.lost_after_seconds"
        /// The most updates waiting to be processed.
        public static let queueCapacity = "queue.capacity"
        /// The most bytes of updates waiting to be processed.
        public static let queueBytes = "queue.max_bytes"
        /// The most bytes of updates queued or on their way with leave to send.
        public static let admissionBytes = "admission.max_bytes"
        /// The aggregator's state folder.
        public static let stateDir = "state.dir"
        /// A labelled folder to evaluate each version on.
        public static let evalDir = "eval.dir"
        /// Where the operators' status socket binds.
        public static let statusBindHost = "status.bind_host"
        /// The status socket's port.
        public static let statusPort = "port.status"
        /// The metric that ranks evaluated versions.
        public static let evalMetric = "eval.metric"
        /// Whether the best version is kept beside the latest.
        public static let evalKeepBest = "eval.keep_best"
        /// Stop making versions once this version is made.
        public static let stopMaxVersions = "stop.max_versions"
        /// Stop making versions after this many versions without improvement of the metric.
        public static let stopPlateau = "stop.plateau"
        /// How nodes compress their updates.
        public static let wireCodec = "wire.codec"
    }

    /// The defaults of the keys in ``Key``.
    public enum Default {
        /// The small 28×28 reference CNN.
        public static let modelName = "small28"
        /// Normal and pneumonia.
        public static let modelClasses = ["normal", "pneumonia"]
        /// Seed 1.
        public static let modelSeed: UInt64 = 1
        /// 1000.
        public static let maxUpdateNorm = 1000.0
        /// 15 seconds.
        public static let lostAfterSeconds = 15.0
        /// 64 updates.
        public static let queueCapacity = 64
        /// 512 MiB.
        public static let queueBytes = 512 << 20
        /// 128 MiB.
        public static let admissionBytes = 128 << 20
        /// `state`, inside the federation folder.
        public static let stateDir = "state"
        /// This machine only.
        public static let statusHost = FederationConfig.Default.host
        /// 7704.
        public static let statusPort = 7704
        /// The console binds this machine only.
        public static let consoleHost = "127.0.0.1"
        /// `FEDERATION/keys/console.token`, made by `growda federation init`.
        public static let consoleTokenFile = "keys/console.token"
        /// Eight hours.
        public static let consoleSessionMinutes = 480.0
        /// AUC.
        public static let evalMetric = EvalMetric.auc
        /// Keep it.
        public static let evalKeepBest = true
    }

    /// Reads the configuration from a federation's `federation.conf`.
    ///
    /// - Throws: ``AggregatorError/configurationProblems(path:problems:)`` naming every problem at once.
    public init(federation: Federation) throws {
        try self.init(config: federation.config, federationDirectory: federation.directory)
    }

    /// Reads the configuration from `config`, the `federation.conf` of the federation folder at
    /// `federationDirectory` (the base of a relative `state.dir`).
    ///
    /// Every key must be one of ``knownKeys``, and every value must parse and lie in its range; the model
    /// name and classes and the aggregation rule are checked as the aggregator will use them. Nothing is
    /// opened, bound or written.
    ///
    /// - Throws: ``AggregatorError/configurationProblems(path:problems:)`` listing every problem: each
    ///   unknown key with its line and the nearest known key, and each bad value with its line.
    public init(config: FederationConfig, federationDirectory: String) throws {
        var reader = SettingsReader(config: config, registry: Self.knownKeys)
        reader.checkKeysAreKnown()
        federationPath = federationDirectory

        let modelName = config[Key.modelName] ?? Default.modelName
        let classes = config[Key.modelClasses].map(Self.classNames) ?? Default.modelClasses
        if classes.count < 2 || Set(classes).count != classes.count || classes.contains("") {
            reader.invalid(Key.modelClasses)
        }
        let spec = ModelSpec.reference(modelName, classes: classes)
        if spec == nil { reader.invalid(Key.modelName) }
        model = spec ?? ModelSpec.reference(Default.modelName, classes: Default.modelClasses)!
        modelSeed = reader.number(Key.modelSeed, Default.modelSeed) { _ in true }
        initialCheckpoint = reader.path(Key.modelInit)
        aggregation = reader.aggregation()

        maxUpdateNorm = reader.number(Key.maxUpdateNorm, Default.maxUpdateNorm) { $0 > 0 && $0.isFinite }
        if let text = config[Key.wireCodec] {
            if let codec = UpdateCodec(text) { self.codec = codec } else { reader.invalid(Key.wireCodec) }
        }
        let lostAfterSeconds = reader.number(Key.lostAfterSeconds, Default.lostAfterSeconds) {
            $0 > 0 && $0 <= Self.lostAfterLimit
        }
        lostAfter = .milliseconds(Int((lostAfterSeconds * 1000).rounded()))
        queueCapacity = reader.number(Key.queueCapacity, Default.queueCapacity) { Self.queueCapacityRange.contains($0) }
        queueBytes = reader.number(Key.queueBytes, Default.queueBytes) { $0 >= Self.minimumBufferBytes }
        admissionBytes = reader.number(Key.admissionBytes, Default.admissionBytes) { $0 >= Self.minimumBufferBytes }
        let stateDir = reader.path(Key.stateDir) ?? Default.stateDir
        statePath = stateDir.hasPrefix("/") ? stateDir : federationDirectory + "/" + stateDir
        evalPath = reader.path(Key.evalDir)
        let metricName = config[Key.evalMetric] ?? Default.evalMetric.rawValue
        if EvalMetric(rawValue: metricName) == nil { reader.invalid(Key.evalMetric) }
        evalMetric = EvalMetric(rawValue: metricName) ?? Default.evalMetric
        keepBest = reader.number(Key.evalKeepBest, Default.evalKeepBest) { _ in true }
        let maxVersions: UInt64 = reader.number(Key.stopMaxVersions, 0) { _ in true }
        stopMaxVersions = maxVersions == 0 ? nil : maxVersions
        let plateau: UInt64 = reader.number(Key.stopPlateau, 0) { _ in true }
        stopPlateau = plateau == 0 ? nil : plateau
        if plateau > 0 && !keepBest {
            reader.fail(
                Key.stopPlateau,
                "= \(plateau) needs \(Key.evalKeepBest) = true: the plateau is counted from the best version")
        }

        console = Self.readConsole(&reader, config: config, federationDirectory: federationDirectory)
        (privacy, minimumBuffer) = Self.readPrivacy(&reader, config: config, aggregation: aggregation)
        if privacy != nil, spec?.keepsRunningStatistics == true {
            // Updates carry the running statistics' deltas un-noised (see Protocol.md, "Batch normalisation").
            reader.fail(Key.modelName, PrivacyPolicy.runningStatisticsProblem(model: modelName))
        }
        _ = reader.read("") { () throws(ProvisioningError) in try config.endpointHost() }
        bindHost = reader.read(FederationConfig.Default.host) { () throws(ProvisioningError) in try config.bindHost() }
        let ports = reader.read((updates: 0, models: 0, snapshots: 0)) { () throws(ProvisioningError) in
            try config.ports()
        }
        (updatesPort, modelsPort, snapshotsPort) = ports
        statusHost = reader.read(Default.statusHost) { () throws(ProvisioningError) in
            try config.host(Key.statusBindHost, default: Default.statusHost)
        }
        statusPort = reader.read(Default.statusPort) { () throws(ProvisioningError) in
            try config.port(Key.statusPort, default: Default.statusPort)
        }
        if config[Key.statusPort] != nil, [ports.updates, ports.models, ports.snapshots].contains(statusPort) {
            reader.fail(Key.statusPort, "is the same as another port")
        }
        maxMessageBytes = reader.read(FederationConfig.Default.maxMessageBytes) { () throws(ProvisioningError) in
            try config.maxMessageBytes()
        }
        if !reader.problems.isEmpty {
            throw AggregatorError.configurationProblems(path: config.path, problems: reader.problems)
        }
    }

    /// The class names a `model.classes` value lists: split at commas, spaces around each removed.
    static func classNames(_ text: String) -> [String] {
        text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Throws unless the stop rules can run as configured: `stop.plateau` needs an evaluation set (`eval.dir`
    /// or `growda serve --eval`), since it counts versions without improvement of the evaluation metric.
    /// (Checked once the command line's overrides are in: the file alone cannot say.)
    public func checkStopRules() throws {
        if let stopPlateau, evalPath == nil {
            throw AggregatorError.configuration(
                "\(Key.stopPlateau) = \(stopPlateau) needs evaluation, to count versions without improvement: set "
                    + "\(Key.evalDir) in federation.conf or pass growda serve --eval DIR (a labelled folder), or "
                    + "remove \(Key.stopPlateau)")
        }
    }

    /// Whether the best version is tracked: with an evaluation set and ``keepBest``.
    public var tracksBest: Bool { keepBest && evalPath != nil }

    /// The longest `liveness.lost_after_seconds`: a day.
    static let lostAfterLimit = 86_400.0
    /// The accepted range of `queue.capacity`.
    static let queueCapacityRange = 1...1_000_000
    /// The smallest `queue.max_bytes` and `admission.max_bytes`: 1 MiB.
    static let minimumBufferBytes = 1 << 20
}

/// The evaluation metric that ranks versions (`eval.metric`): the best version is the one with the
/// highest value; ties keep the earlier version.
public enum EvalMetric: String, Sendable, Equatable, CaseIterable {
    /// The macro one-vs-rest area under the ROC curve (undefined when the evaluation set lacks a class:
    /// then no version is ranked; set `eval.metric = accuracy`).
    case auc
    /// The fraction of the evaluation set classified correctly.
    case accuracy

    /// The metric's value in `evaluation`, nil when it is undefined there.
    public func value(of evaluation: Evaluation) -> Double? {
        switch self {
        case .auc: evaluation.auc
        case .accuracy: evaluation.accuracy
        }
    }

    /// How a screen names it: `AUC` or `accuracy`.
    public var label: String { self == .auc ? "AUC" : "accuracy" }
}

/// Why the aggregator cannot start or go on; each message says what to fix.
public enum AggregatorError: Error, CustomStringConvertible {
    /// The configuration is wrong.
    case configuration(String)
    /// The configuration file at `path` has problems, each a line naming the file, the line and the key.
    case configurationProblems(path: String, problems: [String])
    /// The state folder cannot be used.
    case state(String)
    /// A socket could not be bound.
    case transport(String)

    /// What is wrong and what to do.
    public var description: String {
        switch self {
        case .configuration(let s): return "configuration: \(s)"
        case .configurationProblems(let path, let problems):
            let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
            let head =
                "configuration: \(count) in \(path); fix \(problems.count == 1 ? "it" : "them") "
                + "(`growda serve --config \(path) --check-config` checks the file without starting):"
            return ([head] + problems.map { "  " + $0 }).joined(separator: "\n")
        case .state(let s): return "state: \(s)"
        case .transport(let s): return "cannot bind: \(s) (is another aggregator running on these ports?)"
        }
    }
}
