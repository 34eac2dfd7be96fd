import Dispatch
import Foundation
import GrowdaNN
import GrowdaTensor

/// Feature inversion: the image whose features at one layer match wanted features, found by gradient descent
/// through the engine.
///
/// For the reference models the first dense layer reads the last pooled feature map, not the image, so the
/// analytic attack (`DenseLayerLeak`) yields features h. This finds x ∈ [0, 1]^(H×W) minimising
///
///     L(x) = ‖f(x) − h‖² / ‖h‖²  +  λ · TV(x) / |seen|  [ + μ · ‖G(x) − G‖² / ‖G‖² ]
///
/// (f = layers 0 … `featureLayer`, inference pass; TV the total variation over the seen pixels, the prior of
/// Inverting Gradients; the last term only with `ConvolutionEvidence`) by Adam on the pixels, the step size
/// falling from `learningRate` to a tenth along a cosine, each step followed by clamping to [0, 1]. ∂L/∂x comes
/// from the engine's own backward down to the input (`Model.backward(_:batch:outputGradient:ofLayer:downTo:)`).
/// The start is mid-gray. Pixels no feature sees never move; they are set to the nearest seen pixel at the end
/// (`SeenRegion.extendingEdges`).
///
/// Features alone leave the image badly determined (small28 keeps about 700 of its 1 600 pooled features non-zero
/// for 676 seen pixels, behind two ReLUs and two max-pools): matched to a relative error of 10⁻⁴ they still
/// allow errors of 20–25 dB, which the TV prior and, for one-sample updates, the convolution's own gradient
/// narrow. Gradient matching over every layer (DLG, Inverting Gradients) optimises the image so that its whole
/// parameter gradient matches the update; that needs the derivative of a gradient (double backprop), which this
/// engine lacks. The convolution term needs first derivatives only, because with the image's ReLU and pooling
/// masks held fixed the gradient it predicts is linear in the convolution's input.
public struct FeatureInversion: Sendable {
    /// What one update of a single sample says about the convolution below the matched features: its weight
    /// gradient G and ∂L/∂features e. With the masks of the current image fixed, the gradient the image would give
    /// is Σ_p δ_p ⊗ patch_p(a) (δ: e back-propagated to the convolution's output, a: its input), linear in a, so
    /// matching it to G needs first derivatives only.
    public struct ConvolutionEvidence: Sendable {
        /// The convolution's index in `model.layers`.
        public var layer: Int
        /// Its weight gradient, (filters, C·k·k).
        public var weightGradient: [Float]
        /// ∂L/∂(output of the feature layer), one sample.
        public var featureGradient: [Float]

        /// Evidence from its parts.
        public init(layer: Int, weightGradient: [Float], featureGradient: [Float]) {
            self.layer = layer
            self.weightGradient = weightGradient
            self.featureGradient = featureGradient
        }
    }

    /// The model inverted (only read).
    public let model: Model
    /// The layer whose output is matched.
    public let featureLayer: Int
    /// Adam steps per inversion.
    public var iterations: Int
    /// Adam's initial step size in gray levels (1 = black to white).
    public var learningRate: Float
    /// Worker threads: the candidates are shared among them.
    public var threads: Int
    /// λ, the weight of the total-variation prior (0: none).
    public var smoothness: Float
    /// μ, the weight of the convolution-gradient term when evidence is given.
    public var evidenceWeight: Float

    /// An inversion of `model`'s output at layer `featureLayer`.
    public init(
        model: Model, featureLayer: Int, iterations: Int = 600, learningRate: Float = 0.05, smoothness: Float = 0.03,
        evidenceWeight: Float = 0.3, threads: Int = 1
    ) {
        precondition(model.layers.indices.contains(featureLayer), "no layer \(featureLayer)")
        precondition(model.spec.inputShape.count == 3, "feature inversion takes image models")
        self.model = model
        self.featureLayer = featureLayer
        self.iterations = iterations
        self.learningRate = learningRate
        self.threads = max(1, threads)
        self.smoothness = smoothness
        self.evidenceWeight = evidenceWeight
    }

    /// The pixels whose values reach `featureLayer`.
    public var seen: SeenRegion { SeenRegion(model: model, through: featureLayer) }

