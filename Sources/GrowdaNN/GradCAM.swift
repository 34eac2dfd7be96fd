import Foundation
import GrowdaTensor

/// Grad-CAM (Selvaraju et al. 2017): where in one input the model found its evidence for a class.
///
/// A = the feature maps of the model's last convolution, taken after the batch norm and ReLU that
/// follow it, (K, h, w); for a residual network the last convolution is its last residual block, so A is
/// the last stage's output after its ReLU, the last spatial map before global pooling. s_c = the logit
/// (pre-softmax score) of class c. Then
///
///     α_k = (1 / hw) Σ_ij ∂s_c / ∂A_kij          one weight per feature map
///     map = ReLU(Σ_k α_k A_k) / max               (h, w), in [0, 1]; an all-zero map stays zero
///
/// and the map is stretched bilinearly over the input's H×W (pixel centres aligned, edges clamped), as
/// the paper does, although an unpadded convolution's maps cover a little less than the whole input.
/// For a signal model, (C, L) runs as (C, 1, L) and the map is (1, l) stretched to (1, L).
///
/// `explain` runs the inference pass `Predictor` runs (so the probabilities are the same numbers),
/// then the engine's own layer backward passes from the logits down to A and no further, with no
/// parameter gradients. Its workspace and buffers are made once: a repeated call allocates only the
/// arrays it returns.
///
/// Thread safety: an explainer is internally locked. Calls from several threads are safe and run one
/// at a time; for explanations in parallel make one explainer per thread (they may share the model,
/// which is only read).
public final class GradCAM: @unchecked Sendable {
    /// The model explained (read only).
    public let model: Model
    /// BLAS threads for each explanation.
    public let threads: Int
    /// The index in `model.layers` of the last convolution (a `Conv2D`, or a `ResidualBlock`).
    public let convolutionIndex: Int
    /// The index of the layer whose output is A: the last convolution, or the batch norm, ReLU or
    /// dropout right after it.
    public let activationIndex: Int
    /// A's per-sample shape (K, h, w).
    public let activationShape: [Int]
    /// The input's height and width (1 and L for signals).
    public let inputHeight: Int, inputWidth: Int

    private let workspace: Workspace
    /// ∂s_c/∂logits: one-hot at the target class.
    private let seed: FloatBuffer
    private let rows: BilinearAxis, columns: BilinearAxis
    private let lock = NSLock()

    /// An explainer for `model`'s last convolution or residual block; throws `ModelError.noConvolution` if it
    /// has none.
    public init(model: Model, threads: Int = 1) throws {
        guard let conv = model.layers.lastIndex(where: { $0.isConvolution }) else {
            throw ModelError.noConvolution(model: model.spec.name)
        }
        var a = conv
        while a + 1 < model.layers.count, GradCAM.isPartOfConvolutionBlock(model.layers[a + 1]) { a += 1 }
        self.model = model
        self.threads = max(1, threads)
        convolutionIndex = conv
        activationIndex = a
        activationShape = model.layers[a].outputShape
        let shape = model.spec.inputShape
        (inputHeight, inputWidth) = shape.count == 3 ? (shape[1], shape[2]) : (1, shape[shape.count - 1])
        workspace = Workspace(model: model, maxBatch: 1, gradients: .activations)
        seed = FloatBuffer(count: model.classCount)
        rows = BilinearAxis(from: activationShape[1], to: inputHeight)
        columns = BilinearAxis(from: activationShape[2], to: inputWidth)
    }

    /// Shape-preserving layers that belong to the convolution before them (A is taken after them).
    private static func isPartOfConvolutionBlock(_ layer: any Layer) -> Bool {
        layer is ReLU || layer is BatchNorm2D || layer is Dropout
    }

    /// One explanation: the class probabilities, the class explained and its map.
    public struct Explanation: Sendable, Equatable {
        /// Softmax probabilities, one per class: the numbers `Predictor` gives.
        public var probabilities: [Float]
        /// The arg-max class.
        public var predictedClass: Int
        /// The class whose logit was differentiated.
        public var targetClass: Int
        /// α_k, one per feature map of A.
        public var channelWeights: [Float]
        /// The map at A's resolution, (mapHeight, mapWidth) row-major, in [0, 1].
        public var map: [Float]
        /// A's height and width.
        public var mapHeight: Int, mapWidth: Int
        /// The map stretched over the input, (height, width) row-major, in [0, 1].
        public var upsampled: [Float]
        /// The input's height and width.
        public var height: Int, width: Int

        /// The map resampled bilinearly to `height`×`width` (e.g. the original scan's size), row-major.
        public func resampled(height: Int, width: Int) -> [Float] {
            BilinearAxis.resample(
                map, rows: BilinearAxis(from: mapHeight, to: height), columns: BilinearAxis(from: mapWidth, to: width))
        }
    }

    /// Explains `sample` (the model's input shape, as `Predictor.probabilities(sample:)` takes) for
    /// `targetClass`, by default the predicted (arg-max) class.
    public func explain(sample: [Float], targetClass: Int? = nil) throws -> Explanation {
        try explain(sample: sample) { p in targetClass ?? GradCAM.argmax(p) }
    }

