import GrowdaTensor
import Testing

@testable import GrowdaNN

/// The gradient with respect to the model's input (layer 0's input gradient, which training never computes),
/// from an inner layer's output: what feature inversion uses.
@Suite struct InputGradientTests {
    /// Conv (padded), ReLU, pool, conv, ReLU, pool, flatten, dense: the reference models' shape, small.
    static let spec = ModelSpec(
        name: "input-gradient", inputShape: [1, 10, 10], classes: ["a", "b"],
        layers: [
            .conv2d(filters: 3, kernel: 3, stride: 1, padding: 1), .relu, .maxPool2d(size: 2, stride: 2),
            .conv2d(filters: 4, kernel: 3), .relu, .maxPool2d(size: 2, stride: 2), .flatten, .dense(units: 5), .relu,
            .dense(units: 2),
        ])

    /// s = Σ r·(output of layer `top`) for two samples; ∂s/∂x from the engine against central differences.
    @Test(arguments: [6, 9])
    func inputGradientMatchesFiniteDifferences(top: Int) throws {
        let model = try Model(spec: Self.spec, seed: 4)
        let batch = 2, size = model.inputSize, outSize = model.layers[top].outputSize
        var rng = SeededGenerator(seed: 7)
        var x = (0..<(batch * size)).map { _ in rng.nextUnit() }
        let r = (0..<(batch * outSize)).map { _ in rng.gaussian() }
        let ws = Workspace(model: model, maxBatch: batch, gradients: .activations)

        func score() -> Double {
            ws.input.scalars.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: x) }
            let y = model.forward(ws, batch: batch, mode: .inference, through: top)
            return zip(y, r).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        _ = score()
        let analytic = Array(r.withUnsafeBufferPointer {
            model.backward(ws, batch: batch, outputGradient: $0.baseAddress!, ofLayer: top)
        })
        #expect(analytic.count == batch * size)

        let epsilon: Float = 1e-3
        var worst = 0.0
        for i in stride(from: 0, to: batch * size, by: 3) {
            let saved = x[i]
            x[i] = saved + epsilon
            let plus = score()
            x[i] = saved - epsilon
            let minus = score()
            x[i] = saved
            let numeric = (plus - minus) / (2 * Double(epsilon))
            worst = max(worst, abs(numeric - Double(analytic[i])) / max(1, abs(numeric)))
        }
        print("input gradient from layer \(top): max |diff| \(worst) over \(batch * size / 3) inputs")
        #expect(worst < 2e-2)
        #expect(analytic.contains { $0 != 0 })
    }

    /// Stopping the forward pass at a layer gives the same values the full pass leaves there, and the
    /// training backward (no input gradient) is unchanged by the new path.
    @Test func forwardThroughALayerMatchesTheFullPass() throws {
        let model = try Model(spec: Self.spec, seed: 5)
        let data = InMemorySamples.random(count: 3, sampleShape: [1, 10, 10], classes: 2, seed: 2)
        let ws = Workspace(model: model, maxBatch: 3)
        var fill = SeededGenerator(seed: 1)
        data.fillBatch(indices: [0, 1, 2][...], into: &ws.input, labels: &ws.labels, rng: &fill)
        let partial = Array(model.forward(ws, batch: 3, mode: .inference, through: 6))
        _ = model.forward(ws, batch: 3, mode: .inference)
        let full = Array(UnsafeBufferPointer(start: ws.outputs[6].pointer, count: 3 * model.layers[6].outputSize))
        #expect(partial == full)
    }
}
