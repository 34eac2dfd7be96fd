import GrowdaTensor
import Testing

@testable import GrowdaNN

/// Runs `layers` of `model` on one sample, each layer into an array of its own (inference pass).
private func run(_ model: Model, layers: Range<Int>, _ x: [Float]) -> [Float] {
    var x = x
    var rng = SeededGenerator(seed: 0)
    for i in layers {
        let layer = model.layers[i]
        var y = [Float](repeating: 0, count: layer.outputSize)
        layer.forward(
            x, &y, batch: 1, params: model.parameters.pointer + model.parameterOffsets[i],
            state: model.state.pointer + model.stateOffsets[i], cache: layer.makeCache(maxBatch: 1), mode: .inference,
            rng: &rng)
        x = y
    }
    return x
}

private func maxDiff(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
    return zip(a, b).reduce(0) { max($0, Double(abs($1.0 - $1.1))) }
}

private func randomSample(_ model: Model, seed: UInt64) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    return (0..<model.inputSize).map { _ in rng.nextUnit() }
}

/// Conv, pool, conv (A: 4×4×4), pool, dense, dense: the reference models' shape, small.
private let tinyConvSpec = ModelSpec(
    name: "tiny-conv", inputShape: [1, 8, 8], classes: ["a", "b", "c"],
    layers: [
        .conv2d(filters: 3, kernel: 3, stride: 1, padding: 1), .relu, .maxPool2d(size: 2, stride: 2),
        .conv2d(filters: 4, kernel: 3, stride: 1, padding: 1), .relu, .maxPool2d(size: 2, stride: 2), .flatten,
        .dense(units: 6), .relu, .dense(units: 3),
    ])

/// 16×16 images: class 1 ("blob") has a bright 4×4 square inside one quadrant (drawn at random, and
/// returned), class 0 ("clear") only noise. Quadrants: 0 top left, 1 top right, 2 bottom left, 3 bottom right.
private func quadrantBlobs(count: Int, seed: UInt64) -> (samples: InMemorySamples, quadrants: [Int?]) {
    var rng = SeededGenerator(seed: seed)
    var values: [Float] = [], labels: [Int32] = [], quadrants: [Int?] = []
    for i in 0..<count {
        var image = (0..<256).map { _ in 0.1 * rng.gaussian() }
        let label = Int32(i % 2)
        var quadrant: Int?
        if label == 1 {
            let q = Int(rng.next() % 4)
            let row = 8 * (q / 2) + Int(rng.next() % 5), column = 8 * (q % 2) + Int(rng.next() % 5)
            for r in 0..<4 { for c in 0..<4 { image[(row + r) * 16 + column + c] += 1 } }
            quadrant = q
        }
        values += image
        labels.append(label)
        quadrants.append(quadrant)
    }
    let samples = InMemorySamples(
        sampleShape: [1, 16, 16], values: values, labels: labels, classNames: ["clear", "blob"])
    return (samples, quadrants)
}

@Suite("Grad-CAM")
struct GradCAMTests {
    /// α_k against central differences of s_c in each activation A_kij (A perturbed, not the input),
    /// averaged over (i, j). A is made strictly positive (a large last-conv bias) so that no
    /// perturbation crosses the ReLU below it or a pooling tie of zeros.
    @Test func channelWeightsMatchFiniteDifferences() throws {
        let model = try Model(spec: tinyConvSpec, seed: 11)
        let bias = try #require(model.parameterViews.first { $0.name == "layers.3.bias" })
        for i in bias.range { model.parameters.pointer[i] = 3 }
        let explainer = try GradCAM(model: model)
        #expect(explainer.convolutionIndex == 3 && explainer.activationIndex == 4)
        #expect(explainer.activationShape == [4, 4, 4])
        let sample = randomSample(model, seed: 5)
        let a = run(model, layers: 0..<(explainer.activationIndex + 1), sample)
        #expect(a.count == 64)
        try #require(a.min()! > 0.05, "A must stay away from the ReLU's kink")

        let eps: Float = 1e-3
        let above = (explainer.activationIndex + 1)..<model.layers.count
        var worst = 0.0
        for c in 0..<3 {
            let alpha = try explainer.explain(sample: sample, targetClass: c).channelWeights
            for k in 0..<4 {
                var sum = 0.0
                for p in 0..<16 {
                    var plus = a, minus = a
                    plus[k * 16 + p] += eps
                    minus[k * 16 + p] -= eps
                    let sp = run(model, layers: above, plus)[c], sm = run(model, layers: above, minus)[c]
                    sum += (Double(sp) - Double(sm)) / (2 * Double(eps))
                }
                let numeric = sum / 16
                worst = max(worst, abs(numeric - Double(alpha[k])) / max(1, abs(Double(alpha[k]))))
            }
        }
        print("Grad-CAM α against finite differences: max |diff| = \(worst) over 3 classes × 4 channels")
        #expect(worst < 2e-3)
    }

