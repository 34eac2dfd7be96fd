import Foundation
import GrowdaData
import GrowdaNN

extension SimulateCommand {
    /// What the centralized reference trains on: a path to load, or samples already loaded.
    enum TrainingSamples {
        case path(String)
        case loaded(Dataset)
    }

    /// What a centralized run reaches on the same data: every hospital's samples trained in one place, then
    /// scored on the same evaluation set as the federation's versions. It is the ceiling federated training
    /// approaches (the hospitals hold the same images between them, split unevenly), so a report shows the
    /// federation's figures beside it rather than beside an absolute target.
    struct Reference: Codable, Equatable {
        /// Passes over the training images.
        var epochs: Int
        /// Training samples (all hospitals' together; images or beats).
        var images: Int
        /// The last epoch's figures on the evaluation set (no epoch is chosen by that set).
        var accuracy: Double
        var auc: Double?
        /// How long it took.
        var seconds: Double
    }

    /// Trains `model` on `train` (a folder or signal CSV, or samples loaded) for `epochs` with the hospitals'
    /// recipe (batch size, optimizer, augmentation, label smoothing), and scores the last epoch on `eval`.
    static func centralizedReference(
        model: String, train samples: TrainingSamples, eval evalPath: String, epochs: Int, batch: Int,
        optimizer: OptimizerConfig, augment: Bool, labelSmoothing: Float, seed: UInt64, progress: (String) -> Void
    ) throws -> Reference {
        let start = Date()
        let probe = try ModelSpec.reference(model, classes: ["?"]).orThrow()
        let train: Dataset
        switch samples {
        case .path(let path):
            train = try SampleLoading.load(path, inputShape: probe.inputShape, classNames: nil, quiet: true)
        case .loaded(let dataset):
            // The hospitals' beats as loaded for the split; a model that reads the rhythm gets its channel here.
            train = probe.inputShape.first == 2 ? try dataset.addingRhythmChannel(origin: "the hospitals' beats") : dataset
        }
        let eval = try SampleLoading.load(
            evalPath, inputShape: probe.inputShape, classNames: train.classNames, quiet: true)
        let net = try Model(reference: model, classes: train.classNames, seed: seed)
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let trainer = Trainer(
            model: net, optimizer: optimizer, batchSize: batch, threads: threads, labelSmoothing: labelSmoothing,
            seed: seed)
        let source = AugmentedDataset(train, augmenter: augment ? .standard : nil)
        for epoch in 1...epochs {
            progress(
                "centralized reference: epoch \(epoch)/\(epochs) on \(train.count) "
                    + (train.holdsImages ? "images" : "samples"))
            _ = trainer.trainEpoch(source, progress: { _ in })
        }
        let probabilities = Predictor(model: net, threads: threads).probabilities(eval)
        let metrics = ClassificationMetrics(probabilities: probabilities, labels: eval.labels, classes: eval.classNames)
        return Reference(
            epochs: epochs, images: train.count, accuracy: metrics.accuracy, auc: metrics.auc,
            seconds: Date().timeIntervalSince(start))
    }
}
