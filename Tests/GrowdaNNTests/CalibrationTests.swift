import Foundation
import GrowdaSafetensors
import GrowdaTensor
import GrowdaTestKit
import Testing

@testable import GrowdaNN

/// Expected calibration error, temperature scaling and its place in checkpoints and predictions.
@Suite struct CalibrationTests {
    @Test func eceIsTheWeightedGapBetweenConfidenceAndAccuracy() throws {
        // Two samples at confidence 0.9 (one right, one wrong) and two at 0.6 (both right):
        // bins (0.867, 0.933] and (0.533, 0.6]: |0.5 − 0.9|·½ + |1 − 0.6|·½ = 0.4.
        let probabilities: [Float] = [0.9, 0.1, 0.9, 0.1, 0.4, 0.6, 0.6, 0.4]
        let ece = try #require(
            Calibration.expectedCalibrationError(probabilities: probabilities, labels: [0, 1, 1, 0], classes: 2))
        #expect(abs(ece - 0.4) < 1e-6, "\(ece)")
        // Perfect confidence on right answers is perfectly calibrated.
        let sure = Calibration.expectedCalibrationError(probabilities: [1, 0, 0, 1], labels: [0, 1], classes: 2)
        #expect(sure == 0)
        #expect(Calibration.expectedCalibrationError(probabilities: [], labels: [], classes: 2) == nil)
    }

    /// Labels drawn from known probabilities, logits made 4× too sharp: the fitted temperature undoes that.
    @Test func fittedTemperatureRecoversTheOverconfidence() {
        var rng = SeededGenerator(seed: 7)
        var logits: [Float] = [], labels: [Int32] = []
        for _ in 0..<4000 {
            let z: [Float] = [rng.uniform(-2, 2), rng.uniform(-2, 2), rng.uniform(-2, 2)]
            let p = Calibration.probabilities(logits: z, classes: 3, temperature: 1)
            let u = rng.uniform(0, 1)
            labels.append(u < p[0] ? 0 : u < p[0] + p[1] ? 1 : 2)
            logits += z.map { 4 * $0 }
        }
        let t = Calibration.fitTemperature(logits: logits, labels: labels, classes: 3)
        #expect(abs(t - 4) < 0.4, "\(t)")
        let at = { (t: Float) in
            Calibration.negativeLogLikelihood(logits: logits, labels: labels, classes: 3, temperature: t)
        }
        #expect(at(t) < at(t * 0.8) && at(t) < at(t * 1.25))
        let before = Calibration.expectedCalibrationError(
            probabilities: Calibration.probabilities(logits: logits, classes: 3, temperature: 1), labels: labels,
            classes: 3)!
        let after = Calibration.expectedCalibrationError(
            probabilities: Calibration.probabilities(logits: logits, classes: 3, temperature: t), labels: labels,
            classes: 3)!
        #expect(after < before / 3, "ECE \(before) → \(after)")
    }

    @Test func predictorAndCheckpointsUseTheTemperature() throws {
        let model = try Model(reference: "small28", classes: ["a", "b"], seed: 3)
        let sample = (0..<784).map { Float($0 % 17) / 17 }
        let plain = Predictor(model: model).probabilities(sample: sample)
        model.temperature = 2.5
        let soft = Predictor(model: model).probabilities(sample: sample)
        // softmax(z / T) for two classes: the log-odds shrink by T.
        let oddsPlain = log(plain[1] / plain[0]), oddsSoft = log(soft[1] / soft[0])
        #expect(abs(oddsSoft - oddsPlain / 2.5) < 1e-4, "\(oddsPlain) \(oddsSoft)")

        let dir = try TemporaryDirectory()
        try model.save(to: dir.path("m.safetensors"))
        #expect(try Model(checkpoint: dir.path("m.safetensors")).temperature == 2.5)
        model.temperature = 1
        try model.save(to: dir.path("plain.safetensors"))
        let file = try SafetensorsFile(contentsOf: dir.path("plain.safetensors"))
        #expect(file.metadata[Model.temperatureKey] == nil)

        // A checkpoint whose temperature is not a usable number is refused, naming the key (the header's
        // "2.5" patched to "0.0", the same length, so the file stays well formed).
        model.temperature = 2.5
        try model.save(to: dir.path("bad.safetensors"))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir.path("bad.safetensors"))))
        let needle = Array("\"2.5\"".utf8)
        let at = try #require((0...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle })
        bytes.replaceSubrange(at..<(at + needle.count), with: Array("\"0.0\"".utf8))
        try Data(bytes).write(to: URL(fileURLWithPath: dir.path("bad.safetensors")))
        #expect {
            _ = try Model(checkpoint: dir.path("bad.safetensors"))
        } throws: { "\($0)".contains(Model.temperatureKey) }
    }

    /// With label smoothing the gradient with respect to the logits is still that of the loss reported.
    @Test func labelSmoothingGradientMatchesFiniteDifferences() {
        let loss = SoftmaxCrossEntropy(classWeights: [1, 2, 0.5], labelSmoothing: 0.1)
        var logits: [Float] = [0.3, -1.2, 2.0, 1.1, 0.4, -0.7]
        let labels: [Int32] = [2, 0]
        let total = loss.totalWeight(labels)
        func value(_ z: [Float]) -> Double {
            var d = [Float](repeating: 0, count: 6)
            return loss.lossAndGradient(
                logits: z, labels: labels, batch: 2, classes: 3, totalWeight: total, dLogits: &d
            ).weightedLoss / Double(total)
        }
        var grad = [Float](repeating: 0, count: 6)
        _ = loss.lossAndGradient(
            logits: logits, labels: labels, batch: 2, classes: 3, totalWeight: total, dLogits: &grad)
        for i in 0..<6 {
            let h: Float = 1e-2
            let x = logits[i]
            logits[i] = x + h
            let up = value(logits)
            logits[i] = x - h
            let down = value(logits)
            logits[i] = x
            #expect(abs((up - down) / Double(2 * h) - Double(grad[i])) < 1e-3, "logit \(i)")
        }
        // The smoothed target still sums to one: the gradient of each row sums to zero.
        #expect(abs(grad[0..<3].reduce(0, +)) < 1e-6 && abs(grad[3..<6].reduce(0, +)) < 1e-6)
    }

    @Test func thresholdRules() {
        // Negatives 0.1 0.2 0.3 0.4, positives 0.35 0.6 0.7 0.8.
        let p1: [Float] = [0.1, 0.2, 0.3, 0.4, 0.35, 0.6, 0.7, 0.8]
        let probs = p1.flatMap { [1 - $0, $0] }
        let labels: [Int32] = [0, 0, 0, 0, 1, 1, 1, 1]
        // At 0.6: sensitivity 3/4, specificity 1; at 0.4: 3/4 and 3/4 (the equal error point); at 0.35: 1 and 3/4.
        #expect(ThresholdRule.equalError.threshold(probabilities: probs, labels: labels) == 0.4)
        #expect(ThresholdRule.sensitivity(1).threshold(probabilities: probs, labels: labels) == 0.35)
        #expect(ThresholdRule.sensitivity(0.5).threshold(probabilities: probs, labels: labels) == 0.7)
        #expect(ThresholdRule.youden.threshold(probabilities: probs, labels: labels) == 0.6)
        #expect(ThresholdRule.equalError.threshold(probabilities: [0.5, 0.5], labels: [1]) == 0.5)
        #expect(ThresholdRule(parsing: "sensitivity:0.95") == .sensitivity(0.95))
        #expect(ThresholdRule(parsing: "eer") == .equalError)
        for bad in ["sensitivity:0", "sensitivity:1.2", "sensitivity", "best"] { #expect(ThresholdRule(parsing: bad) == nil) }
        #expect(ThresholdRule.sensitivity(0.9).description == "sensitivity:0.9")
    }

    @Test func warmUpThenCosine() {
        let s = LearningRateSchedule(base: 0.1, warmupSteps: 4, totalSteps: 14, cosine: true)
        #expect(abs(s.rate(atStep: 1) - 0.025) < 1e-7)
        #expect(abs(s.rate(atStep: 4) - 0.1) < 1e-7)
        #expect(abs(s.rate(atStep: 5) - 0.1) < 1e-7)
        #expect(s.rate(atStep: 10) < s.rate(atStep: 6))
        #expect(s.rate(atStep: 14) < 0.01)
        let flat = LearningRateSchedule(base: 0.1, totalSteps: 10)
        #expect(flat.rate(atStep: 1) == 0.1 && flat.rate(atStep: 10) == 0.1)
    }

    @Test func trainerFollowsItsSchedule() throws {
        let model = try Model(reference: "small28", classes: ["a", "b"], seed: 1)
        let trainer = Trainer(model: model, optimizer: .sgd(learningRate: 1), batchSize: 4)
        trainer.schedule = LearningRateSchedule(base: 0.2, warmupSteps: 2, totalSteps: 4)
        let data = InMemorySamples(
            sampleShape: [1, 28, 28], values: (0..<(4 * 784)).map { Float($0 % 5) / 5 }, labels: [0, 1, 0, 1],
            classNames: ["a", "b"])
        trainer.step(data, indices: [0, 1, 2, 3][...])
        #expect(abs(trainer.optimizer.learningRate - 0.1) < 1e-7)
        trainer.step(data, indices: [0, 1, 2, 3][...])
        #expect(abs(trainer.optimizer.learningRate - 0.2) < 1e-7)
        #expect(trainer.stepsPerEpoch(count: 9) == 3)
    }
}
