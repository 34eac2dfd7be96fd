import Foundation
import GrowdaNN
import GrowdaProvisioning
import GrowdaWire

extension FederationProcessor {
    // MARK: Status

    /// The federation at a glance, as of `now` (`queue` and `residentBytes` come from the shell).
    func status(now t: Double, queue: QueueLoad, residentBytes: Int) -> AggregatorStatus {
        receivedTimes.removeAll { $0 < t - 60 }
        acceptedTimes.removeAll { $0 < t - 60 }
        refusedTimes.removeAll { $0 < t - 60 }
        let window = min(60, max(t, 1))
        let sorted = stalenessWindow.sorted()
        func percentile(_ p: Double) -> Double? {
            sorted.isEmpty ? nil : Double(sorted[min(sorted.count - 1, Int(p * Double(sorted.count - 1)))])
        }
        let alive = aliveNodes(now: t)
        var nodes: [AggregatorStatus.Node] = []
        for record in registry.nodes {
            let live = liveness[record.id]
            let state: NodeState
            if !record.isActive {
                state = .revoked
            } else if let live, alive.contains(record.id) {
                state = live.state
            } else {
                state = live == nil ? .neverSeen : .lost
            }
            let tally = tallies[record.id] ?? Tally()
            let claim = claims[record.id]
            let problem = problem(record, claim: claim, live: live, now: t)
            nodes.append(
                AggregatorStatus.Node(
                    id: record.id, name: record.name, state: problem != nil && record.isActive ? .refused : state,
                    last_heard_seconds: live.map { t - $0.lastHeard }, version_held: live?.versionHeld,
                    accepted: tally.accepted, refused: tally.refused, settled_seq: acknowledged[record.id] ?? 0,
                    unacked: live?.unacked ?? 0, last_metrics: tally.metrics,
                    refused_claimed: claim.map { Dictionary(uniqueKeysWithValues: $0.byReason.map { ($0.key.rawValue, $0.value) }) },
                    problem: problem, privacy_epsilon: tally.metrics["privacy_epsilon"], clipped: tally.clipped,
                    outliers: tally.outliers, over_share: tally.overShare, updates_received: tally.updatesReceived,
                    update_bytes: tally.updateBytes))
        }
        let refused = Dictionary(uniqueKeysWithValues: rejections.snapshot().map { ($0.key.rawValue, $0.value) })
        var histogram = [Int](repeating: 0, count: Self.stalenessBuckets + 1)
        for staleness in stalenessWindow { histogram[min(staleness, Self.stalenessBuckets)] += 1 }
        var status = AggregatorStatus(
            mode: configuration.aggregation.modeName, version: strategy.version,
            seconds_since_version: t - lastVersionAt,
            buffer_count: strategy.pending.count, buffer_target: configuration.aggregation.bufferTarget,
            queue_waiting: queue.count, queue_capacity: queue.capacity, queue_oldest_seconds: queue.oldestSeconds,
            queue_dropped: queue.dropped, received: received, bytes_received: bytesReceived, accepted: accepted,
            received_last_minute: receivedTimes.count, refused_last_minute: refusedTimes.count,
            received_per_second_last_minute: Double(receivedTimes.count) / window,
            accepted_per_second_last_minute: Double(acceptedTimes.count) / window,
            refused: refused, staleness_p50: percentile(0.5), staleness_p95: percentile(0.95),
            staleness_max: sorted.last,
            versions_per_hour: t > 0 ? Double(versionTimes.count) / t * 3600 : 0, uptime_seconds: t,
            resident_bytes: residentBytes, nodes: nodes, eval_history: evalHistory,
            transport_errors: transportErrors, best_version: best?.record.version, best_metric: best?.record.value,
            eval_metric: configuration.keepBest && evaluates ? configuration.evalMetric.rawValue : nil,
            versions_since_best: versionsSinceBest, stopped: stopped)
        status.staleness_histogram = histogram
        status.codec = configuration.codec.description
        status.admission_permits = admission.permits.count
        status.admission_max_permits = admission.maxPermits
        status.admission_waiting = waitingForLeave.count
        status.robust = configuration.aggregation.bufferTarget > 0 ? configuration.aggregation.robustName : nil
        status.buffer_bytes = strategy.heldBytes + (stateAverage?.count ?? 0) * MemoryLayout<Float>.size
        status.over_share_held = overShareHeld
        if let policy = configuration.privacy {
            status.privacy = AggregatorStatus.Privacy(
                delta: policy.delta, max_epsilon: policy.maxEpsilon, dp_clip: policy.dpSGD.map { PrivacyPolicy.decimal($0.clipNorm) },
                dp_noise: policy.dpSGD.map { PrivacyPolicy.decimal($0.noiseMultiplier) },
                update_clip: policy.update.map { PrivacyPolicy.decimal($0.clipNorm) },
                update_noise: policy.update.map { PrivacyPolicy.decimal($0.noiseMultiplier) },
                dp_sampling_rate: policy.dpSGD?.samplingRate, min_k: configuration.minimumBuffer,
                max_reported_epsilon: nodes.compactMap(\.privacy_epsilon).max())
        }
        return status
    }

    /// Staleness values counted one by one in the histogram; larger ones share its last bucket.
    static let stalenessBuckets = 10

    /// How long ``claims`` remembers arrivals, and the window of the "every message refused" rule.
    static let claimWindow = 60.0
    /// Claimed refusals in the window that make a node's problem (fewer could be a stray forgery).
    static let claimThreshold = 3

    /// What is wrong with a node whose every message in the last minute was refused: at least
    /// ``claimThreshold`` claimed refusals and nothing authenticated from it in the same window.
    private func problem(_ record: NodeRecord, claim: Claims?, live: Liveness?, now t: Double) -> String? {
        let recent = claim?.recent.filter { $0 >= t - Self.claimWindow }.count ?? 0
        guard recent >= Self.claimThreshold else { return nil }
        if record.isActive, let live, live.lastHeard >= t - Self.claimWindow { return nil }
        let reason = claim?.byReason.max { ($0.value, $1.key.rawValue) < ($1.value, $0.key.rawValue) }?.key ?? .malformed
        let count = "\(recent) message\(recent == 1 ? "" : "s") in the last minute"
        if !record.isActive {
            return "revoked, yet still sending: \(count) refused; stop growda-node at this hospital"
        }
        if reason == .badMAC {
            return "every message claiming to be \(record.name) failed authentication (bad_mac, \(count)): "
                + "its bundle does not hold the key registered for node \(record.id); give the hospital its "
                + "current bundle, or a new one (growda node revoke \(record.name), then growda node add)"
        }
        return "every message claiming to be \(record.name) was refused (\(reason.rawValue), \(count)): "
            + reason.explanation
    }

    /// The status as the JSON a status reply carries (sorted keys).
    func statusJSON(now: Double, queue: QueueLoad, residentBytes: Int) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(status(now: now, queue: queue, residentBytes: residentBytes))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
