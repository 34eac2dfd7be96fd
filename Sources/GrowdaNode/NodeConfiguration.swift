import Foundation
import GrowdaNN

/// Everything a `growda-node` needs to run: where its bundle, data and state are, how it trains,
/// and the timers of its conversation with the aggregator.
public struct NodeConfiguration: Sendable {
    /// The node bundle made by `growda node add` (mode 0600).
    public var bundlePath: String
    /// The hospital's labelled images, `root/<class>/*.png` (or a signal CSV).
    public var dataPath: String
    /// Where the node keeps its latest global model, its counters and its unacknowledged updates.
    public var statePath: String

    /// Local epochs per update.
    public var localEpochs = 1
    /// Samples per optimizer step.
    public var batchSize = 32
    /// Learning rate of the local optimizer.
    public var learningRate: Float = 1e-3
    /// Weight decay of the local optimizer (decoupled, AdamW, for adam; L2 for sgd): pulls weights toward 0
    /// each step, so that many rounds over a small local shard do not drive the loss to 0 and the
    /// predictions to certainty.
    public var weightDecay: Float = Self.defaultWeightDecay
    /// The default local weight decay, 0.05 (with the aggregator's default `server.lr` 0.5: see
    /// `AggregationConfig.defaultServerLearningRate` for the run that chose both).
    public static let defaultWeightDecay: Float = 0.05
    /// The local optimizer (its state starts afresh from each global model).
    public var optimizer: OptimizerName = .adam
    /// Augment local images while training.
    public var augment = false
    /// Label smoothing ε of the local loss (0: none; see `SoftmaxCrossEntropy`).
    public var labelSmoothing: Float = 0
    /// Weight classes by inverse frequency in the local loss.
    public var classWeights = false
    /// Fraction of the local data held out for the validation metrics reported with each update.
    public var validationFraction = 0.1
    /// Threads for training.
    public var threads = 1
    /// Seed for local shuffling and augmentation.
    public var seed: UInt64 = 1

    /// How often to send a heartbeat.
    public var heartbeatInterval: Duration = .seconds(2)
    /// How long an update may stay unacknowledged before it is sent again the first time; each resend
    /// doubles the wait, up to `resendMaximum`, and every wait gets ±20% jitter (see `ResendSchedule`).
    /// The wait returns to this for a new update and when acknowledgements progress.
    public var resendAfter: Duration = .seconds(10)
    /// The longest wait between resends of one update, before jitter (nil: 8 × `resendAfter`).
    public var resendMaximum: Duration?
    /// How often to ask for acknowledgements (and the latest model) while updates wait.
    public var pollInterval: Duration = .milliseconds(500)
    /// How long the node may ask without any answer from the aggregator before it warns (in its log and
    /// status.json), and before it reports an error: an aggregator that is down or unreachable, or a
    /// bundle whose key the federation does not hold for this node (see `AggregatorContact`).
    public var noAnswerWarning: Duration = .seconds(60)
    /// See `noAnswerWarning`.
    public var noAnswerError: Duration = .seconds(300)
    /// How often status.json is rewritten (and at once when the contact level changes).
    public var statusInterval: Duration = .seconds(5)
    /// After an acknowledged update, wait for a newer global model before training again
    /// (synchronous FedAvg rounds); otherwise train again at once from the newest model held.
    public var waitForNewModel = false
    /// Straggler simulation: each training step is stretched to this many times its real duration.
    public var slowdown = 1.0
    /// Stop after this many acknowledged updates (nil: run until stopped).
    public var maxUpdates: Int?
    /// Misbehave on purpose, to test robust aggregation (nil: an honest node).
    public var hostile: HostileBehaviour?
    /// The largest message accepted from the aggregator, in bytes.
    public var maxMessageBytes = 64 << 20

    /// Which global model the node keeps to diagnose with (`--diagnose-with`): the latest (its
    /// `model.safetensors`, which it also trains from) or also the best by the aggregator's evaluation
    /// metric, kept as `diagnose.safetensors`.
    public var diagnoseWith: DiagnoseModel = .latest

    /// Which model a node diagnoses with.
    public enum DiagnoseModel: String, Sendable, CaseIterable {
        /// The latest version (`STATE/model.safetensors`).
        case latest
        /// The best version the aggregator names (`STATE/diagnose.safetensors`); training still goes on
        /// from the latest.
        case best
    }

    /// The local optimizers a node may use.
    public enum OptimizerName: String, Sendable, CaseIterable { case adam, sgd }

    /// A configuration with the defaults above.
    public init(bundlePath: String, dataPath: String, statePath: String) {
        self.bundlePath = bundlePath
        self.dataPath = dataPath
        self.statePath = statePath
    }

    /// The resend backoff these timers make: `resendAfter` (at least 1 ms) doubling up to `resendMaximum`
    /// (taken as `resendAfter` when smaller).
    var resendSchedule: ResendSchedule {
        let base = max(resendAfter, .milliseconds(1))
        return ResendSchedule(base: base, maximum: resendMaximum.map { max($0, base) })
    }

    /// The optimizer as the trainer takes it.
    var optimizerConfig: OptimizerConfig {
        optimizer == .adam
            ? .adam(learningRate: learningRate, weightDecay: weightDecay)
            : .sgd(learningRate: learningRate, momentum: 0.9, weightDecay: weightDecay)
    }
}

/// Why a node cannot start or go on; each message says what to fix.
public enum NodeError: Error, CustomStringConvertible {
    /// The bundle is missing, unreadable, has the wrong mode or is malformed.
    case bundle(path: String, reason: String)
    /// The data folder is missing, empty or holds no readable image.
    case data(path: String, reason: String)
    /// The state folder cannot be made or written.
    case state(path: String, reason: String)
    /// The federation's privacy policy cannot be followed with this model.
    case privacy(String)
    /// The privacy ledger (file at `path`) cannot be read or saved.
    case ledger(path: String, reason: String)
    /// A socket could not be set up.
    case transport(String)
    /// The local data does not fit the federation's model.
    case mismatch(String)
    /// The federation's admin revoked this node (the aggregator said so in a signed reply).
    case revoked(node: UInt32, name: String)

    /// The exit status `growda-node run` ends with for this error: 3 for a revoked node (the systemd unit
    /// does not restart it), 2 for the rest.
    public var exitCode: Int32 {
        if case .revoked = self { return 3 }
        return 2
    }

    /// What is wrong and what to do.
    public var description: String {
        switch self {
        case .bundle(let path, let reason): return "cannot use the node bundle \(path): \(reason)"
        case .data(let path, let reason): return "cannot use the data in \(path): \(reason)"
        case .state(let path, let reason):
            return "cannot use the state folder \(path): \(reason); give --state a folder this user can write"
        case .privacy(let reason): return "cannot follow the federation's privacy policy: \(reason)"
        case .ledger(let path, let reason): return "privacy ledger \(path): \(reason)"
        case .transport(let reason): return "cannot reach the aggregator: \(reason)"
        case .mismatch(let reason): return "the local data does not fit the federation's model: \(reason)"
        case .revoked(let node, let name):
            return "this node (\(name), id \(node)) was revoked by the federation's admin: it may no longer take "
                + "part, and it cannot open the models made since. If that is a mistake, ask the admin for a new "
                + "bundle (growda node add) and start with a new --state folder"
        }
    }
}
