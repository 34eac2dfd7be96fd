import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The federation at a glance, as `growda status` shows it (its JSON keys are stable).
public struct AggregatorStatus: Codable, Sendable, Equatable {
    /// One node's row.
    public struct Node: Codable, Sendable, Equatable {
        public var id: UInt32
        public var name: String
        /// alive, training, idle, sending, lost or revoked.
        public var state: String
        public var last_heard_seconds: Double?
        public var version_held: UInt64?
        public var accepted: Int
        public var refused: Int
        public var settled_seq: UInt64
        public var unacked: UInt64
        public var last_metrics: [String: Double]
    }

    public var mode: String
    public var version: UInt64
    public var seconds_since_version: Double
    public var buffer_count: Int
    public var buffer_target: Int
    public var queue_waiting: Int
    public var queue_capacity: Int
    public var queue_oldest_seconds: Double?
    public var queue_dropped: Int
    public var received: Int
    public var bytes_received: Int
    public var accepted: Int
    public var received_per_second_last_minute: Double
    public var accepted_per_second_last_minute: Double
    public var refused: [String: Int]
    public var staleness_p50: Double?
    public var staleness_p95: Double?
    public var staleness_max: Int?
    public var versions_per_hour: Double
    public var uptime_seconds: Double
    /// The aggregator process's resident memory in bytes (from /proc/self/statm; 0 where unavailable).
    public var resident_bytes: Int
    public var nodes: [Node]
}

/// The resident set size of this process, from /proc/self/statm (Linux); 0 elsewhere.
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
