import Foundation
import GrowdaAggregation
import GrowdaFederation
import GrowdaNN
import GrowdaSafetensors
import GrowdaStore
import Logging

extension Aggregator {
    /// What the state folder gives a starting aggregator: the model at the last committed version, the
    /// strategy at that version with its buffer and optimizer restored, the settled seqs, per-node tallies
    /// and the evaluations in the history.
    struct Recovered {
        var model: Model
        var strategy: any AggregationStrategy
        /// R beside the strategy's buffer, for a model with state (nil without).
        var stateAverage: StateAverage?
        var settled: [UInt32: UInt64]
        var tallies: [UInt32: FederationProcessor.Tally]
        var evalHistory: [AggregatorStatus.EvalPoint]
        /// The best version the state keeps, with its model (nil without `eval.keep_best`, or when the state
        /// ranked versions by another metric than `eval.metric`).
        var best: FederationProcessor.Best?
    }

    /// Opens what the last run left (after a crash too): the buffer is restored exactly from the file in
    /// force, never replayed. A new state folder commits the initial model as version 0.
    static func recover(store: StateStore, configuration: AggregatorConfiguration, logger: Logger) throws -> Recovered {
        let recovery = store.recovery
        for file in recovery.removedFiles { logger.info("leftover file removed", metadata: ["file": "\(file)"]) }
        for lost in recovery.lostUpdates { logger.error("pending update lost", metadata: ["update": "\(lost)"]) }

        // The global model: the last committed version, or a fresh one (committed as version 0).
        let model: Model
        if let path = recovery.checkpointPath {
            model = try Model(checkpoint: path)
        } else if let initial = configuration.initialCheckpoint {
            model = try Model(checkpoint: initial)
        } else {
            model = try Model(spec: configuration.model, seed: configuration.modelSeed)
        }
        if recovery.version == nil {
            try store.commitVersion(0, checkpoint: try model.checkpointWriter(facts: ["growda.version": "0"]))
        }
        let version = recovery.version ?? 0
        let strategy: any AggregationStrategy
        do {
            strategy = try configuration.aggregation.makeStrategy(
                parameterCount: model.parameterCount, version: version, openedAt: 0)
            if let path = recovery.optimizerStatePath {
                var state = try optimizerState(path)
                if configuration.aggregation.adaptiveClip == nil {  // a window left by an adaptive bound since turned off
                    state.tensors[NormClipping.windowTensor] = nil
                }
                try strategy.restore(version: version, optimizerState: state, at: 0)
            }
        } catch {
            throw AggregatorError.configuration("\(error)")
        }
        // The buffer of accepted, not yet aggregated updates, as the last group commit left it, and R beside it.
        let stateAverage = model.state.count > 0 ? StateAverage(stateCount: model.state.count) : nil
        if let path = recovery.bufferPath {
            let (state, stateSum) = try BufferFile.read(path, version: version)
            guard state.count == recovery.pending.count else {
                throw AggregatorError.state(
                    "\(path) sums \(state.count) updates, the database lists \(recovery.pending.count) pending")
            }
            do {
                try strategy.restoreBuffer(state)
                if let stateSum {
                    guard let stateAverage else {
                        throw AggregatorError.state(
                            "\(path) holds a state sum of \(stateSum.count) values, but the model has no state")
                    }
                    try stateAverage.restore(stateSum)
                } else if stateAverage != nil, state.count > 0 {
                    // A buffer written before running statistics were averaged: its updates carried none.
                    logger.notice("buffer file has no state sum: its updates count as leaving the state unchanged")
                }
            } catch let error as AggregatorError {
                throw error
            } catch {
                throw AggregatorError.state("\(path): \(error)")
            }
        }
        let evaluated = try store.history().compactMap { record in
            record.evaluation.map {
                AggregatorStatus.EvalPoint(version: record.version, accuracy: $0.accuracy, auc: $0.auc)
            }
        }
        var tallies: [UInt32: FederationProcessor.Tally] = [:]
        for record in try store.nodeSnapshot() {
            tallies[record.id] = .init(
                accepted: record.acceptedCount, refused: record.refusedCount, metrics: record.lastMetrics)
        }
        return Recovered(
            model: model, strategy: strategy, stateAverage: stateAverage, settled: recovery.settledSeqs,
            tallies: tallies,
            evalHistory: Array(evaluated.suffix(AggregatorStatus.evalHistoryLimit)),
            best: try recoverBest(store: store, configuration: configuration, logger: logger))
    }

    /// The best version the state keeps and its model, read from its checkpoint. A best version ranked by
    /// another metric is not carried over: the next evaluation starts the ranking afresh (and releases it).
    static func recoverBest(
        store: StateStore, configuration: AggregatorConfiguration, logger: Logger
    ) throws -> FederationProcessor.Best? {
        guard configuration.keepBest, let record = try store.bestVersion() else { return nil }
        guard record.metric == configuration.evalMetric.rawValue else {
            logger.notice(
                "eval.metric changed: the best version is ranked afresh from the next evaluation",
                metadata: ["best.version": "\(record.version)", "best.metric": "\(record.metric)"])
            return nil
        }
        guard let file = try store.history().first(where: { $0.version == record.version })?.checkpoint else {
            throw AggregatorError.state(
                "the checkpoint of the best version, v\(record.version), is missing from \(store.folder): the state "
                    + "folder was altered; restore it from a backup")
        }
        let best = try Model(checkpoint: store.path(of: file))
        return FederationProcessor.Best(record: record, message: try best.modelMessage(version: record.version, privacy: configuration.privacy))
    }

    /// The server optimizer's state that the store committed beside a checkpoint.
    static func optimizerState(_ path: String) throws -> OptimizerState {
        let file = try SafetensorsFile(contentsOf: path)
        var tensors: [String: [Float]] = [:]
        for info in file.tensors { tensors[info.name] = try file.floats(info.name) }
        return OptimizerState(tensors)
    }
}