    /// The fast path (workspace, in-place ReLU, partial backward without parameter gradients, GEMM for
    /// the weighted sum, cached bilinear taps) against the plain-loop oracle, for every reference model.
    @Test(arguments: ["tiny-conv", "small28", "xray128", "ecg187"])
    func fastPathMatchesNaiveOracle(name: String) throws {
        let classes = ["normal", "pneumonia", "other"]
        let spec = name == "tiny-conv" ? tinyConvSpec : try #require(ModelSpec.reference(name, classes: classes))
        let model = try Model(spec: spec, seed: 3)
        let explainer = try GradCAM(model: model, threads: 2)
        let expectedShape = [
            "tiny-conv": [4, 4, 4], "small28": [64, 11, 11], "xray128": [128, 28, 28], "ecg187": [64, 1, 41],
        ]
        #expect(explainer.activationShape == expectedShape[name])
        let sample = randomSample(model, seed: 9)
        var nonZeroMaps = 0
        for c in 0..<3 {
            let fast = try explainer.explain(sample: sample, targetClass: c)
            let naive = try explainer.naiveExplain(sample: sample, targetClass: c)
            #expect(fast.targetClass == c && naive.targetClass == c)
            #expect(fast.predictedClass == naive.predictedClass)
            #expect(fast.height * fast.width == model.inputSize && fast.upsampled.count == model.inputSize)
            #expect(fast.map.count == expectedShape[name]![1] * expectedShape[name]![2])
            let diffs = (
                p: maxDiff(fast.probabilities, naive.probabilities),
                alpha: maxDiff(fast.channelWeights, naive.channelWeights),
                map: maxDiff(fast.map, naive.map), up: maxDiff(fast.upsampled, naive.upsampled)
            )
            print(
                "\(name) class \(c): max |diff| probabilities \(diffs.p), α \(diffs.alpha), map \(diffs.map), "
                    + "upsampled \(diffs.up); map sum \(fast.map.reduce(0, +))")
            #expect(diffs.p < 1e-5 && diffs.alpha < 1e-5 && diffs.map < 1e-4 && diffs.up < 1e-4)
            #expect(fast.map.allSatisfy { $0 >= 0 && $0 <= 1 } && fast.upsampled.allSatisfy { $0 >= 0 && $0 <= 1 })
            if fast.map.contains(where: { $0 > 0 }) {
                nonZeroMaps += 1
                #expect(fast.map.max() == 1)
            }
        }
        #expect(nonZeroMaps > 0, "a comparison of all-zero maps only would prove little")
    }

    /// A model trained to tell a bright square (in any quadrant) from noise looks at the square: on
    /// held-out images the square's quadrant holds the most of the map's mass, and on average most of it
    /// (a quarter would be chance), so the map must move with the evidence, unflipped and untransposed.
    @Test func mapFindsTheEvidenceQuadrant() throws {
        let spec = ModelSpec(
            name: "quadrant", inputShape: [1, 16, 16], classes: ["clear", "blob"],
            layers: [
                .conv2d(filters: 8, kernel: 3, stride: 1, padding: 1), .relu, .maxPool2d(size: 2, stride: 2),
                .conv2d(filters: 8, kernel: 3, stride: 1, padding: 1), .relu, .maxPool2d(size: 2, stride: 2),
                .flatten, .dense(units: 2),
            ])
        let model = try Model(spec: spec, seed: 1)
        let trainer = Trainer(model: model, optimizer: .adam(learningRate: 1e-2), batchSize: 16, threads: 2, seed: 2)
        let train = quadrantBlobs(count: 256, seed: 3).samples
        for _ in 0..<6 { _ = trainer.trainEpoch(train) }
        let (heldOut, quadrants) = quadrantBlobs(count: 48, seed: 4)
        let metrics = ClassificationMetrics(
            probabilities: Predictor(model: model).probabilities(heldOut), labels: heldOut.labels,
            classes: spec.classes)
        try #require(metrics.accuracy > 0.9, "the model must have learnt the task first")

        let explainer = try GradCAM(model: model)
        var fractions: [Double] = [], heaviestIsRight: [Bool] = []
        for i in 0..<heldOut.count {
            guard let q = quadrants[i] else { continue }
            let sample = Array(heldOut.values[(i * 256)..<((i + 1) * 256)])
            let e = try explainer.explain(sample: sample, targetClass: 1)
            var mass = [Double](repeating: 0, count: 4)
            for y in 0..<16 { for x in 0..<16 { mass[2 * (y / 8) + x / 8] += Double(e.upsampled[y * 16 + x]) } }
            let total = mass.reduce(0, +)
            fractions.append(total > 0 ? mass[q] / total : 0)
            heaviestIsRight.append(total > 0 && mass.indices.max { mass[$0] < mass[$1] } == q)
        }
        let mean = fractions.reduce(0, +) / Double(fractions.count)
        print(
            "map mass in the square's quadrant: \(fractions.map { String(format: "%.2f", $0) }), mean "
                + String(format: "%.3f", mean))
        #expect(Set(quadrants.compactMap { $0 }).count == 4, "every quadrant is tried")
        #expect(fractions.count == 24)
        #expect(heaviestIsRight.allSatisfy { $0 }, "the square's quadrant holds the most mass on every image")
        #expect(mean > 0.8)
    }

