import GrowdaTensor
import Testing

@testable import GrowdaNN

/// A finite-difference gradient check for every layer (see `GradientCheck`).
@Suite("Layer gradients against finite differences")
struct LayerGradientTests {
    static let tolerance = 5e-3

    func check(_ name: String, _ gc: GradientCheck) {
        let report = gc.run()
        print(
            "\(name): max |diff| inputs \(report.maxInputDiff), parameters \(report.maxParamDiff) (\(report.checked) checked)"
        )
        #expect(report.maxInputDiff < Self.tolerance, "\(name) input gradient")
        #expect(report.maxParamDiff < Self.tolerance, "\(name) parameter gradient")
        #expect(report.checked > 0)
    }

    @Test func conv2dPlain() throws {
        check(
            "conv2d 3x3",
            GradientCheck(
                layer: try Conv2D(inputShape: [2, 6, 7], filters: 3, kernelH: 3, kernelW: 3, stride: 1, padding: 0),
                batch: 2))
    }

    @Test func conv2dStridePadding() throws {
        check(
            "conv2d s2 p1",
            GradientCheck(
                layer: try Conv2D(inputShape: [3, 7, 6], filters: 4, kernelH: 3, kernelW: 3, stride: 2, padding: 1),
                batch: 2))
    }

    @Test func conv2dPointwise() throws {
        check(
            "conv2d 1x1",
            GradientCheck(
                layer: try Conv2D(inputShape: [3, 4, 4], filters: 2, kernelH: 1, kernelW: 1, stride: 1, padding: 0),
                batch: 2))
    }

    @Test func conv1d() throws {
        check(
            "conv1d k5 p2",
            GradientCheck(
                layer: try Conv2D(inputShape: [2, 1, 15], filters: 3, kernelH: 1, kernelW: 5, stride: 1, padding: 2),
                batch: 3))
    }

    @Test func maxPool2d() throws {
        check(
            "maxpool 2x2",
            GradientCheck(
                layer: try MaxPool2D(inputShape: [2, 6, 6], sizeH: 2, sizeW: 2, strideH: 2, strideW: 2), batch: 2,
                epsilon: 1e-3))
        check(
            "maxpool 3x3 s2",
            GradientCheck(
                layer: try MaxPool2D(inputShape: [2, 7, 7], sizeH: 3, sizeW: 3, strideH: 2, strideW: 2), batch: 2,
                epsilon: 1e-3))
    }

    @Test func maxPool1d() throws {
        check(
            "maxpool1d",
            GradientCheck(
                layer: try MaxPool2D(inputShape: [2, 1, 9], sizeH: 1, sizeW: 2, strideH: 1, strideW: 2), batch: 2,
                epsilon: 1e-3))
    }

    @Test func dense() throws {
        check("dense", GradientCheck(layer: try Dense(inputShape: [2, 3, 3], units: 5), batch: 4))
    }

    @Test func relu() {
        check("relu", GradientCheck(layer: ReLU(shape: [3, 4, 4]), batch: 2, epsilon: 1e-2, inputMargin: 0.05))
    }

    @Test func dropout() throws {
        check("dropout", GradientCheck(layer: try Dropout(shape: [20], rate: 0.4), batch: 3))
    }

    @Test func batchNorm() throws {
        check("batchnorm (C,H,W)", GradientCheck(layer: try BatchNorm2D(shape: [3, 4, 4]), batch: 3))
        check("batchnorm (C)", GradientCheck(layer: try BatchNorm2D(shape: [6]), batch: 5))
    }

    /// After an inference pass the statistics are constants: backward differentiates that affine map
    /// (what Grad-CAM needs of a batch norm above the last convolution).
    @Test func batchNormInference() throws {
        check(
            "batchnorm inference",
            GradientCheck(layer: try BatchNorm2D(shape: [3, 4, 4]), batch: 3, mode: .inference))
    }

    /// With no `grads` a layer's backward still writes the same input gradient (and skips the rest).
    @Test func inputGradientWithoutParameterGradients() throws {
        let layers: [any Layer] = [
            try Conv2D(inputShape: [2, 6, 7], filters: 3, kernelH: 3, kernelW: 3, stride: 1, padding: 1),
            try Conv2D(inputShape: [3, 4, 4], filters: 2, kernelH: 1, kernelW: 1, stride: 1, padding: 0),
            try Dense(inputShape: [2, 3, 3], units: 5), try BatchNorm2D(shape: [3, 4, 4]),
        ]
        for layer in layers {
            var rng = SeededGenerator(seed: 4)
            let batch = 2
            let x = (0..<(batch * layer.inputSize)).map { _ in rng.gaussian() }
            let params = (0..<layer.parameterCount).map { _ in rng.gaussian() }
            let dy = (0..<(batch * layer.outputSize)).map { _ in rng.gaussian() }
            var state = [Float](repeating: 1, count: max(layer.stateCount, 1))
            let cache = layer.makeCache(maxBatch: batch)
            var y = [Float](repeating: 0, count: batch * layer.outputSize)
            layer.forward(x, &y, batch: batch, params: params, state: &state, cache: cache, mode: .training, rng: &rng)
            var withGrads = [Float](repeating: 0, count: x.count), without = withGrads
            var grads = [Float](repeating: 0, count: layer.parameterCount)
            layer.backward(x, y, dy, &withGrads, batch: batch, params: params, grads: &grads, cache: cache)
            layer.backward(x, y, dy, &without, batch: batch, params: params, grads: nil, cache: cache)
            #expect(withGrads == without, "\(type(of: layer))")
            #expect(grads.contains { $0 != 0 }, "\(type(of: layer)) parameter gradient written when asked")
        }
    }

    @Test func flatten() {
        check("flatten", GradientCheck(layer: Flatten(shape: [2, 3, 3]), batch: 2))
    }

    @Test func globalAveragePool() throws {
        check("global avg pool", GradientCheck(layer: try GlobalAveragePool(shape: [3, 4, 5]), batch: 2))
    }
}