    /// Explains `sample` for the class `choose` picks from the probabilities (e.g. by a decision
    /// threshold), in one forward pass.
    public func explain(sample: [Float], choosingClass choose: (_ probabilities: [Float]) -> Int) throws -> Explanation
    {
        try check(sample)
        lock.lock()
        defer { lock.unlock() }
        BLAS.setThreads(threads)
        let ws = workspace, k = model.classCount
        let (channels, plane) = (activationShape[0], activationShape[1] * activationShape[2])
        ws.input.scalars.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: sample) }

        // Forward, inference: x (C, H, W) -> logits (k); A (K, h, w) stays in layer activationIndex's output.
        let logits = model.forward(ws, batch: 1, mode: .inference)
        var probabilities = [Float](repeating: 0, count: k)
        probabilities.withUnsafeMutableBufferPointer {
            SoftmaxCrossEntropy.softmax(
                logits.baseAddress!, batch: 1, classes: k, into: $0.baseAddress!, temperature: model.temperature)
        }
        let target = choose(probabilities)
        try GradCAM.check(target, classes: k)

        // Backward from s_c: dlogits = one-hot(c) (k) -> dA (K, h, w); the layers up to A are not run.
        seed.zero()
        seed.pointer[target] = 1
        let dA = model.backward(ws, batch: 1, dLogits: seed.pointer, toOutputOf: activationIndex).baseAddress!
        let a = UnsafePointer(ws.outputs[activationIndex].pointer)

        // α_k = mean over (h, w) of dA_k: (K, hw) -> (K).
        var alpha = [Float](repeating: 0, count: channels)
        for c in 0..<channels { alpha[c] = VectorOps.sum(dA + c * plane, count: plane) / Float(plane) }
        // map = ReLU(αᵀ · A) / max: (1, K) · (K, hw) -> (hw).
        var map = [Float](repeating: 0, count: plane)
        map.withUnsafeMutableBufferPointer { m in
            BLAS.gemm(
                .none, .none, m: 1, n: plane, k: channels, alpha, lda: channels, a, ldb: plane, m.baseAddress!,
                ldc: plane)
        }
        GradCAM.rectifyAndNormalize(&map)
        return Explanation(
            probabilities: probabilities, predictedClass: GradCAM.argmax(probabilities), targetClass: target,
            channelWeights: alpha, map: map, mapHeight: activationShape[1], mapWidth: activationShape[2],
            upsampled: BilinearAxis.resample(map, rows: rows, columns: columns), height: inputHeight,
            width: inputWidth)
    }

    /// The same explanation by plain loops, the test oracle for `explain`: every layer's output in an
    /// array of its own, the full backward (every layer, parameter and input gradients too) with the layers' own
    /// code, then α, the map and the bilinear stretch in Double, pixel by pixel.
    public func naiveExplain(sample: [Float], targetClass: Int? = nil) throws -> Explanation {
        try check(sample)
        let layers = model.layers, k = model.classCount
        let caches = layers.map { $0.makeCache(maxBatch: 1) }
        var rng = SeededGenerator(seed: 0)
        var outputs: [[Float]] = []
        for (i, layer) in layers.enumerated() {
            var y = [Float](repeating: 0, count: layer.outputSize)
            layer.forward(
                i == 0 ? sample : outputs[i - 1], &y, batch: 1,
                params: model.parameters.pointer + model.parameterOffsets[i],
                state: model.state.pointer + model.stateOffsets[i], cache: caches[i], mode: .inference, rng: &rng)
            outputs.append(y)
        }
        let logits = outputs[layers.count - 1].map(Double.init)
        let top = logits.max()!
        let exps = logits.map { exp($0 - top) }
        let probabilities = exps.map { Float($0 / exps.reduce(0, +)) }
        let target = targetClass ?? GradCAM.argmax(probabilities)
        try GradCAM.check(target, classes: k)

        var grads = [Float](repeating: 0, count: model.parameterCount)
        var dy = (0..<k).map { $0 == target ? Float(1) : 0 }
        var dA: [Float] = []
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            var dx = [Float](repeating: 0, count: layers[i].inputSize)
            grads.withUnsafeMutableBufferPointer { g in
                layers[i].backward(
                    i == 0 ? sample : outputs[i - 1], outputs[i], dy, &dx, batch: 1,
                    params: model.parameters.pointer + model.parameterOffsets[i],
                    grads: g.baseAddress! + model.parameterOffsets[i], cache: caches[i])
            }
            dy = dx
            if i - 1 == activationIndex { dA = dx }
        }

        let (channels, h, w) = (activationShape[0], activationShape[1], activationShape[2])
        let a = outputs[activationIndex]
        var alpha = [Double](repeating: 0, count: channels)
        for c in 0..<channels {
            for p in 0..<(h * w) { alpha[c] += Double(dA[c * h * w + p]) }
            alpha[c] /= Double(h * w)
        }
        var map = [Double](repeating: 0, count: h * w)
        for p in 0..<(h * w) {
            for c in 0..<channels { map[p] += alpha[c] * Double(a[c * h * w + p]) }
            map[p] = max(map[p], 0)
        }
        let peak = map.max()!
        map = map.map { peak > 0 ? $0 / peak : 0 }

        var upsampled = [Float](repeating: 0, count: inputHeight * inputWidth)
        func source(_ o: Int, _ inCount: Int, _ outCount: Int) -> Double {
            min(max((Double(o) + 0.5) * Double(inCount) / Double(outCount) - 0.5, 0), Double(inCount - 1))
        }
        for y in 0..<inputHeight {
            for x in 0..<inputWidth {
                let sy = source(y, h, inputHeight), sx = source(x, w, inputWidth)
                let (y0, x0) = (Int(sy), Int(sx))
                let (y1, x1) = (min(y0 + 1, h - 1), min(x0 + 1, w - 1))
                let (fy, fx) = (sy - Double(y0), sx - Double(x0))
                let top = (1 - fx) * map[y0 * w + x0] + fx * map[y0 * w + x1]
                let bottom = (1 - fx) * map[y1 * w + x0] + fx * map[y1 * w + x1]
                upsampled[y * inputWidth + x] = Float((1 - fy) * top + fy * bottom)
            }
        }
        return Explanation(
            probabilities: probabilities, predictedClass: GradCAM.argmax(probabilities), targetClass: target,
            channelWeights: alpha.map(Float.init), map: map.map(Float.init), mapHeight: h, mapWidth: w,
            upsampled: upsampled, height: inputHeight, width: inputWidth)
    }

    private func check(_ sample: [Float]) throws {
        guard sample.count == model.inputSize else {
            throw ModelError.dataMismatch(
                "a sample of \(sample.count) values, but the model takes \(model.spec.inputShape) = \(model.inputSize)")
        }
    }

    private static func check(_ target: Int, classes: Int) throws {
        guard (0..<classes).contains(target) else {
            throw ModelError.dataMismatch("class \(target) does not exist: the model has classes 0…\(classes - 1)")
        }
    }

    /// The first index of the largest probability.
    static func argmax(_ p: [Float]) -> Int { p.indices.max { p[$0] < p[$1] || (p[$0] == p[$1] && $0 > $1) }! }

    /// map ← max(map, 0) / its maximum; a map with no positive (or a non-finite) maximum becomes all zeros.
    static func rectifyAndNormalize(_ map: inout [Float]) {
        var peak: Float = 0
        for i in map.indices {
            let v = map[i] > 0 ? map[i] : 0  // NaN is not > 0
            map[i] = v
            peak = max(peak, v)
        }
        guard peak > 0, peak.isFinite else {
            for i in map.indices { map[i] = 0 }
            return
        }
        for i in map.indices { map[i] /= peak }  // a division, so the peak is exactly 1
    }
}

