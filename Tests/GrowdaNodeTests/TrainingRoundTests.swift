import GrowdaData
import GrowdaNN
import Testing

@testable import GrowdaNode

/// One local round apart from the network: it sends the true sample count or nothing.
@Suite struct TrainingRoundTests {
    struct PumpFailed: Error {}

    static let spec = ModelSpec(
        name: "tiny", inputShape: [1, 8, 8], classes: ["empty", "square"],
        layers: [.conv2d(filters: 2, kernel: 3), .relu, .flatten, .dense(units: 2)])

    /// `count` 8×8 images, every second one with a bright square.
    static func images(_ count: Int) -> Dataset {
        var bytes: [UInt8] = []
        for i in 0..<count {
            var image = [UInt8](repeating: 20, count: 64)
            if i % 2 == 1 { for r in 2..<5 { for c in 2..<5 { image[r * 8 + c] = 230 } } }
            bytes += image
        }
        return Dataset(
            classNames: spec.classes, sampleShape: [1, 8, 8], bytes: bytes,
            labels: (0..<count).map { Int32($0 % 2) })
    }

    /// 40 samples in batches of 8: five steps an epoch, `epochs` epochs.
    static func round(epochs: Int, validation: Dataset? = nil) throws -> TrainingRound {
        var configuration = NodeConfiguration(bundlePath: "-", dataPath: "-", statePath: "-")
        configuration.batchSize = 8
        configuration.localEpochs = epochs
        return TrainingRound(
            configuration: configuration, global: try Model(spec: spec, seed: 1), baseVersion: 3,
            train: images(40), validation: validation)
    }

    /// A finished round reports every sample it trained on, a delta that moved, and its metrics; the
    /// global model it started from is unchanged.
    @Test func finishedRoundCountsEverySample() throws {
        let round = try Self.round(epochs: 2, validation: Self.images(10))
        let before = round.global.parameters.array
        var checks = 0
        let result = try #require(try round.run(interrupt: { checks += 1; return false }))
        #expect(result.sampleCount == 40)
        #expect(checks >= 10)  // answered between the steps of both epochs
        #expect(result.delta.tensors.contains { $0.values.contains { $0 != 0 } })
        #expect(Set(result.metrics.keys).isSuperset(of: ["train_loss", "train_accuracy", "train_seconds", "val_accuracy"]))
        #expect(round.global.parameters.array == before)
    }

    /// Under a policy the round trains with DP-SGD (Poisson steps counted for the ledger) and clips its whole
    /// delta to the update-level norm before it is sent.
    @Test func privacyPolicyClipsTheDeltaAndCountsSteps() throws {
        var round = try Self.round(epochs: 2)
        round.privacy = PrivacyPolicy(
            dpSGD: DPSGD(clipNorm: 1, noiseMultiplier: 0.5), update: UpdatePrivacy(clipNorm: 0.01, noiseMultiplier: 0))
        let result = try #require(try round.run(interrupt: { false }))
        let norm = result.delta.tensors.reduce(0.0) { sum, t in
            sum + t.values.reduce(0.0) { $0 + Double($1) * Double($1) }
        }.squareRoot()
        #expect(abs(norm - 0.01) < 1e-4, "delta norm \(norm)")
        #expect((result.normBeforeClip ?? 0) > 0.01)
        #expect(result.privateSteps == 2 * 5 && result.samplingRate == 8.0 / 40)

        var plain = try Self.round(epochs: 1)
        plain.privacy = nil
        let open = try #require(try plain.run(interrupt: { false }))
        #expect(open.privateSteps == 0 && open.normBeforeClip == nil)
    }

    /// With batch norm the update carries the running statistics' deltas beside the parameters' (their
    /// change over the round, from the global model's), and the global model keeps its own.
    @Test func anUpdateCarriesStateDeltas() throws {
        var configuration = NodeConfiguration(bundlePath: "-", dataPath: "-", statePath: "-")
        configuration.batchSize = 8
        configuration.localEpochs = 1
        let spec = ModelSpec(
            name: "tiny-bn", inputShape: [1, 8, 8], classes: Self.spec.classes,
            layers: [.conv2d(filters: 2, kernel: 3), .batchNorm, .relu, .flatten, .dense(units: 2)])
        let global = try Model(spec: spec, seed: 1)
        let round = TrainingRound(
            configuration: configuration, global: global, baseVersion: 0, train: Self.images(40), validation: nil)
        let result = try #require(try round.run(interrupt: { false }))
        #expect(Set(result.delta.names) == Set((global.parameterViews + global.stateViews).map(\.name)))
        #expect(global.state.array == [0, 0, 1, 1])
        let mean = try #require(result.delta.withFloats("layers.1.running_mean") { Array($0) })
        let variance = try #require(result.delta.withFloats("layers.1.running_var") { Array($0) })
        print("state deltas after one local epoch: mean \(mean), var \(variance)")
        #expect(mean.allSatisfy { $0.isFinite && $0 != 0 })
        #expect(variance.allSatisfy { $0.isFinite && $0 != 0 && $0 > -1 })  // a variance stays positive
        // A stateless model's update has its parameter tensors only.
        let plain = try #require(try Self.round(epochs: 1).run(interrupt: { false }))
        #expect(plain.delta.names.count == 4)
    }

    /// Stopped part way (the node is stopping), the round produces nothing to send.
    @Test func stoppedRoundProducesNothing() throws {
        let round = try Self.round(epochs: 2)
        var checks = 0
        let result = try round.run(interrupt: { checks += 1; return checks == 7 })
        #expect(result == nil)
        #expect(checks == 7)
    }

    /// The network failing during training (the pump throws) ends the round with that error, in the
    /// first epoch or a later one: no update goes out claiming samples it did not train on.
    @Test(arguments: [2, 8])
    func pumpFailureEndsTheRound(failAt: Int) throws {
        let round = try Self.round(epochs: 2)
        var checks = 0
        #expect(throws: PumpFailed.self) {
            _ = try round.run(interrupt: {
                checks += 1
                if checks == failAt { throw PumpFailed() }
                return false
            })
        }
        #expect(checks == failAt)
    }
}
