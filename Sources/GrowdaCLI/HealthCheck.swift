import ArgumentParser
import GrowdaAggregator

/// How healthy a federation is, as `growda status --check` judges it (its exit code is the raw value).
enum HealthLevel: Int32, Comparable, Codable, Sendable {
    /// Nothing over a threshold.
    case healthy = 0
    /// Something needs a look.
    case degraded = 1
    /// Training has stopped or most nodes are gone (also: the aggregator does not answer).
    case critical = 2

    static func < (a: HealthLevel, b: HealthLevel) -> Bool { a.rawValue < b.rawValue }

    /// healthy, degraded or critical.
    var name: String {
        switch self {
        case .healthy: "healthy"
        case .degraded: "degraded"
        case .critical: "critical"
        }
    }
}

/// The thresholds of `growda status --check`, each overridable by a flag.
///
/// - No new version for more than `--max-version-age` seconds (default 600) while some node is alive
///   (alive, training or idle) → degraded; for more than twice that → critical.
/// - Queue above `--max-queue-fraction` of its capacity (default 0.8) → degraded.
/// - Any registered active (not revoked) node lost → degraded; more than `--max-lost-fraction` of them
///   (default 0.5) lost → critical.
/// - Refusals over the last minute above `--max-refusal-fraction` (default 0.5) of the messages received
///   over the last minute → degraded.
/// - A node whose every message over the last minute was refused (its row's `problem`: a wrong key in
///   its bundle, a revoked node still sending) → degraded.
/// - More than `--max-versions-without-improvement` evaluated versions (default 500) since the best version
///   by the evaluation metric → degraded: the model is drifting, not learning.
/// A federation that stopped making versions (a stop rule fired) was stopped on purpose: the version age
/// and improvement rules do not apply to it, and the healthy line says it stopped and why.
struct HealthThresholds: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "--check: degraded when no version was made for this many seconds while nodes are alive (critical at twice).",
            valueName: "seconds"))
    var maxVersionAge: Double = 600

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "--check: degraded when the queue holds more than this fraction of its capacity.", valueName: "fraction"))
    var maxQueueFraction: Double = 0.8

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "--check: critical when more than this fraction of active nodes is lost (degraded for any).",
            valueName: "fraction"))
    var maxLostFraction: Double = 0.5

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "--check: degraded when refusals over the last minute exceed this fraction of messages received.",
            valueName: "fraction"))
    var maxRefusalFraction: Double = 0.5

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "--check: degraded when more than this many evaluated versions followed the best one without beating it.",
            valueName: "versions"))
    var maxVersionsWithoutImprovement: Int = 500

    func validate() throws {
        guard maxVersionsWithoutImprovement >= 1 else {
            throw ValidationError(
                "--max-versions-without-improvement must be a whole number ≥ 1, got \(maxVersionsWithoutImprovement).")
        }
        guard maxVersionAge > 0 else {
            throw ValidationError("--max-version-age must be a positive number of seconds, got \(maxVersionAge).")
        }
        for (flag, value) in [
            ("--max-queue-fraction", maxQueueFraction), ("--max-lost-fraction", maxLostFraction),
            ("--max-refusal-fraction", maxRefusalFraction),
        ] where !(0...1).contains(value) {
            throw ValidationError("\(flag) must be between 0 and 1, got \(value).")
        }
    }
}

/// The verdict on one status: a level and the reasons for it.
struct HealthReport: Codable, Equatable, Sendable {
    /// The worst level found.
    var level: HealthLevel
    /// One sentence per threshold crossed, worst first.
    var problems: [String]

    /// Judges `status` against `thresholds`.
    init(_ status: AggregatorStatus, thresholds: HealthThresholds) {
        var found: [(HealthLevel, String)] = []
        let active = status.nodes.filter { $0.state != .revoked }
        let alive = active.filter { $0.state.isAlive }
        let lost = active.filter { $0.state == .lost }
        let age = status.seconds_since_version
        if status.stopped == nil, !alive.isEmpty, age > thresholds.maxVersionAge {
            let level: HealthLevel = age > 2 * thresholds.maxVersionAge ? .critical : .degraded
            found.append(
                (
                    level,
                    "no new version for \(Age.text(age)) (over \(Age.text(thresholds.maxVersionAge))) "
                        + "while \(alive.count) node\(alive.count == 1 ? " is" : "s are") alive"
                ))
        }
        if status.queue_capacity > 0,
            Double(status.queue_waiting) > thresholds.maxQueueFraction * Double(status.queue_capacity)
        {
            found.append(
                (
                    .degraded,
                    "queue \(status.queue_waiting)/\(status.queue_capacity) is over "
                        + "\(Int(thresholds.maxQueueFraction * 100))% full"
                ))
        }
        if !lost.isEmpty {
            let level: HealthLevel =
                Double(lost.count) > thresholds.maxLostFraction * Double(active.count) ? .critical : .degraded
            found.append(
                (level, "\(lost.count) of \(active.count) nodes lost (\(lost.map(\.name).joined(separator: ", ")))"))
        }
        if status.refused_last_minute > 0,
            Double(status.refused_last_minute) > thresholds.maxRefusalFraction * Double(status.received_last_minute)
        {
            found.append(
                (
                    .degraded,
                    "\(status.refused_last_minute) refusals for \(status.received_last_minute) messages received "
                        + "in the last minute"
                ))
        }
        for node in status.nodes {
            if let problem = node.problem { found.append((.degraded, "node \(node.name): \(problem)")) }
        }
        if status.stopped == nil, let since = status.versions_since_best, let best = status.best_version,
            since > UInt64(thresholds.maxVersionsWithoutImprovement)
        {
            found.append(
                (
                    .degraded,
                    "\(StatusScreen.metricLabel(status)) has not improved for \(since) versions since the best, "
                        + "v\(best) (over \(thresholds.maxVersionsWithoutImprovement)): the model drifts; export the "
                        + "best (growda model export --best) or set stop.plateau"
                ))
        }
        found.sort { $0.0 > $1.0 }
        level = found.first?.0 ?? .healthy
        problems = found.map(\.1)
    }

    /// The one line `--check` prints.
    func line(_ status: AggregatorStatus) -> String {
        guard problems.isEmpty else { return "\(level.name): " + problems.joined(separator: "; ") }
        let active = status.nodes.filter { $0.state != .revoked }
        let alive = active.filter { $0.state.isAlive }.count
        if let stopped = status.stopped {
            return "healthy: stopped at version \(status.version) (\(stopped)), \(alive) of \(active.count) nodes alive"
        }
        return "healthy: version \(status.version) (\(Age.text(status.seconds_since_version)) ago), "
            + "\(alive) of \(active.count) nodes alive, queue \(status.queue_waiting)/\(status.queue_capacity)"
    }
}

/// Short human durations: 0.4s, 12s, 3m05s, 2h03m, 3d04h.
enum Age {
    /// `seconds` as a short duration.
    static func text(_ seconds: Double) -> String {
        let s = max(0, seconds)
        if s < 10 { return String(format: "%.1fs", s) }
        let whole = Int(s)
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        if whole < 86400 { return String(format: "%dh%02dm", whole / 3600, whole % 3600 / 60) }
        return String(format: "%dd%02dh", whole / 86400, whole % 86400 / 3600)
    }
}
