import CoreMetrics
import Foundation
import GrowdaWire
import Metrics
import Prometheus

/// swift-metrics' gauge (Prometheus has a type of the same name).
typealias MetricGauge = CoreMetrics.Gauge
/// swift-metrics' counter.
typealias MetricCounter = CoreMetrics.Counter

/// The aggregator's figures for monitoring systems, as Prometheus text exposition: the same figures as
/// `growda status`, read from the status copy the processor publishes (never from its live state).
///
/// Every metric object is made once, here, through swift-metrics with a Prometheus backend on a registry
/// of its own (no global bootstrap, so several aggregators in one process each keep theirs). Counters
/// follow the aggregator's cumulative counts: each ``render(_:)`` adds what was counted since the last.
///
/// | name | type | labels | meaning |
/// |---|---|---|---|
/// | `growda_model_version` | gauge | | the current global version |
/// | `growda_seconds_since_version` | gauge | | seconds since that version was made |
/// | `growda_versions_per_hour` | gauge | | versions made per hour since start |
/// | `growda_buffer_updates` / `growda_buffer_target` | gauge | | k and K of FedBuff |
/// | `growda_queue_waiting` / `growda_queue_capacity` | gauge | | messages waiting, and the most that may |
/// | `growda_queue_oldest_seconds` | gauge | | age of the oldest waiting message (0 when none) |
/// | `growda_nodes` | gauge | `state` | nodes per state (`alive`, `training`, `idle`, `lost`, `revoked`, `never_seen`) |
/// | `growda_nodes_alive` / `growda_nodes_lost` | gauge | | nodes heard within the liveness window, and lost |
/// | `growda_received_total` | counter | | messages received from nodes |
/// | `growda_received_bytes_total` | counter | | their bytes |
/// | `growda_accepted_total` | counter | | updates accepted |
/// | `growda_refused_total` | counter | `reason` | refusals by reason (every reason is listed, from 0) |
/// | `growda_dropped_total` | counter | | messages dropped because the queue was full |
/// | `growda_update_staleness` | gauge | `stat` (`p50`, `p95`, `max`) | staleness of recently accepted updates |
/// | `growda_eval_accuracy` / `growda_eval_auc` | gauge | | the last evaluation (0 until there is one) |
/// | `growda_node_privacy_epsilon` | gauge | `node` | the record-level ε each hospital reported (with a privacy policy) |
/// | `growda_resident_memory_bytes` | gauge | | the aggregator's resident memory |
/// | `growda_uptime_seconds` | gauge | | seconds since the aggregator started |
public final class AggregatorMetrics: Sendable {
    /// The registry the metrics live in; ``render(_:)`` emits it.
    public let registry: PrometheusCollectorRegistry

    private let version: MetricGauge, sinceVersion: MetricGauge, versionsPerHour: MetricGauge
    private let bufferUpdates: MetricGauge, bufferTarget: MetricGauge
    private let queueWaiting: MetricGauge, queueCapacity: MetricGauge, queueOldest: MetricGauge
    private let nodesByState: [String: MetricGauge]
    private let nodesAlive: MetricGauge, nodesLost: MetricGauge
    private let received: MetricCounter, receivedBytes: MetricCounter, accepted: MetricCounter, dropped: MetricCounter
    private let refused: [String: MetricCounter]
    private let staleness: (p50: MetricGauge, p95: MetricGauge, max: MetricGauge)
    private let accuracy: MetricGauge, auc: MetricGauge
    private let resident: MetricGauge, uptime: MetricGauge
    /// The cumulative counts already added to the counters.
    private let counted = NSLock()
    nonisolated(unsafe) private var last = Counts()
    /// `growda_node_privacy_epsilon` by node name, made as hospitals first report one (under `counted`).
    nonisolated(unsafe) private var epsilons: [String: MetricGauge] = [:]
    private let factory: PrometheusMetricsFactory

    /// The node states `growda_nodes` has a series for.
    public static let nodeStates = NodeState.allCases.map(\.metricLabel)

    private struct Counts {
        var received = 0, bytes = 0, accepted = 0, dropped = 0
        var refused: [String: Int] = [:]
    }

