import GrowdaData
import GrowdaFederation
import GrowdaNN
import GrowdaTensor
import Testing

@testable import GrowdaNode

/// The hostile behaviours robust aggregation is tested against: each changes what a round sends, as said.
@Suite struct HostileBehaviourTests {
    /// A round of `TrainingRoundTests`' tiny model, honest or hostile, and its parameter delta.
    static func delta(_ hostile: HostileBehaviour?) throws -> [Float] {
        var configuration = NodeConfiguration(bundlePath: "-", dataPath: "-", statePath: "-")
        configuration.batchSize = 8
        configuration.hostile = hostile
        let global = try Model(spec: TrainingRoundTests.spec, seed: 1)
        let round = TrainingRound(
            configuration: configuration, global: global, baseVersion: 3, train: TrainingRoundTests.images(40),
            validation: nil)
        let result = try #require(try round.run(interrupt: { false }))
        let flat = FloatBuffer(count: global.parameterCount)
        global.flatten(result.delta, into: flat.buffer)
        return Array(flat.buffer)
    }

    static func norm(_ x: [Float]) -> Float { x.map { $0 * $0 }.reduce(0, +).squareRoot() }

    @Test func parsesWhatTheFlagAccepts() {
        #expect(HostileBehaviour("scale=-10") == .scale(-10))
        #expect(HostileBehaviour("scale=2.5") == .scale(2.5))
        #expect(HostileBehaviour("random") == .random && HostileBehaviour("label-flip") == .labelFlip)
        for bad in ["scale=1", "scale=nan", "scale=", "flip", ""] { #expect(HostileBehaviour(bad) == nil, "\(bad)") }
        #expect(HostileBehaviour.scale(-10).description == "scale=-10")
        #expect(HostileBehaviour(HostileBehaviour.scale(0.5).description) == .scale(0.5))
    }

    @Test func scaleSendsFTimesTheHonestDelta() throws {
        let honest = try Self.delta(nil)
        let hostile = try Self.delta(.scale(-10))
        let worst = zip(honest, hostile).map { abs($1 + 10 * $0) }.max() ?? 0
        print("scale=-10: max |hostile + 10 · honest| \(worst), honest norm \(Self.norm(honest))")
        #expect(Self.norm(honest) > 0 && worst <= 1e-4 * Self.norm(honest) * 10)
    }

    @Test func randomSendsNoiseOfTheHonestNorm() throws {
        let honest = try Self.delta(nil)
        let noise = try Self.delta(.random)
        let (a, b) = (Self.norm(honest), Self.norm(noise))
        let cosine = zip(honest, noise).map { $0 * $1 }.reduce(0, +) / (a * b)
        print("random: norms \(a) vs \(b), cosine with the honest delta \(cosine)")
        #expect(abs(a - b) <= 1e-3 * a)
        #expect(abs(cosine) < 0.5)
        #expect(try Self.delta(.random) == noise)  // seeded by the node's seed and the version
    }

    @Test func labelFlipTrainsOnPermutedLabels() throws {
        let data = TrainingRoundTests.images(6)
        let flipped = HostileBehaviour.labelFlip.trainingData(data)
        #expect(flipped.labels == data.labels.map { 1 - $0 })
        #expect(HostileBehaviour.scale(2).trainingData(data).labels == data.labels)
        let honest = try Self.delta(nil)
        let hostile = try Self.delta(.labelFlip)
        #expect(honest != hostile && Self.norm(hostile) > 0)
    }
}
