import Foundation
import GrowdaAggregator

/// What `growda status --json` prints: one object with stable keys.
///
/// Every key of `AggregatorStatus`, as the aggregator reports it: `mode`, `version`,
/// `seconds_since_version`, `buffer_count`, `buffer_target`, `queue_waiting`, `queue_capacity`,
/// `queue_oldest_seconds`, `queue_dropped`, `received`, `bytes_received`, `accepted`,
/// `received_last_minute`, `refused_last_minute`, `received_per_second_last_minute`,
/// `accepted_per_second_last_minute`, `refused` (reason → count), `staleness_p50`, `staleness_p95`,
/// `staleness_max`, `staleness_histogram`, `admission_permits`, `admission_max_permits`, `admission_waiting`,
/// `versions_per_hour`, `uptime_seconds`, `resident_bytes`, `nodes` (rows with `id`, `name`,
/// `state`, `last_heard_seconds`, `version_held`, `accepted`, `refused`, `settled_seq`, `unacked`,
/// `last_metrics`, `refused_claimed`, `problem`, `privacy_epsilon`, `clipped`, `outliers`, `over_share`),
/// `eval_history` (`version`, `accuracy`, `auc`), `transport_errors`,
/// `best_version`, `best_metric` (its value), `eval_metric` (`auc` or `accuracy`), `versions_since_best`,
/// `stopped` (why versions stopped, null while they are made), `privacy`, `robust` (the buffer rule),
/// `buffer_bytes` (what the buffer holds) and `over_share_held`; and, added by the command:
/// `endpoint` (where it asked), `nodes_alive`, `nodes_lost`, `health` (`healthy`, `degraded` or `critical`,
/// as `--check` judges) and `problems` (the thresholds crossed, as sentences). Absent values are null.
struct StatusReport: Encodable {
    /// The aggregator's status.
    var status: AggregatorStatus
    /// Where it was asked.
    var endpoint: String
    /// The verdict of the health check.
    var health: HealthReport

    private enum Extra: String, CodingKey {
        case endpoint, nodes_alive, nodes_lost, health, problems
    }

    /// The status's keys and the command's, in one object.
    func encode(to encoder: any Encoder) throws {
        try status.encode(to: encoder)
        var container = encoder.container(keyedBy: Extra.self)
        try container.encode(endpoint, forKey: .endpoint)
        let active = status.nodes.filter { $0.state != .revoked }
        try container.encode(active.filter { $0.state.isAlive }.count, forKey: .nodes_alive)
        try container.encode(active.filter { $0.state == .lost }.count, forKey: .nodes_lost)
        try container.encode(health.level.name, forKey: .health)
        try container.encode(health.problems, forKey: .problems)
    }
}
