import GrowdaTensor
import Testing

@testable import GrowdaNN

@Suite("Convolution fast path against the naive loop")
struct ConvolutionTests {
    @Test(arguments: [
        ([1, 28, 28], 32, 3, 3, 1, 0), ([32, 13, 13], 64, 3, 3, 1, 0), ([3, 9, 8], 4, 3, 3, 2, 1),
        ([4, 5, 5], 6, 1, 1, 1, 0), ([2, 1, 40], 5, 1, 5, 2, 2),
    ])
    func im2colGemmMatchesNaive(shape: [Int], filters: Int, kh: Int, kw: Int, stride: Int, pad: Int) throws {
        let conv = try Conv2D(
            inputShape: shape, filters: filters, kernelH: kh, kernelW: kw, stride: stride, padding: pad)
        var rng = SeededGenerator(seed: 11)
        let batch = 3
        let x = (0..<(batch * conv.inputSize)).map { _ in rng.gaussian() }
        let params = (0..<conv.parameterCount).map { _ in rng.gaussian() * 0.3 }
        var fast = [Float](repeating: 0, count: batch * conv.outputSize), slow = fast
        var state: [Float] = [0]
        conv.forward(
            x, &fast, batch: batch, params: params, state: &state, cache: conv.makeCache(maxBatch: batch),
            mode: .inference, rng: &rng)
        conv.naiveForward(x, &slow, batch: batch, params: params)
        let maxDiff = zip(fast, slow).map { abs($0 - $1) }.max() ?? 0
        print("conv \(shape) f\(filters) k\(kh)x\(kw) s\(stride) p\(pad): max |diff| = \(maxDiff)")
        #expect(maxDiff < 1e-4)
    }

    /// A 1×1 window over a 2-D map strides both ways (a residual block's projection shortcut); only a 1×k
    /// window over a map of height 1 is a 1-D convolution that strides along the width alone.
    @Test func pointwiseStrideAppliesBothWays() throws {
        let conv = try Conv2D(inputShape: [4, 7, 7], filters: 3, kernelH: 1, kernelW: 1, stride: 2, padding: 0)
        #expect(conv.outputShape == [3, 4, 4])
        let signal = try Conv2D(inputShape: [2, 1, 40], filters: 5, kernelH: 1, kernelW: 5, stride: 2, padding: 2)
        #expect(signal.outputShape == [5, 1, 20])
        var rng = SeededGenerator(seed: 2)
        let x = (0..<(2 * conv.inputSize)).map { _ in rng.gaussian() }
        let params = (0..<conv.parameterCount).map { _ in rng.gaussian() }
        var fast = [Float](repeating: 0, count: 2 * conv.outputSize), slow = fast
        var state: [Float] = [0]
        conv.forward(
            x, &fast, batch: 2, params: params, state: &state, cache: conv.makeCache(maxBatch: 2), mode: .inference,
            rng: &rng)
        conv.naiveForward(x, &slow, batch: 2, params: params)
        #expect(zip(fast, slow).map { abs($0 - $1) }.max()! < 1e-4)
        // Output (0, 1, 1) reads input (·, 2, 2).
        var expected = params[12]  // bias of filter 0, after its 3 × 4 weights
        for c in 0..<4 { expected += params[c] * x[c * 49 + 16] }
        #expect(abs(fast[4 + 1] - expected) < 1e-4)
    }

    @Test func referenceModelSizes() throws {
        #expect(try Model(reference: "small28", classes: ["normal", "pneumonia"]).parameterCount == 224_002)
        #expect(try Model(reference: "xray128", classes: ["bacterial", "normal", "viral"]).parameterCount == 3_304_451)
        let ecg = try Model(reference: "ecg187", classes: ["N", "V"])
        #expect(ecg.layers.last!.outputShape == [2])
        #expect(throws: ModelError.unknownModel("resnet")) { try Model(reference: "resnet", classes: ["a"]) }
    }

    @Test func parameterViewsTileTheBuffer() throws {
        let model = try Model(reference: "small28", classes: ["a", "b"])
        var next = 0
        for view in model.parameterViews {
            #expect(view.range.lowerBound == next)
            #expect(view.range.count == view.shape.reduce(1, *))
            next = view.range.upperBound
        }
        #expect(next == model.parameterCount)
        #expect(model.parameterViews.map(\.name).prefix(2) == ["layers.0.weight", "layers.0.bias"])
        #expect(model.parameterViews[0].shape == [32, 1, 3, 3])
    }
}