    /// One image per target (each `model.layers[featureLayer].outputSize` values), in [0, 1], with the final
    /// relative loss ‖f(x) − h‖² / ‖h‖² of each.
    public func invert(_ targets: [[Float]], evidence: [ConvolutionEvidence] = []) -> [(image: [Float], loss: Double)] {
        guard !targets.isEmpty else { return [] }
        let d = model.layers[featureLayer].outputSize
        precondition(targets.allSatisfy { $0.count == d }, "each target needs \(d) features")
        let workers = min(threads, targets.count)
        let share = (targets.count + workers - 1) / workers
        let slots = UnsafeMutablePointer<([Float], Double)>.allocate(capacity: targets.count)
        slots.initialize(repeating: ([], 0), count: targets.count)
        defer { slots.deinitialize(count: targets.count).deallocate() }
        let box = UncheckedSendable(slots)
        let inversion = self
        let work: @Sendable (Int) -> Void = { w in
            let lo = w * share, hi = min(targets.count, lo + share)
            guard lo < hi else { return }
            let results = inversion.invertBatch(Array(targets[lo..<hi]), evidence: evidence)
            for (k, r) in results.enumerated() { box.value[lo + k] = r }
        }
        BLAS.setThreads(1)
        if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
        return (0..<targets.count).map { (slots[$0].0, slots[$0].1) }
    }

    /// Adds μ · ∂/∂x ‖G(x) − G‖² / ‖G‖² into `gradient` (see `ConvolutionEvidence`), after a forward pass of the
    /// current images through the feature layer.
    private func addEvidenceGradient(
        _ evidence: ConvolutionEvidence, ws: Workspace, batch n: Int, into gradient: inout [Float]
    ) {
        let c = evidence.layer
        guard let conv = model.layers[c] as? Conv2D else { return }
        let e = [Float]((0..<n).flatMap { _ in evidence.featureGradient })
        // δ = ∂L/∂(conv output) through the layers above it, and a = the conv's input, for every sample.
        let delta = Array(e.withUnsafeBufferPointer {
            model.backward(ws, batch: n, outputGradient: $0.baseAddress!, ofLayer: featureLayer, downTo: c + 1)
        })
        let a = c == 0 ? Array(ws.input.scalars.prefix(n * conv.inputSize)) : Array(model.output(ws, ofLayer: c - 1, batch: n))
        let cache = conv.makeCache(maxBatch: 1)
        let (outSize, inSize) = (conv.outputSize, conv.inputSize)
        let weights = evidence.weightGradient.count
        let norm = evidence.weightGradient.reduce(0) { $0 + Double($1) * Double($1) }
        guard norm > 0 else { return }
        var dA = [Float](repeating: 0, count: n * inSize)
        var predicted = [Float](repeating: 0, count: conv.parameterCount)
        for s in 0..<n {
            predicted.withUnsafeMutableBufferPointer { g in
                g.update(repeating: 0)
                conv.backward(
                    a.withUnsafeBufferPointer { $0.baseAddress! + s * inSize }, a, delta.withUnsafeBufferPointer {
                        $0.baseAddress! + s * outSize
                    }, nil, batch: 1, params: model.parameters.pointer, grads: g.baseAddress!, cache: cache)
                // (y and the weights are not read when no input gradient is asked for.)
            }
            // ∂/∂a of μ‖G(a) − G‖²/‖G‖²: the conv's input gradient with the residual 2μ(G(a) − G)/‖G‖² as weights.
            let residual = (0..<weights).map { 2 * evidenceWeight * (predicted[$0] - evidence.weightGradient[$0]) / Float(norm) }
            a.withUnsafeBufferPointer { ap in
                delta.withUnsafeBufferPointer { dp in
                    dA.withUnsafeMutableBufferPointer { out in
                        conv.backward(
                            ap.baseAddress! + s * inSize, ap.baseAddress!, dp.baseAddress! + s * outSize,
                            out.baseAddress! + s * inSize, batch: 1, params: residual, grads: nil, cache: cache)
                    }
                }
            }
        }
        if c == 0 {
            for i in gradient.indices { gradient[i] += dA[i] }
            return
        }
        let dx = dA.withUnsafeBufferPointer {
            model.backward(ws, batch: n, outputGradient: $0.baseAddress!, ofLayer: c - 1)
        }
        for i in gradient.indices { gradient[i] += dx[i] }
    }

