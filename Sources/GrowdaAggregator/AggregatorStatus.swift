import Foundation
import GrowdaWire

#if canImport(Glibc)
    import Glibc
#endif

/// A node's state as the aggregator sees it: the `state` of a status row, and (as ``metricLabel``) of the
/// `growda_nodes` gauge. The one place these names are spelled.
public enum NodeState: String, Codable, Sendable, CaseIterable {
    /// Heard within the liveness window, sending updates or asking for the model.
    case alive
    /// Heard within the liveness window, training (its last heartbeat said so).
    case training
    /// Heard within the liveness window, waiting for a model or for work.
    case idle
    /// Registered, heard before, silent longer than the liveness window.
    case lost
    /// Its key was revoked.
    case revoked
    /// Registered, never heard from since the aggregator started.
    case neverSeen = "never seen"
    /// Not revoked, but every message claiming to come from it over the last minute was refused before it
    /// could be authenticated (most often `bad_mac`: its bundle does not hold the key registered for it).
    case refused

    /// The state a heartbeat reports (`sending` is simply alive).
    public init(_ heartbeat: HeartbeatMessage.State) {
        switch heartbeat {
        case .idle: self = .idle
        case .training: self = .training
        case .sending: self = .alive
        }
    }

    /// Whether a node in this state counts as alive (heard within the liveness window).
    public var isAlive: Bool { self == .alive || self == .training || self == .idle }

    /// The state as a Prometheus label value (`never_seen`: no spaces).
    public var metricLabel: String { rawValue.replacingOccurrences(of: " ", with: "_") }
}

/// The federation at a glance, as `growda status` shows it (its JSON keys are stable).
public struct AggregatorStatus: Codable, Sendable, Equatable {
    /// One node's row.
    public struct Node: Codable, Sendable, Equatable {
        /// The node's id.
        public var id: UInt32
        /// The node's name from the registry.
        public var name: String
        /// alive, training, idle, lost, revoked, "never seen" or refused.
        public var state: NodeState
        /// Seconds since the node was last heard from (heartbeat, update or request).
        public var last_heard_seconds: Double?
        /// The model version the node last said it holds.
        public var version_held: UInt64?
        /// Updates accepted.
        public var accepted: Int
        /// Updates refused.
        public var refused: Int
        /// The highest update sequence number settled (acknowledged) for the node.
        public var settled_seq: UInt64
        /// Updates the node reported as waiting for acknowledgement.
        public var unacked: UInt64
        /// The local metrics of its last update.
        public var last_metrics: [String: Double]
        /// Messages whose clear header claimed this node's id but that failed before they could be
        /// authenticated as it, by reason, since the aggregator started (absent when none): a wrong key
        /// in its bundle (`bad_mac`), a revoked node still sending (`revoked_sender`), or a forgery.
        public var refused_claimed: [String: Int]?
        /// What is wrong with the node, in a sentence with what to do, when every message claiming to be
        /// from it over the last minute was refused (absent when nothing is).
        public var problem: String?
        /// The record-level ε the node reported with its last update (its ledger's total at the federation's
        /// δ); nil when it reported none (no privacy policy, or a node that predates it).
        public var privacy_epsilon: Double? = nil
        /// Suspect updates since the aggregator started: accepted updates the norm bound (`clip_norm`) scaled
        /// down, and, with `fedbuff.robust`, updates far from their buffer's robust direction (more than 3×
        /// the buffer's median distance); nil from an aggregator that predates them.
        public var clipped: Int? = nil, outliers: Int? = nil
        /// Updates made to wait since start because the node had its share of the buffer (`fedbuff.max_share`),
        /// each once: its leave to send deferred to the next version, or the update itself held unsettled (the
        /// node resends it); nil from an aggregator that predates the cap.
        public var over_share: Int? = nil
        /// Update messages received from the node since the aggregator started (accepted or refused once
        /// opened), and their bytes on the wire: what it uploaded. Nil from an aggregator that predates them.
        public var updates_received: Int? = nil, update_bytes: Int? = nil
    }

    /// The federation's privacy policy and what the hospitals report having spent.
    public struct Privacy: Codable, Sendable, Equatable {
        /// δ of every ε.
        public var delta: Double
        /// The budget (nil: none).
        public var max_epsilon: Double?
        /// DP-SGD's C and σ, the update-level S and z (nil: off).
        public var dp_clip: Double?, dp_noise: Double?, update_clip: Double?, update_noise: Double?
        /// DP-SGD's fixed sampling rate (nil: each hospital's batch / its size).
        public var dp_sampling_rate: Double? = nil
        /// The smallest buffer the aggregator accepts (`privacy.min_k`).
        public var min_k: Int
        /// The largest ε any hospital reported (nil: none reported yet).
        public var max_reported_epsilon: Double?
    }