/// Bilinear sampling along one axis, pixel centres aligned and edges clamped: output o reads sources
/// `lower[o]` and `upper[o]` with weights 1 − `fraction[o]` and `fraction[o]`.
struct BilinearAxis: Sendable {
    /// The number of source positions.
    let sourceCount: Int
    private(set) var lower: [Int] = [], upper: [Int] = [], fraction: [Float] = []

    /// The sampling of an axis of `inCount` positions at `outCount` positions.
    init(from inCount: Int, to outCount: Int) {
        precondition(inCount > 0 && outCount > 0, "axis sizes must be positive, got \(inCount) -> \(outCount)")
        sourceCount = inCount
        let scale = Double(inCount) / Double(outCount)
        for o in 0..<outCount {
            let position = min(max((Double(o) + 0.5) * scale - 0.5, 0), Double(inCount - 1))
            let l = Int(position)
            lower.append(l)
            upper.append(min(l + 1, inCount - 1))
            fraction.append(Float(position - Double(l)))
        }
    }

    /// `plane` (rows.source × columns.source) resampled to (rows.count × columns.count), row-major.
    static func resample(_ plane: [Float], rows: BilinearAxis, columns: BilinearAxis) -> [Float] {
        let (outH, outW) = (rows.lower.count, columns.lower.count)
        precondition(plane.count == rows.sourceCount * columns.sourceCount, "the plane does not match the axes")
        let inW = columns.sourceCount
        var out = [Float](repeating: 0, count: outH * outW)
        for y in 0..<outH {
            let top = rows.lower[y] * inW, bottom = rows.upper[y] * inW, fy = rows.fraction[y]
            for x in 0..<outW {
                let (x0, x1, fx) = (columns.lower[x], columns.upper[x], columns.fraction[x])
                let t = plane[top + x0] + fx * (plane[top + x1] - plane[top + x0])
                let b = plane[bottom + x0] + fx * (plane[bottom + x1] - plane[bottom + x0])
                out[y * outW + x] = t + fy * (b - t)
            }
        }
        return out
    }
}