    /// Makes every metric, at zero, in a new registry.
    public init() {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        func gauge(_ name: String, _ dimensions: [(String, String)] = []) -> MetricGauge {
            MetricGauge(label: name, dimensions: dimensions, factory: factory)
        }
        func counter(_ name: String, _ dimensions: [(String, String)] = []) -> MetricCounter {
            MetricCounter(label: name, dimensions: dimensions, factory: factory)
        }
        self.registry = registry
        self.factory = factory
        version = gauge("growda_model_version")
        sinceVersion = gauge("growda_seconds_since_version")
        versionsPerHour = gauge("growda_versions_per_hour")
        bufferUpdates = gauge("growda_buffer_updates")
        bufferTarget = gauge("growda_buffer_target")
        queueWaiting = gauge("growda_queue_waiting")
        queueCapacity = gauge("growda_queue_capacity")
        queueOldest = gauge("growda_queue_oldest_seconds")
        nodesByState = Dictionary(
            uniqueKeysWithValues: Self.nodeStates.map { ($0, gauge("growda_nodes", [("state", $0)])) })
        nodesAlive = gauge("growda_nodes_alive")
        nodesLost = gauge("growda_nodes_lost")
        received = counter("growda_received_total")
        receivedBytes = counter("growda_received_bytes_total")
        accepted = counter("growda_accepted_total")
        dropped = counter("growda_dropped_total")
        refused = Dictionary(
            uniqueKeysWithValues: RejectionReason.allCases.map {
                ($0.rawValue, counter("growda_refused_total", [("reason", $0.rawValue)]))
            })
        staleness = (
            gauge("growda_update_staleness", [("stat", "p50")]), gauge("growda_update_staleness", [("stat", "p95")]),
            gauge("growda_update_staleness", [("stat", "max")])
        )
        accuracy = gauge("growda_eval_accuracy")
        auc = gauge("growda_eval_auc")
        resident = gauge("growda_resident_memory_bytes")
        uptime = gauge("growda_uptime_seconds")
    }

    /// Brings every metric up to `status` and returns the registry as Prometheus text (format 0.0.4).
    public func render(_ status: AggregatorStatus?) -> String {
        if let status { record(status) }
        return registry.emitToString()
    }

    /// Sets the gauges from `status` and adds to the counters what was counted since the last call.
    public func record(_ status: AggregatorStatus) {
        version.record(Double(status.version))
        sinceVersion.record(status.seconds_since_version)
        versionsPerHour.record(status.versions_per_hour)
        bufferUpdates.record(Double(status.buffer_count))
        bufferTarget.record(Double(status.buffer_target))
        queueWaiting.record(Double(status.queue_waiting))
        queueCapacity.record(Double(status.queue_capacity))
        queueOldest.record(status.queue_oldest_seconds ?? 0)
        var byState = Dictionary(uniqueKeysWithValues: Self.nodeStates.map { ($0, 0) })
        for node in status.nodes { byState[node.state.metricLabel, default: 0] += 1 }
        for (state, gauge) in nodesByState { gauge.record(Double(byState[state] ?? 0)) }
        nodesLost.record(Double(status.nodes.filter { $0.state == .lost }.count))
        nodesAlive.record(Double(status.nodes.filter { $0.state.isAlive }.count))
        staleness.p50.record(status.staleness_p50 ?? 0)
        staleness.p95.record(status.staleness_p95 ?? 0)
        staleness.max.record(Double(status.staleness_max ?? 0))
        if let point = status.eval_history.last {
            accuracy.record(point.accuracy)
            if let value = point.auc { auc.record(value) }
        }
        resident.record(Double(status.resident_bytes))
        uptime.record(status.uptime_seconds)
        counted.withLock {
            func add(_ counter: MetricCounter, _ now: Int, _ before: Int) {
                if now > before { counter.increment(by: Int64(now - before)) }
            }
            add(received, status.received, last.received)
            add(receivedBytes, status.bytes_received, last.bytes)
            add(accepted, status.accepted, last.accepted)
            add(dropped, status.queue_dropped, last.dropped)
            for (reason, count) in status.refused {
                if let counter = refused[reason] { add(counter, count, last.refused[reason] ?? 0) }
            }
            for node in status.nodes {
                guard let epsilon = node.privacy_epsilon else { continue }
                if epsilons[node.name] == nil {
                    epsilons[node.name] = MetricGauge(
                        label: "growda_node_privacy_epsilon", dimensions: [("node", node.name)], factory: factory)
                }
                epsilons[node.name]?.record(epsilon)
            }
            last = Counts(
                received: max(last.received, status.received), bytes: max(last.bytes, status.bytes_received),
                accepted: max(last.accepted, status.accepted), dropped: max(last.dropped, status.queue_dropped),
                refused: last.refused.merging(status.refused, uniquingKeysWith: max))
        }
    }
}
