import GrowdaTensor
import Testing

@testable import GrowdaNN

/// Finite differences through a whole model (workspaces, in-place layers, loss and all), in the
/// training pass: the analytic gradient of the batch loss against central differences.
@Suite("Whole-model gradient")
struct ModelGradientTests {
    @Test func wholeModelMatchesFiniteDifferences() throws {
        let spec = ModelSpec(
            name: "check", inputShape: [1, 9, 9], classes: ["a", "b", "c"],
            layers: [
                .conv2d(filters: 3, kernel: 3, stride: 1, padding: 1), .batchNorm, .relu,
                .maxPool2d(size: 2, stride: 2),
                .conv2d(filters: 4, kernel: 2), .relu, .flatten, .dropout(rate: 0.2), .dense(units: 5), .relu,
                .dense(units: 3),
            ])
        let model = try Model(spec: spec, seed: 3)
        #expect(model.runsInPlace == [false, false, true, false, false, true, false, true, false, true, false])
        let batch = 4
        let data = InMemorySamples.random(count: batch, sampleShape: [1, 9, 9], classes: 3, seed: 8)
        let loss = SoftmaxCrossEntropy(classWeights: [1, 2, 0.5])
        let ws = Workspace(model: model, maxBatch: batch)
        var fillRng = SeededGenerator(seed: 1)
        data.fillBatch(indices: Array(0..<batch)[...], into: &ws.input, labels: &ws.labels, rng: &fillRng)
        let total = loss.totalWeight(ws.labels)

        func lossValue(computeGradient: Bool) -> Double {
            ws.rng = SeededGenerator(seed: 5)  // the same dropout mask every pass
            let logits = model.forward(ws, batch: batch, mode: .training)
            var d = [Float](repeating: 0, count: batch * 3)
            let r = loss.lossAndGradient(
                logits: logits.baseAddress!, labels: ws.labels, batch: batch, classes: 3, totalWeight: total,
                dLogits: &d)
            if computeGradient {
                ws.grads.zero()
                model.backward(ws, batch: batch, dLogits: d)
            }
            return r.weightedLoss / Double(total)
        }
        _ = lossValue(computeGradient: true)
        let analytic = ws.grads.array
        var maxDiff = 0.0
        var pick = SeededGenerator(seed: 2)
        let eps: Float = 1e-3  // small: batch norm and ReLU make the loss curve fast at this scale
        for _ in 0..<60 {
            let i = Int(pick.next() % UInt64(model.parameterCount))
            let saved = model.parameters.pointer[i]
            model.parameters.pointer[i] = saved + eps
            let lp = lossValue(computeGradient: false)
            model.parameters.pointer[i] = saved - eps
            let lm = lossValue(computeGradient: false)
            model.parameters.pointer[i] = saved
            let numeric = (lp - lm) / (2 * Double(eps))
            let diff = abs(numeric - Double(analytic[i])) / max(1, abs(Double(analytic[i])))
            maxDiff = max(maxDiff, diff)
        }
        print("whole model: max |diff| = \(maxDiff) over 60 parameters")
        #expect(maxDiff < 2e-3)
    }
}