    /// One committed version's evaluation on the aggregator's labelled set (`growda serve --eval`).
    public struct EvalPoint: Codable, Sendable, Equatable {
        /// The version evaluated.
        public var version: UInt64
        /// Its accuracy.
        public var accuracy: Double
        /// Its macro one-vs-rest AUC, when every class is present in the set.
        public var auc: Double?

        /// Makes a point.
        public init(version: UInt64, accuracy: Double, auc: Double?) {
            self.version = version
            self.accuracy = accuracy
            self.auc = auc
        }
    }

    /// How many versions `eval_history` keeps at most.
    public static let evalHistoryLimit = 60

    /// async (FedBuff) or sync (FedAvg rounds).
    public var mode: String
    /// The current global model version.
    public var version: UInt64
    /// Seconds since that version was made.
    public var seconds_since_version: Double
    /// Updates folded into the buffer since the last version (k).
    public var buffer_count: Int
    /// K, the buffer size that makes a version (0 in synchronous rounds).
    public var buffer_target: Int
    /// Messages waiting to be processed.
    public var queue_waiting: Int
    /// The queue's capacity in messages.
    public var queue_capacity: Int
    /// Age of the oldest waiting message.
    public var queue_oldest_seconds: Double?
    /// Messages dropped because the queue was full.
    public var queue_dropped: Int
    /// Messages received from nodes (updates and heartbeats).
    public var received: Int
    /// Their bytes.
    public var bytes_received: Int
    /// The codec the federation asks nodes to compress updates with (`wire.codec`: `none`, `int8`,
    /// `topk:0.01`, …); nil from an aggregator that predates it.
    public var codec: String? = nil
    /// Updates accepted.
    public var accepted: Int
    /// Messages received over the last minute on every socket (updates, heartbeats, snapshot and status
    /// requests), the same scope as `refused_last_minute`.
    public var received_last_minute: Int
    /// Refusals (of every reason, on every socket) over the last minute.
    public var refused_last_minute: Int
    /// Messages received per second over the last minute.
    public var received_per_second_last_minute: Double
    /// Updates accepted per second over the last minute.
    public var accepted_per_second_last_minute: Double
    /// Refusals by reason.
    public var refused: [String: Int]
    /// Median staleness of recently accepted updates.
    public var staleness_p50: Double?
    /// 95th percentile of that staleness.
    public var staleness_p95: Double?
    /// Largest of that staleness.
    public var staleness_max: Int?
    /// How many of those updates had staleness 0, 1, …, 9, and 10 or more (the last entry): the
    /// dashboard's staleness histogram; nil from an aggregator that predates it.
    public var staleness_histogram: [Int]? = nil
    /// Admission: leaves to send granted and not yet used (updates on their way), the most that may be out
    /// at once, and the nodes waiting for one; nil from an aggregator that predates them.
    public var admission_permits: Int? = nil, admission_max_permits: Int? = nil, admission_waiting: Int? = nil
    /// Versions made per hour since start.
    public var versions_per_hour: Double
    /// Seconds since the aggregator started.
    public var uptime_seconds: Double
    /// The aggregator process's resident memory in bytes (from /proc/self/statm; 0 where unavailable).
    public var resident_bytes: Int
    /// One row per registered node.
    public var nodes: [Node]
    /// The evaluation of the last versions that were evaluated (at most ``evalHistoryLimit``), oldest
    /// first: filled by the processor as it commits versions, seeded from the state's history at start.
    /// Empty when the aggregator runs without an evaluation set.
    public var eval_history: [EvalPoint]
    /// Socket receive and poll failures other than "nothing to read" since start (each also logged);
    /// nil from an aggregator that predates the count.
    public var transport_errors: Int?
    /// The best version by the evaluation metric, kept beside the latest (`eval.keep_best`); nil without
    /// evaluation, before a version is ranked, or from an aggregator that predates it.
    public var best_version: UInt64?
    /// The best version's value of the metric (see ``eval_metric``).
    public var best_metric: Double?
    /// The metric that ranks versions: `auc` or `accuracy` (nil when no best version is kept).
    public var eval_metric: String?
    /// Evaluated versions since the best one, none of which beat it: "not improved for N versions".
    public var versions_since_best: UInt64?
    /// Why the aggregator stopped making versions (a stop rule fired); nil while it makes them.
    public var stopped: String?
    /// The privacy policy and the ε reported (nil when the federation sets no policy).
    public var privacy: Privacy? = nil
    /// FedBuff's buffer rule (`fedbuff.robust`: none, trimmed_mean:b or median; nil from an older aggregator).
    public var robust: String? = nil
    /// The bytes of model-sized vectors the buffer holds: S for plain FedBuff, the kept deltas too for a robust
    /// rule (up to K + 1 copies of the model), R for a model with running statistics.
    public var buffer_bytes: Int? = nil
    /// Updates made to wait since start by `fedbuff.max_share` (the sum of the nodes' `over_share`).
    public var over_share_held: Int? = nil
}

