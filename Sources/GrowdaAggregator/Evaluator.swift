import Foundation
import GrowdaData
import GrowdaNN
import GrowdaStore

/// Server-side evaluation (`growda serve --eval DIR`) on a worker thread of its own, so ingest never
/// stalls while a version is scored (a few seconds for xray128 on 800 images).
///
/// It holds its own copy of the model and one job slot: a job submitted while another waits replaces it
/// (latest wins), so under a fast stream of versions the worker scores the newest version it can and
/// skips the ones in between (their history rows have no evaluation). The shell collects results and hands
/// them to the processor, which records them after the version's own commit.
final class Evaluator: @unchecked Sendable {
    private let model: Model
    private let predictor: Predictor
    private let data: Dataset
    private let condition = NSCondition()
    private var waiting: EvaluationJob?
    private var busy = false
    private var finished: [Scored] = []
    private var stopped = false
    private let done = DispatchSemaphore(value: 0)

    /// A version scored: its job (version and weights) and its evaluation.
    typealias Scored = (version: UInt64, evaluation: Evaluation, job: EvaluationJob)

    /// A worker scoring versions of `spec` on `data`; its thread starts at once.
    init(spec: ModelSpec, data: Dataset) throws {
        model = try Model(spec: spec)
        predictor = Predictor(model: model, threads: 1)
        self.data = data
        let thread = Thread { [self] in work() }
        thread.name = "growda-evaluator"
        thread.start()
    }

    /// Queues `job`, replacing one that has not started.
    func submit(_ job: EvaluationJob) {
        condition.withLock {
            waiting = job
            condition.signal()
        }
    }

    /// The evaluations finished since the last call, oldest first.
    func collect() -> [Scored] {
        condition.withLock {
            defer { finished = [] }
            return finished
        }
    }

    /// Finishes the job in hand and the waiting one, then stops the thread (before the aggregator stops,
    /// so the last version is evaluated). Returns what it finished that was not collected.
    func finish() -> [Scored] {
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
        done.wait()
        return collect()
    }

    private func work() {
        while true {
            let job: EvaluationJob? = condition.withLock {
                while waiting == nil && !stopped { condition.wait() }
                defer { waiting = nil }
                return waiting
            }
            guard let job else { break }
            let evaluation = score(job)
            condition.withLock { finished.append((job.version, evaluation, job)) }
        }
        done.signal()
    }

    private func score(_ job: EvaluationJob) -> Evaluation {
        model.parameters.assign(job.parameters)
        model.state.assign(job.state)
        let probabilities = predictor.probabilities(data)
        let m = ClassificationMetrics(probabilities: probabilities, labels: data.labels, classes: data.classNames)
        let loss = ClassificationMetrics.crossEntropy(
            probabilities: probabilities, labels: data.labels, classes: data.classNames.count)
        return Evaluation(accuracy: m.accuracy, auc: m.auc, loss: loss)
    }
}

extension Evaluator {
    /// The evaluation set at `path` (`eval.dir`, `growda serve --eval`) for `spec`: a signal CSV (`*.csv`, with
    /// a record column or side file like a hospital's) for a signal model, else a labelled image folder
    /// `path/<class>/` (unreadable images skipped).
    static func loadSet(_ path: String, spec: ModelSpec) throws -> Dataset {
        let shape = spec.inputShape
        if path.hasSuffix(".csv") {
            guard shape.count == 2 else {
                throw AggregatorError.configuration(
                    "the evaluation set \(path) is a CSV of signals, but \(spec.name) takes images of shape "
                        + "\(shape); give a labelled image folder")
            }
            return try Dataset.loadCSV(path, sampleLength: shape[1], channels: shape[0], classNames: spec.classes)
        }
        guard shape.count == 3 else {
            throw AggregatorError.configuration(
                "the evaluation set \(path) is an image folder, but \(spec.name) takes signals of shape \(shape); "
                    + "give a signal CSV (*.csv)")
        }
        return try Dataset.loadFolder(
            path, height: shape[1], width: shape[2], classNames: spec.classes, skipUnreadable: true
        ).dataset
    }
}
