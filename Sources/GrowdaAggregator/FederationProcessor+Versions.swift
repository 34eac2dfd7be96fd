import Foundation
import GrowdaAggregation
import GrowdaFederation
import GrowdaNN
import GrowdaSafetensors
import GrowdaStore
import GrowdaWire

/// A durable write the processor decided; the shell runs it on the committer's thread, in order.
enum StoreWrite: @unchecked Sendable {
    /// A group commit: the batch's rows and refusals, and the buffer they leave (nil: unchanged) with, for a
    /// model with state, the state deltas' sum R beside it.
    case batch(UpdateBatch, buffer: BufferState?, stateSum: [Float]?, version: UInt64)
    /// A new version: its checkpoint, the updates accepted since the last batch, the optimizer's state.
    case version(UInt64, checkpoint: SafetensorsWriter, accepting: [AcceptedUpdate], optimizerState: SafetensorsWriter?)
    /// Heartbeats (liveness only: a failure is logged, not fatal).
    case heartbeats([GrowdaStore.Heartbeat])
    /// A version's evaluation, recorded after the version itself; with `best`, the version becomes the best
    /// one (`checkpoint`: its weights, written again if the kept window had already pruned its file).
    case evaluation(Evaluation, version: UInt64, best: BestVersion?, checkpoint: SafetensorsWriter?)
    /// A write that could not even be prepared: it fails in its turn, which stops the aggregator.
    case failed(String)

    /// Whether a failure of this write stops the aggregator: everything but heartbeats and evaluations,
    /// which only inform (a failure is logged and the aggregator goes on).
    var isEssential: Bool {
        switch self {
        case .heartbeats, .evaluation: false
        default: true
        }
    }

    /// Carries the write out on `store`.
    func apply(to store: StateStore) throws {
        switch self {
        case .batch(var batch, let buffer, let stateSum, let version):
            batch.buffer = try buffer.map { try BufferFile.writer($0, stateSum: stateSum, version: version) }
            try store.commit(batch)
        case .version(let version, let checkpoint, let accepted, let optimizerState):
            try store.commitVersion(
                version, checkpoint: checkpoint, accepting: accepted, evaluation: nil, optimizerState: optimizerState)
        case .heartbeats(let heartbeats):
            try store.recordHeartbeats(heartbeats)
        case .evaluation(let evaluation, let version, let best, let checkpoint):
            try store.recordEvaluation(evaluation, version: version, best: best, checkpoint: checkpoint)
        case .failed(let reason):
            throw AggregatorError.state(reason)
        }
    }
}

/// A version's weights to score on the evaluation set (copies: the processor goes on stepping).
struct EvaluationJob: Sendable {
    /// The version.
    var version: UInt64
    /// Its parameters, in the model's order.
    var parameters: [Float]
    /// Its non-trained state (batch-norm running statistics), in the model's order.
    var state: [Float]
}

extension FederationProcessor {
    // MARK: Versions

    /// Takes a step when the strategy says one is due: new weights, a version to commit, a broadcast, and
    /// (with an evaluation set) a job for the evaluation worker.
    func stepIfReady(now: Double) {
        guard stopped == nil, strategy.pending.count > 0,
            strategy.isStepReady(StepContext(now: now, aliveNodes: aliveNodes(now: now)))
        else { return }
        let summary = strategy.takeStep(weights: model.parameters.buffer, at: now)
        countOutliers(summary)
        // Running statistics: s ← s + R / Z, the updates' weighted mean (no η, optimizer or clipping).
        stateAverage?.step(state: model.state.buffer, totalWeight: summary.totalWeight)
        do {
            let optimizerState = strategy.exportOptimizerState()
            var optimizerWriter: SafetensorsWriter? = nil
            if !optimizerState.tensors.isEmpty {
                var w = SafetensorsWriter()
                for (name, values) in optimizerState.tensors.sorted(by: { $0.key < $1.key }) {
                    try w.add(name: name, shape: [values.count], floats: values)
                }
                optimizerWriter = w
            }
            // The version folds the whole buffer: the updates already handed over in batches and this
            // batch's accepted ones, which the version's own write commits.
            let checkpoint = try model.checkpointWriter(facts: ["growda.version": String(summary.version)])
            let accepted = batch.accepted
            actions.append(
                .commit(
                    .version(summary.version, checkpoint: checkpoint, accepting: accepted, optimizerState: optimizerWriter),
                    acks: Self.settledSeqs(of: accepted)))
        } catch {
            // The weights are in memory only; the write's own failure would stop the aggregator the same way.
            logger.critical("version not encoded", metadata: ["model.version": "\(summary.version)", "error": "\(error)"])
            actions.append(.commit(.failed("version \(summary.version) could not be encoded: \(error)"), acks: [:]))
        }
        batch.accepted = []
        lastVersionAt = now
        versionTimes.append(now)
        if evaluates {
            actions.append(
                .evaluate(
                    EvaluationJob(
                        version: summary.version, parameters: Array(model.parameters.buffer),
                        state: Array(model.state.buffer))))
        }
        logger.info(
            "new version",
            metadata: [
                "model.version": "\(summary.version)", "updates": "\(summary.updateCount)",
                "staleness.mean": "\(String(format: "%.2f", summary.meanStaleness))",
            ])
        if let message = try? currentModelMessage() { actions.append(.broadcast(message)) }
        checkStopRules()
    }

    /// A version's evaluation came back from the worker (`job`: the weights it scored): kept for the status
    /// and written to the history; a version that beats the best by the evaluation metric becomes the best
    /// (kept in memory for nodes that ask for it, and recorded with its checkpoint); then the stop rules.
    func evaluated(_ job: EvaluationJob, _ evaluation: Evaluation) {
        let version = job.version
        var history = evalHistory
        history.append(.init(version: version, accuracy: evaluation.accuracy, auc: evaluation.auc))
        history.sort { $0.version < $1.version }
        evalHistory = Array(history.suffix(AggregatorStatus.evalHistoryLimit))
        lastEvaluated = max(lastEvaluated ?? version, version)
        let (newBest, checkpoint) = rankForBest(job, evaluation)
        actions.append(
            .commit(.evaluation(evaluation, version: version, best: newBest, checkpoint: checkpoint), acks: [:]))
        logger.info(
            "version evaluated",
            metadata: [
                "model.version": "\(version)", "eval.accuracy": "\(String(format: "%.4f", evaluation.accuracy))",
                "eval.auc": "\(evaluation.auc.map { String(format: "%.4f", $0) } ?? "-")",
            ])
        checkStopRules()
    }

    /// The current model as a message (built once per version).
    func currentModelMessage() throws -> ModelMessage {
        if let cached = cachedModelMessage, cached.version == strategy.version { return cached.message }
        let message = try model.modelMessage(version: strategy.version, privacy: configuration.privacy)
        cachedModelMessage = (strategy.version, message)
        return message
    }

    /// The current model, for the shell's broadcast at start.
    func broadcastCurrentModel() {
        do {
            actions.append(.broadcast(try currentModelMessage()))
        } catch {
            logger.warning("model broadcast failed", metadata: ["error": "\(error)"])
        }
    }
}