    /// Adds λ/|seen| · ∂TV/∂x of the image at `offset` into `gradient`, TV = Σ √(dx² + dy² + β) over the seen
    /// pixels with forward differences inside the seen region (β = 10⁻⁴ smooths the kink at 0).
    private func addTotalVariationGradient(_ x: [Float], at offset: Int, width: Int, into gradient: inout [Float]) {
        let region = seen
        let scale = smoothness / Float(region.count), beta: Float = 1e-4
        for row in 0..<region.rows {
            for column in 0..<region.columns {
                let p = offset + row * width + column
                let dx = column + 1 < region.columns ? x[p + 1] - x[p] : 0
                let dy = row + 1 < region.rows ? x[p + width] - x[p] : 0
                let t = (dx * dx + dy * dy + beta).squareRoot()
                gradient[p] -= scale * (dx + dy) / t
                if column + 1 < region.columns { gradient[p + 1] += scale * dx / t }
                if row + 1 < region.rows { gradient[p + width] += scale * dy / t }
            }
        }
    }

    /// The inversion of a few targets at once in one workspace (the loss is a sum over samples).
    private func invertBatch(_ targets: [[Float]], evidence: [ConvolutionEvidence]) -> [([Float], Double)] {
        let n = targets.count, size = model.inputSize, d = model.layers[featureLayer].outputSize
        let shape = model.spec.inputShape
        let ws = Workspace(model: model, maxBatch: n, gradients: .activations)
        let target = targets.flatMap { $0 }
        let weights = targets.map { h -> Float in
            let norm = h.reduce(0) { $0 + Double($1) * Double($1) }
            return norm > 0 ? Float(1 / norm) : 1
        }
        var x = [Float](repeating: 0.5, count: n * size)
        var m = [Float](repeating: 0, count: n * size), v = m
        var dF = [Float](repeating: 0, count: n * d)
        let (b1, b2, eps): (Float, Float, Float) = (0.9, 0.999, 1e-8)
        for step in 1...max(1, iterations) {
            ws.input.scalars.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: x) }
            let f = model.forward(ws, batch: n, mode: .inference, through: featureLayer)
            // dL/df = 2 (f − h) / ‖h‖², per sample.
            for s in 0..<n {
                for j in 0..<d { dF[s * d + j] = 2 * (f[s * d + j] - target[s * d + j]) * weights[s] }
            }
            let dFeatures = dF.withUnsafeBufferPointer {
                model.backward(ws, batch: n, outputGradient: $0.baseAddress!, ofLayer: featureLayer)
            }
            var dx = Array(dFeatures)
            for clue in evidence { addEvidenceGradient(clue, ws: ws, batch: n, into: &dx) }
            if smoothness > 0 {
                for s in 0..<n { addTotalVariationGradient(x, at: s * size, width: shape[2], into: &dx) }
            }
            let t = Float(step)
            let progress = Double(step - 1) / Double(max(1, iterations - 1))
            let lr = learningRate * Float(0.1 + 0.45 * (1 + cos(Double.pi * progress)))
            let c1 = 1 - pow(b1, t), c2 = 1 - pow(b2, t)
            for i in 0..<(n * size) {
                let g = dx[i]
                m[i] = b1 * m[i] + (1 - b1) * g
                v[i] = b2 * v[i] + (1 - b2) * g * g
                x[i] = min(1, max(0, x[i] - lr * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)))
            }
        }
        // The loss at the final image.
        ws.input.scalars.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: x) }
        let f = model.forward(ws, batch: n, mode: .inference, through: featureLayer)
        let losses = (0..<n).map { s in
            (0..<d).reduce(0.0) { sum, j in
                let r = Double(f[s * d + j] - target[s * d + j])
                return sum + r * r
            } * Double(weights[s])
        }
        let region = seen
        return (0..<n).map { s in
            let image = Array(x[(s * size)..<((s + 1) * size)])
            return (region.extendingEdges(of: image, width: shape[2], height: shape[1]), losses[s])
        }
    }
}
