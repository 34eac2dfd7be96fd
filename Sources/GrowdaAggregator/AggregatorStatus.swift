import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The federation at a glance, as `growda status` shows it (its JSON keys are stable).
public struct AggregatorStatus: Codable, Sendable, Equatable {
    /// One node's row.
    public struct Node: Codable, Sendable, Equatable {
        /// The node's id.
        public var id: UInt32
        /// The node's name from the registry.
        public var name: String
        /// alive, training, idle, sending, lost or revoked.
        public var state: String
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
    }

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
    /// Updates accepted.
    public var accepted: Int
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
    /// Versions made per hour since start.
    public var versions_per_hour: Double
    /// Seconds since the aggregator started.
    public var uptime_seconds: Double
    /// The aggregator process's resident memory in bytes (from /proc/self/statm; 0 where unavailable).
    public var resident_bytes: Int
    /// One row per registered node.
    public var nodes: [Node]
}

/// The resident set size of this process, from /proc/self/statm (Linux); 0 elsewhere.
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
