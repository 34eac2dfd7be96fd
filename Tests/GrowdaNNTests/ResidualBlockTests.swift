import Foundation
import GrowdaSafetensors
import GrowdaTensor
import GrowdaTestKit
import Testing

@testable import GrowdaNN

/// A stem convolution with batch norm, an identity block, a projection block, pooling and a dense layer.
private let tinyResidualSpec = ModelSpec(
    name: "tiny-res", inputShape: [1, 8, 8], classes: ["a", "b"],
    layers: [
        .conv2d(filters: 4, kernel: 3, stride: 1, padding: 1), .batchNorm, .relu,
        .residual(filters: 4, stride: 1), .relu, .residual(filters: 6, stride: 2), .relu,
        .globalAvgPool, .dense(units: 2),
    ])

@Suite("Residual block")
struct ResidualBlockTests {
    /// Inputs and every parameter tensor against central differences, in the training pass (batch
    /// statistics), for both shortcuts.
    @Test(arguments: [
        ([4, 5, 5], 4, 1),  // identity shortcut
        ([3, 6, 6], 5, 2),  // projection: stride and channels change
        ([3, 5, 5], 4, 1),  // projection: channels change only
    ])
    func gradientsMatchFiniteDifferences(shape: [Int], filters: Int, stride: Int) throws {
        let block = try ResidualBlock(inputShape: shape, filters: filters, stride: stride)
        #expect((block.projection == nil) == (stride == 1 && shape[0] == filters))
        // A small step: the ReLU inside and three batch norms make the output curve fast.
        let report = GradientCheck(layer: block, batch: 3, epsilon: 2e-3).run(seed: 7)
        print(
            "residual \(shape) f\(filters) s\(stride): max |diff| inputs \(report.maxInputDiff), parameters "
                + "\(report.maxParamDiff) (\(report.checked) checked)")
        #expect(report.maxInputDiff < LayerGradientTests.tolerance)
        #expect(report.maxParamDiff < LayerGradientTests.tolerance)
        #expect(report.checked == 80)
    }

