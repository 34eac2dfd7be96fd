import Foundation
import GrowdaData
import GrowdaTestKit
import Testing

@testable import GrowdaCLI

/// The simulate report says what its figures mean: the data, the evaluation set, and a centralized
/// reference on the same images beside the federation's best and final figures.
@Suite struct SimulateReportTests {
    static func report(reference: SimulateCommand.Reference?) -> SimulateCommand.Report {
        SimulateCommand.Report(
            mode: "async", model: "small28", hospitals: 4, wall_seconds: 60,
            versions: [
                .init(version: 0, seconds: 0, accuracy: 0.33, auc: 0.5, updates: 0, mean_staleness: nil),
                .init(version: 10, seconds: 30, accuracy: 0.70, auc: 0.874, updates: 4, mean_staleness: 0.5),
                .init(version: 12, seconds: 60, accuracy: 0.66, auc: 0.861, updates: 4, mean_staleness: 0.5),
            ],
            accepted: 48, rejected: [:], queue_dropped: 0, staleness_p50: 1, staleness_p95: 1, staleness_max: 2,
            bytes_received: 40 << 20, aggregator_resident_bytes: 90 << 20, aggregator_peak_resident_bytes: 95 << 20,
            data: "synthetic chest X-rays, 300 per class (bacterial/normal/viral)", eval_images: 225,
            reference: reference, seconds_to_target_auc: 30,
            target_auc: SimulateCommand.target(explicit: nil, reference: reference?.auc), best_version: 10,
            best_accuracy: 0.70, best_auc: 0.874, best_seconds: 30, final_accuracy: 0.66, final_auc: 0.861,
            final_model: "final.safetensors", node_exits: [:])
    }

    @Test func theReportShowsTheReferenceBesideTheBestAndFinalFigures() {
        let reference = SimulateCommand.Reference(epochs: 20, images: 900, accuracy: 0.71, auc: 0.886, seconds: 14)
        let text = SimulateCommand.text(Self.report(reference: reference))
        #expect(text.contains("scored on 225 images that no hospital trained on"))
        #expect(text.contains("centralized reference (all 900 images in one place, 20 epochs, 14 s): accuracy 0.7100, AUC 0.8860"))
        #expect(text.contains("federated, best: v10 after 30 s, accuracy 0.7000, AUC 0.8740 (0.012 below the reference)"))
        #expect(text.contains("federated, final: v12, accuracy 0.6600, AUC 0.8610 (0.025 below the reference)"))
        #expect(text.contains("AUC ≥ 0.866 (the reference's − 0.02) after 30.0 s"))
        #expect(!text.contains("0.97"))
    }

    @Test func theTargetIsTheReferenceLessTwoHundredthsUnlessGiven() {
        #expect(abs(SimulateCommand.target(explicit: nil, reference: 0.886) - 0.866) < 1e-12)
        #expect(SimulateCommand.target(explicit: 0.95, reference: 0.886) == 0.95)
        #expect(SimulateCommand.target(explicit: nil, reference: nil) == 0.9)
        #expect(SimulateCommand.target(explicit: nil, reference: 0.51) == 0.5)
        let without = SimulateCommand.text(Self.report(reference: nil))
        #expect(!without.contains("centralized") && without.contains("AUC ≥ 0.900 after 30.0 s"))
    }

    @Test func theReferenceTrainsOnAllImagesAndScoresTheEvaluationSet() throws {
        let dir = try TemporaryDirectory(prefix: "growda-reference")
        _ = try SyntheticXray.write(perClass: 12, size: 28, seed: 1, to: dir.path("train"))
        _ = try SyntheticXray.write(perClass: 6, size: 28, seed: 2, to: dir.path("eval"))
        var lines: [String] = []
        let reference = try SimulateCommand.centralizedReference(
            model: "small28", train: .path(dir.path("train")), eval: dir.path("eval"), epochs: 2, batch: 8,
            optimizer: .adam(learningRate: 1e-3, weightDecay: 0.05), augment: true, labelSmoothing: 0.1, seed: 1,
            progress: { lines.append($0) })
        #expect(reference.images == 36 && reference.epochs == 2)
        #expect((0...1).contains(reference.accuracy) && reference.auc.map { (0...1).contains($0) } == true)
        #expect(lines == ["centralized reference: epoch 1/2 on 36 images", "centralized reference: epoch 2/2 on 36 images"])
    }
}