extension AggregatorStatus {
    /// Every key, absent values as null (the keys are stable).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mode, forKey: .mode)
        try c.encode(version, forKey: .version)
        try c.encode(seconds_since_version, forKey: .seconds_since_version)
        try c.encode(buffer_count, forKey: .buffer_count)
        try c.encode(buffer_target, forKey: .buffer_target)
        try c.encode(queue_waiting, forKey: .queue_waiting)
        try c.encode(queue_capacity, forKey: .queue_capacity)
        try c.encode(queue_oldest_seconds, forKey: .queue_oldest_seconds)
        try c.encode(queue_dropped, forKey: .queue_dropped)
        try c.encode(received, forKey: .received)
        try c.encode(bytes_received, forKey: .bytes_received)
        try c.encode(codec, forKey: .codec)
        try c.encode(accepted, forKey: .accepted)
        try c.encode(received_last_minute, forKey: .received_last_minute)
        try c.encode(refused_last_minute, forKey: .refused_last_minute)
        try c.encode(received_per_second_last_minute, forKey: .received_per_second_last_minute)
        try c.encode(accepted_per_second_last_minute, forKey: .accepted_per_second_last_minute)
        try c.encode(refused, forKey: .refused)
        try c.encode(staleness_p50, forKey: .staleness_p50)
        try c.encode(staleness_p95, forKey: .staleness_p95)
        try c.encode(staleness_max, forKey: .staleness_max)
        try c.encode(staleness_histogram, forKey: .staleness_histogram)
        try c.encode(admission_permits, forKey: .admission_permits)
        try c.encode(admission_max_permits, forKey: .admission_max_permits)
        try c.encode(admission_waiting, forKey: .admission_waiting)
        try c.encode(versions_per_hour, forKey: .versions_per_hour)
        try c.encode(uptime_seconds, forKey: .uptime_seconds)
        try c.encode(resident_bytes, forKey: .resident_bytes)
        try c.encode(nodes, forKey: .nodes)
        try c.encode(eval_history, forKey: .eval_history)
        try c.encode(transport_errors, forKey: .transport_errors)
        try c.encode(best_version, forKey: .best_version)
        try c.encode(best_metric, forKey: .best_metric)
        try c.encode(eval_metric, forKey: .eval_metric)
        try c.encode(versions_since_best, forKey: .versions_since_best)
        try c.encode(stopped, forKey: .stopped)
        try c.encode(privacy, forKey: .privacy)
        try c.encode(robust, forKey: .robust)
        try c.encode(buffer_bytes, forKey: .buffer_bytes)
        try c.encode(over_share_held, forKey: .over_share_held)
    }
}

extension AggregatorStatus.Node {
    /// Every key, absent values as null.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(state, forKey: .state)
        try c.encode(last_heard_seconds, forKey: .last_heard_seconds)
        try c.encode(version_held, forKey: .version_held)
        try c.encode(accepted, forKey: .accepted)
        try c.encode(refused, forKey: .refused)
        try c.encode(settled_seq, forKey: .settled_seq)
        try c.encode(unacked, forKey: .unacked)
        try c.encode(last_metrics, forKey: .last_metrics)
        try c.encode(refused_claimed, forKey: .refused_claimed)
        try c.encode(problem, forKey: .problem)
        try c.encode(privacy_epsilon, forKey: .privacy_epsilon)
        try c.encode(clipped, forKey: .clipped)
        try c.encode(outliers, forKey: .outliers)
        try c.encode(over_share, forKey: .over_share)
        try c.encode(updates_received, forKey: .updates_received)
        try c.encode(update_bytes, forKey: .update_bytes)
    }
}

extension AggregatorStatus.EvalPoint {
    /// Every key, a missing AUC as null.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(version, forKey: .version)
        try c.encode(accuracy, forKey: .accuracy)
        try c.encode(auc, forKey: .auc)
    }
}

/// The resident set size of this process, from /proc/self/statm (Linux); 0 elsewhere.
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
