import Dispatch
import GrowdaData
import GrowdaFederation
import GrowdaNN
import GrowdaTensor
import GrowdaWire

/// One round of local training, apart from the network: from a global model and the local data to the
/// delta an update carries, with the number of samples it was trained on and its metrics.
///
/// The agent answers the network between steps through `interrupt`. A round that does not run all its
/// epochs produces nothing: an update claiming the full sample count for a part of an epoch would be
/// weighted wrongly, so a stopped round returns nil and an `interrupt` that throws ends the round with that
/// error (nothing to send either way).
struct TrainingRound {
    /// What a finished round produced.
    struct Result {
        /// The trained parameters minus the global ones.
        let delta: WireTensors
        /// The samples one epoch trained on (every sample of `train`).
        let sampleCount: Int
        /// train_loss, train_accuracy, train_seconds, and val_accuracy/val_auc with validation data.
        let metrics: [String: Double]
        /// The last epoch's statistics.
        let stats: Trainer.Stats
        /// DP-SGD steps taken (0 without DP-SGD) and their Poisson sampling rate: what the ledger composes.
        let privateSteps: Int, samplingRate: Double
        /// The delta's L2 norm before update-level clipping (nil without it).
        let normBeforeClip: Double?
    }

    let configuration: NodeConfiguration
    /// The global model the round starts from (not changed).
    let global: Model
    /// The version of `global` (seeds the round, so two rounds from one version train alike).
    let baseVersion: UInt64
    let train: Dataset
    let validation: Dataset?
    /// The federation's privacy policy for this version (nil: none).
    var privacy: PrivacyPolicy? = nil

    /// Trains `configuration.localEpochs` epochs. `interrupt` runs between steps: true stops the round (nil
    /// is returned), a throw ends it with that error. `step` gets each step's mean seconds (stragglers).
    func run(interrupt: @escaping () throws -> Bool, step: @escaping (Double) -> Void = { _ in }) throws -> Result? {
        let working = try Model(spec: global.spec)
        working.parameters.assign(global.parameters.buffer)
        working.state.assign(global.state.buffer)
        let train = configuration.hostile?.trainingData(self.train) ?? self.train  // label-flip's permuted labels
        let weights =
            configuration.classWeights ? SoftmaxCrossEntropy.balancedWeights(classCounts: train.classCounts) : nil
        let trainer = Trainer(
            model: working, optimizer: configuration.optimizerConfig, batchSize: configuration.batchSize,
            threads: configuration.threads, classWeights: weights, labelSmoothing: configuration.labelSmoothing,
            seed: configuration.seed &+ baseVersion, privacy: privacy?.dpSGD)
        let source = AugmentedDataset(train, augmenter: configuration.augment ? .standard : nil)
        let start = DispatchTime.now().uptimeNanoseconds
        var stats = Trainer.Stats(loss: 0, accuracy: 0, samples: 0, seconds: 0)
        var failure: (any Error)?
        var stopped = false
        for _ in 0..<configuration.localEpochs {
            stats = trainer.trainEpoch(
                source,
                shouldStop: {
                    do {
                        stopped = try interrupt()
                    } catch {
                        failure = error
                        stopped = true
                    }
                    return stopped
                }
            ) { progress in step(progress.stats.seconds / Double(progress.step)) }
            if let failure { throw failure }
            if stopped { return nil }
        }
        // Update-level protection: clip the whole delta and add noise, in the working model's parameters
        // (so the validation figures below are those of the model the update describes).
        var normBeforeClip: Double?
        if let update = privacy?.update {
            let n = working.parameterCount
            let delta = FloatBuffer(count: n)
            delta.pointer.update(from: working.parameters.pointer, count: n)
            BLAS.axpy(count: n, alpha: -1, global.parameters.pointer, delta.pointer)
            var noise = NoiseSource.secure
            normBeforeClip = update.apply(delta.pointer, count: n, source: &noise, threads: configuration.threads)
            working.parameters.pointer.update(from: global.parameters.pointer, count: n)
            BLAS.axpy(count: n, alpha: 1, delta.pointer, working.parameters.pointer)
        }
        // A hostile node (tests of robust aggregation) sends its corrupted delta instead.
        configuration.hostile?.corrupt(
            trained: working.parameters.pointer, global: global.parameters.pointer, count: working.parameterCount,
            seed: configuration.seed &+ baseVersion)
        var metrics: [String: Double] = [
            "train_loss": stats.loss, "train_accuracy": stats.accuracy,
            "train_seconds": Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
        ]
        if let validation, validation.count > 0 {
            let probs = Predictor(model: working, threads: configuration.threads).probabilities(validation)
            let m = ClassificationMetrics(
                probabilities: probs, labels: validation.labels, classes: validation.classNames)
            metrics["val_accuracy"] = m.accuracy
            if let auc = m.auc { metrics["val_auc"] = auc }
        }
        return Result(
            delta: try working.delta(from: global.parameters, state: global.state), sampleCount: train.count,
            metrics: metrics, stats: stats,
            privateSteps: trainer.privateSteps,
            samplingRate: privacy?.dpSGD?.rate(batchSize: configuration.batchSize, count: train.count)
                ?? DPSGD.samplingRate(batchSize: configuration.batchSize, count: train.count),
            normBeforeClip: normBeforeClip)
    }
}