    /// Every parameter tensor of a projection block, checked one by one (the sampled check above may miss a
    /// small tensor such as the shortcut's batch-norm bias).
    @Test func everyTensorOfAProjectionBlock() throws {
        let block = try ResidualBlock(inputShape: [2, 4, 4], filters: 3, stride: 2)
        // Seed 4 keeps bn1's outputs more than ε from the ReLU's kink (seed 3 puts one inside, and the finite
        // difference of that channel then straddles the kink).
        var rng = SeededGenerator(seed: 4)
        let batch = 3
        var x = (0..<(batch * block.inputSize)).map { _ in rng.gaussian() }
        var params = (0..<block.parameterCount).map { _ in 0.5 * rng.gaussian() }
        let r = (0..<(batch * block.outputSize)).map { _ in rng.gaussian() }
        var state = [Float](repeating: 1, count: block.stateCount)
        let cache = block.makeCache(maxBatch: batch)
        func loss() -> Double {
            var y = [Float](repeating: 0, count: batch * block.outputSize)
            var passRng = SeededGenerator(seed: 0)
            block.forward(
                x, &y, batch: batch, params: params, state: &state, cache: cache, mode: .training, rng: &passRng)
            return zip(y, r).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        var y = [Float](repeating: 0, count: batch * block.outputSize)
        var passRng = SeededGenerator(seed: 0)
        block.forward(x, &y, batch: batch, params: params, state: &state, cache: cache, mode: .training, rng: &passRng)
        var dx = [Float](repeating: 0, count: x.count), grads = [Float](repeating: 0, count: params.count)
        block.backward(x, y, r, &dx, batch: batch, params: params, grads: &grads, cache: cache)
        let eps: Float = 2e-3
        /// The central difference in parameter `i` (or input `i`).
        func numeric(_ i: Int, input: Bool = false) -> Double {
            let saved = input ? x[i] : params[i]
            if input { x[i] = saved + eps } else { params[i] = saved + eps }
            let lp = loss()
            if input { x[i] = saved - eps } else { params[i] = saved - eps }
            let lm = loss()
            if input { x[i] = saved } else { params[i] = saved }
            return (lp - lm) / (2 * Double(eps))
        }
        var offset = 0, worst = 0.0
        for decl in block.parameterDecls {
            let n = decl.shape.reduce(1, *)
            var tensorWorst = 0.0
            for i in offset..<(offset + n) {
                let d = numeric(i)
                tensorWorst = max(tensorWorst, abs(d - Double(grads[i])) / max(1, abs(Double(grads[i]))))
            }
            print("residual \(decl.suffix) \(decl.shape): max |diff| \(tensorWorst)")
            worst = max(worst, tensorWorst)
            offset += n
        }
        for i in x.indices {
            let d = numeric(i, input: true)
            worst = max(worst, abs(d - Double(dx[i])) / max(1, abs(Double(dx[i]))))
        }
        #expect(worst < LayerGradientTests.tolerance)
    }

    /// The block's batch norms train on batch statistics: a block is refused by DP-SGD and counted as
    /// mixing samples; its convolutions count as GEMM work.
    @Test func reportsItsNature() throws {
        let block = try ResidualBlock(inputShape: [16, 64, 64], filters: 32, stride: 2)
        #expect(block.outputShape == [32, 32, 32])
        #expect(block.mixesSamples && block.isConvolution)
        let convolutions = 2 * 32 * (16 * 9) * 1024 + 2 * 32 * (32 * 9) * 1024 + 2 * 32 * 16 * 1024
        #expect(block.gemmFlops == convolutions)
        let problem = DPSGD(clipNorm: 1, noiseMultiplier: 1).problem(for: try Model(spec: tinyResidualSpec))
        #expect(problem?.contains("batch normalisation") == true)
        // Any privacy policy, update-level alone too, refuses a model with running statistics.
        let policy = PrivacyPolicy(update: UpdatePrivacy(clipNorm: 1, noiseMultiplier: 1))
        let resnet = try Model(reference: "resnet128", classes: ["a", "b"])
        #expect(policy.problem(for: resnet)?.contains("keeps batch-norm running statistics") == true)
        #expect(policy.problem(for: try Model(reference: "xray128", classes: ["a", "b"])) == nil)
    }

    /// Names as torchvision's BasicBlock has them; state written to a checkpoint and read back.
    @Test func stateNamesInCheckpoints() throws {
        let model = try Model(reference: "resnet128", classes: ["bacterial", "normal", "viral"], seed: 1)
        let names = Dictionary(uniqueKeysWithValues: model.parameterViews.map { ($0.name, $0.shape) })
        #expect(names["layers.3.conv1.weight"] == [16, 16, 3, 3])
        #expect(names["layers.3.bn2.bias"] == [16])
        #expect(names["layers.3.shortcut.conv.weight"] == nil)  // identity
        #expect(names["layers.5.shortcut.conv.weight"] == [32, 16, 1, 1])
        #expect(names["layers.9.conv2.weight"] == [128, 128, 3, 3])
        let state = Dictionary(uniqueKeysWithValues: model.stateViews.map { ($0.name, $0.shape) })
        #expect(state["layers.1.running_var"] == [16])
        #expect(state["layers.3.bn1.running_mean"] == [16])
        #expect(state["layers.7.shortcut.bn.running_var"] == [64])
        // stem 1 + identity block 2 + three projection blocks of 3 batch norms, two tensors each
        #expect(model.stateViews.count == 2 * (1 + 2 + 3 * 3))
        var rng = SeededGenerator(seed: 5)
        for i in 0..<model.state.count { model.state.pointer[i] = 0.5 + rng.nextUnit() }

        let dir = try TemporaryDirectory()
        let path = dir.path("resnet.safetensors")
        try model.save(to: path)
        let file = try SafetensorsFile(contentsOf: path)
        #expect(file.info("layers.9.shortcut.bn.running_mean")?.shape == [128])
        let loaded = try Model(checkpoint: path)
        #expect(loaded.spec == model.spec)
        #expect(loaded.state.array == model.state.array)
        #expect(loaded.parameters.array == model.parameters.array)
    }

    /// Specs stored before residual blocks existed still decode; a residual spec round-trips.
    @Test func specsStayCompatible() throws {
        let old = """
            {"name":"xray128","inputShape":[1,128,128],"classes":["a","b"],"layers":[\
            {"conv2d":{"filters":32,"kernel":3,"stride":1,"padding":0}},{"relu":{}},\
            {"maxPool2d":{"size":2,"stride":2}},{"batchNorm":{}},{"flatten":{}},{"dense":{"units":2}}]}
            """
        let spec = try JSONDecoder().decode(ModelSpec.self, from: Data(old.utf8))
        #expect(spec.layers[0] == .conv2d(filters: 32, kernel: 3, stride: 1, padding: 0))
        #expect(spec.layers[3] == .batchNorm)
        let resnet = ModelSpec.reference("resnet128", classes: ["a", "b"])!
        let json = try JSONEncoder().encode(resnet)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains(#""residual":{"#) && text.contains(#""filters":32"#))
        #expect(try JSONDecoder().decode(ModelSpec.self, from: json) == resnet)
    }

    /// resnet128's size and cost, as the reference documents them.
    @Test func resnet128Cost() throws {
        let model = try Model(reference: "resnet128", classes: ["bacterial", "normal", "viral"])
        #expect(model.layers[10].outputShape == [128, 8, 8])
        print(
            "resnet128: \(model.parameterCount) parameters, \(model.state.count) state values, "
                + "forward \(model.forwardFlops) FLOP, training \(model.trainingFlops) FLOP per image")
        #expect(model.trainingFlops > 300_000_000 && model.trainingFlops < 450_000_000)
        #expect(ModelSpec.statelessReferenceNames == ["small28", "xray128", "ecg187", "ecg187rr"])
    }

    /// Two workers, each with half the batch, fold the running statistics as the batch-norm semantics say: the
    /// mean of the halves' ("ghost") statistics. For the stem batch norm, whose input does not depend on the
    /// split, that is checked against the statistics computed here: the running mean equals a single worker's
    /// over the whole batch, and the running variance is the mean of the halves' unbiased variances.
    @Test func twoWorkersFoldGhostStatistics() throws {
        let data = blobs(count: 8, seed: 4)
        let indices = Array(0..<8)[...]
        let twoWorkers = try Model(spec: tinyResidualSpec, seed: 2)
        Trainer(model: twoWorkers, optimizer: .sgd(learningRate: 0.1, momentum: 0), batchSize: 8, threads: 2, seed: 1)
            .step(data, indices: indices)

        // The same fold by hand: one workspace per half, then the model's commit.
        let byHand = try Model(spec: tinyResidualSpec, seed: 2)
        let halves = [indices.prefix(4), indices.suffix(4)].map { half -> Workspace in
            let ws = Workspace(model: byHand, maxBatch: 4)
            var rng = SeededGenerator(seed: 0)
            data.fillBatch(indices: half, into: &ws.input, labels: &ws.labels, rng: &rng)
            byHand.forward(ws, batch: 4, mode: .training)
            return ws
        }
        byHand.commitState(from: halves)
        let gap = zip(twoWorkers.state.array, byHand.state.array).map { abs($0 - $1) }.max()!
        print("two workers against the fold by hand: max |diff| \(gap)")
        #expect(gap < 1e-6)
        let initial = try Model(spec: tinyResidualSpec, seed: 2).state.array
        #expect(twoWorkers.state.array != initial)

        // The stem batch norm (layer 1, 4 channels over 8×8) from the conv outputs of each half.
        let plane = 64.0
        for ch in 0..<4 {
            var means: [Double] = [], variances: [Double] = []
            for ws in halves {
                let conv = byHand.output(ws, ofLayer: 0, batch: 4)
                var values: [Double] = []
                for n in 0..<4 { for i in 0..<64 { values.append(Double(conv[n * 256 + ch * 64 + i])) } }
                let mean = values.reduce(0, +) / Double(values.count)
                means.append(mean)
                variances.append(values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (4 * plane - 1))
            }
            let runningMean = Double(twoWorkers.state.pointer[ch])
            let runningVar = Double(twoWorkers.state.pointer[4 + ch])
            #expect(abs(runningMean - 0.1 * (means[0] + means[1]) / 2) < 1e-5)
            #expect(abs(runningVar - (0.9 + 0.1 * (variances[0] + variances[1]) / 2)) < 1e-5)
        }
        let single = try Model(spec: tinyResidualSpec, seed: 2)
        let ws = Workspace(model: single, maxBatch: 8)
        var rng = SeededGenerator(seed: 0)
        data.fillBatch(indices: indices, into: &ws.input, labels: &ws.labels, rng: &rng)
        single.forward(ws, batch: 8, mode: .training)
        single.commitState(from: [ws])
        for ch in 0..<4 { #expect(abs(single.state.pointer[ch] - twoWorkers.state.pointer[ch]) < 1e-6) }
    }

    /// Grad-CAM on resnet128 explains the last stage's output (after its ReLU): an 8×8 map, as the plain-loop
    /// oracle computes it.
    @Test func gradCAMTargetsTheLastStage() throws {
        let model = try Model(reference: "resnet128", classes: ["bacterial", "normal", "viral"], seed: 3)
        let cam = try GradCAM(model: model)
        #expect(cam.convolutionIndex == 9)
        #expect(cam.activationIndex == 10)
        #expect(cam.activationShape == [128, 8, 8])
        var rng = SeededGenerator(seed: 9)
        let sample = (0..<model.inputSize).map { _ in rng.nextUnit() }
        let fast = try cam.explain(sample: sample, targetClass: 1)
        let slow = try cam.naiveExplain(sample: sample, targetClass: 1)
        #expect(fast.map.count == 64 && fast.upsampled.count == 128 * 128)
        #expect(fast.map.contains { $0 > 0 })
        #expect(fast.map.max() == 1)
        let gap = zip(fast.map, slow.map).map { abs($0 - $1) }.max()!
        print("resnet128 Grad-CAM against the oracle: max |diff| \(gap)")
        #expect(gap < 1e-3)
    }
}
