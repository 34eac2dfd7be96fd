import Foundation
import GrowdaFederation
import GrowdaNN
import GrowdaSafetensors
import GrowdaStore
import GrowdaWire

extension FederationProcessor {
    /// The best version by the evaluation metric: its record (as the store keeps it) and its model, as the
    /// message a node asking for the best receives.
    struct Best {
        /// The version, its metric and value.
        var record: BestVersion
        /// Its model (weights and state), built once.
        var message: ModelMessage
    }

    // MARK: The best version

    /// Whether `job`'s evaluation beats the best version (strictly: a tie keeps the earlier version). If it
    /// does, it becomes ``best`` and the record and checkpoint for the store are returned.
    func rankForBest(_ job: EvaluationJob, _ evaluation: Evaluation) -> (BestVersion?, SafetensorsWriter?) {
        guard configuration.keepBest else { return (nil, nil) }
        let metric = configuration.evalMetric
        guard let value = metric.value(of: evaluation), value.isFinite else {
            if !warnedNoMetric {
                warnedNoMetric = true
                logger.warning(
                    "no best version: the evaluation has no AUC (its set lacks a class); set eval.metric = accuracy",
                    metadata: ["model.version": "\(job.version)", "eval.metric": "\(metric.rawValue)"])
            }
            return (nil, nil)
        }
        if let best, value <= best.record.value { return (nil, nil) }
        do {
            let scratch = try bestScratch ?? Model(spec: model.spec)
            bestScratch = scratch
            scratch.parameters.assign(job.parameters)
            scratch.state.assign(job.state)
            let record = BestVersion(version: job.version, metric: metric.rawValue, value: value)
            let checkpoint = try scratch.checkpointWriter(facts: ["growda.version": String(job.version)])
            best = Best(record: record, message: try scratch.modelMessage(version: job.version, privacy: configuration.privacy))
            logger.notice(
                "new best version",
                metadata: [
                    "model.version": "\(job.version)", "eval.metric": "\(metric.rawValue)",
                    "eval.value": "\(String(format: "%.4f", value))",
                ])
            return (record, checkpoint)
        } catch {
            logger.warning("best version not kept", metadata: ["model.version": "\(job.version)", "error": "\(error)"])
            return (nil, nil)
        }
    }

    /// Evaluated versions since the best one, none of which beat it (nil without a best version).
    var versionsSinceBest: UInt64? {
        guard let best, let lastEvaluated else { return nil }
        return lastEvaluated >= best.record.version ? lastEvaluated - best.record.version : 0
    }

    // MARK: Stop rules

    /// Stops making versions when a stop rule holds (`stop.max_versions`, `stop.plateau`): logged once with
    /// the reason, which the status shows. Versions are no longer made, updates are refused as `stopped`
    /// (and settled), snapshot requests are answered with the final model.
    func checkStopRules() {
        guard stopped == nil else { return }
        var reason: String? = nil
        if let limit = configuration.stopMaxVersions, strategy.version >= limit {
            reason = "\(AggregatorConfiguration.Key.stopMaxVersions) = \(limit): version \(strategy.version) is made"
        } else if let plateau = configuration.stopPlateau, let since = versionsSinceBest, since >= plateau,
            let best
        {
            let label = configuration.evalMetric.label
            reason =
                "\(AggregatorConfiguration.Key.stopPlateau) = \(plateau): \(label) has not improved for \(since) "
                + "versions since the best, v\(best.record.version) (\(String(format: "%.4f", best.record.value)))"
        }
        guard let reason else { return }
        stopped = reason
        logger.notice(
            "federation stopped: no more versions are made",
            metadata: ["reason": "\(reason)", "model.version": "\(strategy.version)"])
    }
}