    /// The probabilities are Predictor's, to the bit, for the same threads.
    @Test(arguments: ["tiny-conv", "xray128"])
    func probabilitiesArePredictors(name: String) throws {
        let spec = name == "tiny-conv" ? tinyConvSpec : ModelSpec.reference(name, classes: ["a", "b", "c"])!
        let model = try Model(spec: spec, seed: 7)
        let sample = randomSample(model, seed: 2)
        let e = try GradCAM(model: model, threads: 1).explain(sample: sample)
        let p = Predictor(model: model, threads: 1, chunk: 1).probabilities(sample: sample)
        print("\(name): max |diff| probabilities against Predictor = \(maxDiff(e.probabilities, p))")
        #expect(e.probabilities == p)
        #expect(e.predictedClass == GradCAM.argmax(p) && e.targetClass == e.predictedClass)
    }

    /// The choice of class can come from the probabilities (a decision threshold, say).
    @Test func classChosenFromTheProbabilities() throws {
        let model = try Model(spec: tinyConvSpec, seed: 7)
        let explainer = try GradCAM(model: model)
        let sample = randomSample(model, seed: 2)
        var seen: [Float] = []
        let e = try explainer.explain(sample: sample) { p in
            seen = p
            return 2
        }
        #expect(seen == e.probabilities && e.targetClass == 2)
        #expect(try explainer.explain(sample: sample, targetClass: 2) == e)
    }

    /// The workspace is reused: explaining another class or input in between leaves no trace.
    @Test func repeatedCallsAgree() throws {
        let model = try Model(spec: tinyConvSpec, seed: 7)
        let explainer = try GradCAM(model: model)
        let first = try explainer.explain(sample: randomSample(model, seed: 1), targetClass: 0)
        _ = try explainer.explain(sample: randomSample(model, seed: 2), targetClass: 1)
        #expect(try explainer.explain(sample: randomSample(model, seed: 1), targetClass: 0) == first)
    }

    /// A model whose last convolution outputs zeros gives an all-zero map: no NaN from 0 / 0.
    @Test func allZeroMapStaysZero() throws {
        let model = try Model(spec: tinyConvSpec, seed: 7)
        for view in model.parameterViews where view.name.hasPrefix("layers.3.") {
            for i in view.range { model.parameters.pointer[i] = 0 }
        }
        let e = try GradCAM(model: model).explain(sample: randomSample(model, seed: 1))
        #expect(e.map.allSatisfy { $0 == 0 } && e.upsampled.allSatisfy { $0 == 0 })
        #expect(abs(e.probabilities.reduce(0, +) - 1) < 1e-6)
    }

    /// Bilinear stretching with centres aligned and edges clamped, by hand: [0, 1] over four pixels.
    @Test func resamplingByHand() throws {
        let e = GradCAM.Explanation(
            probabilities: [1], predictedClass: 0, targetClass: 0, channelWeights: [1], map: [0, 1, 0.5, 0.5],
            mapHeight: 2, mapWidth: 2, upsampled: [], height: 0, width: 0)
        #expect(e.resampled(height: 1, width: 4) == [0.25, 0.375, 0.625, 0.75])  // rows averaged at the centre
        #expect(e.resampled(height: 2, width: 4) == [0, 0.25, 0.75, 1, 0.5, 0.5, 0.5, 0.5])
        #expect(e.resampled(height: 2, width: 2) == e.map)
    }

    @Test func modelWithoutConvolutionIsRefused() throws {
        let spec = ModelSpec(
            name: "flat", inputShape: [1, 4, 4], classes: ["a", "b"], layers: [.flatten, .dense(units: 2)])
        let model = try Model(spec: spec)
        #expect(throws: ModelError.noConvolution(model: "flat")) { try GradCAM(model: model) }
        #expect("\(ModelError.noConvolution(model: "flat"))".contains("'flat' has no convolution layer"))
    }

    @Test func wrongSampleOrClassIsRefused() throws {
        let model = try Model(spec: tinyConvSpec, seed: 7)
        let explainer = try GradCAM(model: model)
        #expect(throws: ModelError.self) { try explainer.explain(sample: [1, 2, 3]) }
        #expect(throws: ModelError.self) { try explainer.explain(sample: randomSample(model, seed: 1), targetClass: 3) }
    }
}
