import GrowdaTensor

/// One worker's memory for forward and backward passes over up to `maxBatch` samples: the input,
/// every layer's output, two gradient buffers, its own gradient accumulator and layer caches.
///
/// A workspace belongs to one thread at a time. Data-parallel training gives each worker thread
/// its own, runs a share of the batch through it, and sums the workers' gradients afterwards.
public final class Workspace: @unchecked Sendable {
    /// The most samples one pass may hold.
    public let maxBatch: Int
    /// Input samples, (maxBatch, inputShape); fill it, then call `Model.forward`.
    public var input: Tensor
    /// The labels of the samples in `input`.
    public var labels: [Int32]
    /// Each layer's output.
    let outputs: [FloatBuffer]
    /// Gradient with respect to the current layer's output, and to its input (empty for inference).
    let gradA: FloatBuffer, gradB: FloatBuffer
    /// This worker's accumulated ∂L/∂parameters (same layout as `Model.parameters`; empty unless training).
    public let grads: FloatBuffer
    /// Which gradients this workspace has room for.
    public let gradients: Gradients
    /// Whether this workspace can run full backward passes (parameter gradients too).
    public var forTraining: Bool { gradients == .activationsAndParameters }
    /// Per-layer caches.
    let caches: [LayerCache?]
    /// This worker's random stream (dropout masks, augmentation).
    public var rng: SeededGenerator

    /// Which gradient buffers a workspace holds.
    public enum Gradients: Sendable {
        /// None: forward passes only.
        case none
        /// Gradients with respect to layer outputs, but no parameter gradients: enough for
        /// `Model.backward(_:batch:dLogits:toOutputOf:)` (Grad-CAM).
        case activations
        /// Both: what training needs.
        case activationsAndParameters
    }

    /// A workspace for `model` holding up to `maxBatch` samples; an inference-only one (`forTraining`
    /// false) has no gradient buffers, which halves its memory.
    public convenience init(model: Model, maxBatch: Int, seed: UInt64 = 0, forTraining: Bool = true) {
        self.init(
            model: model, maxBatch: maxBatch, seed: seed, gradients: forTraining ? .activationsAndParameters : .none)
    }

    /// A workspace for `model` holding up to `maxBatch` samples, with room for `gradients`.
    public init(model: Model, maxBatch: Int, seed: UInt64 = 0, gradients: Gradients) {
        self.maxBatch = maxBatch
        self.gradients = gradients
        input = Tensor(shape: [maxBatch] + model.spec.inputShape)
        labels = Array(repeating: 0, count: maxBatch)
        // A layer run in place shares the buffer of the layer before it.
        var outputs: [FloatBuffer] = []
        for (i, layer) in model.layers.enumerated() {
            outputs.append(model.runsInPlace[i] ? outputs[i - 1] : FloatBuffer(count: maxBatch * layer.outputSize))
        }
        self.outputs = outputs
        let widest = model.layers.reduce(model.inputSize) { max($0, $1.outputSize) }
        let activations = gradients == .none ? 0 : maxBatch * widest
        gradA = FloatBuffer(count: activations)
        gradB = FloatBuffer(count: activations)
        grads = FloatBuffer(count: gradients == .activationsAndParameters ? model.parameterCount : 0)
        caches = model.layers.map { $0.makeCache(maxBatch: maxBatch) }
        rng = SeededGenerator(seed: seed)
    }

    /// The logits of the last forward pass, (batch, classes).
    public func logits(batch: Int, classes: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: outputs[outputs.count - 1].pointer, count: batch * classes)
    }
}

extension Model {
    /// Runs `batch` samples from `ws.input` through every layer; returns the logits, (batch, classes).
    @discardableResult
    public func forward(_ ws: Workspace, batch: Int, mode: PassMode) -> UnsafeBufferPointer<Float> {
        forward(ws, batch: batch, mode: mode, through: layers.count - 1)
        return ws.logits(batch: batch, classes: classCount)
    }

    /// Runs `batch` samples from `ws.input` through layers 0 … `last` only and returns the output of layer
    /// `last`, (batch, layers[last].outputShape). It lives in the workspace until its next forward pass; a
    /// `backward(_:batch:outputGradient:ofLayer:)` from `last` may follow.
    @discardableResult
    public func forward(_ ws: Workspace, batch: Int, mode: PassMode, through last: Int) -> UnsafeBufferPointer<Float> {
        precondition(batch <= ws.maxBatch, "batch \(batch) exceeds workspace capacity \(ws.maxBatch)")
        precondition(layers.indices.contains(last), "no layer \(last) in a model of \(layers.count)")
        ws.input.scalars.withUnsafeBufferPointer { input in
            var x = UnsafePointer(input.baseAddress!)
            for i in 0...last {
                let y = ws.outputs[i].pointer
                layers[i].forward(
                    x, y, batch: batch, params: parameters.pointer + parameterOffsets[i],
                    state: state.pointer + stateOffsets[i], cache: ws.caches[i], mode: mode, rng: &ws.rng)
                x = UnsafePointer(y)
            }
        }
        return UnsafeBufferPointer(start: ws.outputs[last].pointer, count: batch * layers[last].outputSize)
    }

    /// Back-propagates ∂L/∂logits (batch, classes) through every layer, adding ∂L/∂parameters
    /// into `ws.grads`. Call after `forward` on the same workspace and batch.
    public func backward(_ ws: Workspace, batch: Int, dLogits: UnsafePointer<Float>) {
        precondition(ws.forTraining, "backward needs a workspace made for training")
        _ = backward(
            ws, batch: batch, gradient: dLogits, fromOutputOf: layers.count - 1, downTo: 0, parameterGradients: true,
            inputGradient: false)
    }

    /// Back-propagates ∂s/∂logits (batch, classes) through the layers above layer `index` only, with no
    /// parameter gradients, and returns ∂s/∂(output of layer `index`), (batch, layers[index].outputShape).
    /// The result lives in the workspace until its next backward pass. Call after `forward` on the same
    /// workspace and batch; the workspace needs `.activations` gradients or more.
    public func backward(
        _ ws: Workspace, batch: Int, dLogits: UnsafePointer<Float>, toOutputOf index: Int
    ) -> UnsafeBufferPointer<Float> {
        precondition(ws.gradients != .none, "backward needs a workspace with gradient buffers")
        precondition(layers.indices.contains(index), "no layer \(index) in a model of \(layers.count)")
        let gradient = backward(
            ws, batch: batch, gradient: dLogits, fromOutputOf: layers.count - 1, downTo: index + 1,
            parameterGradients: false, inputGradient: false)
        return UnsafeBufferPointer(start: gradient, count: batch * layers[index].outputSize)
    }

    /// Back-propagates ∂s/∂(output of layer `top`), (batch, layers[top].outputShape), through layers `top` …
    /// `lowest` with no parameter gradients, and returns ∂s/∂(input of layer `lowest`): for `lowest` 0 the
    /// gradient with respect to the model's input, (batch, inputShape), which is what inverting a model (searching
    /// for an input that gives wanted features) needs. The result lives in the workspace until its next backward
    /// pass. Call after `forward` (through `top` at least) on the same workspace and batch; the workspace needs
    /// `.activations` gradients or more.
    public func backward(
        _ ws: Workspace, batch: Int, outputGradient: UnsafePointer<Float>, ofLayer top: Int, downTo lowest: Int = 0
    ) -> UnsafeBufferPointer<Float> {
        precondition(ws.gradients != .none, "backward needs a workspace with gradient buffers")
        precondition(layers.indices.contains(top), "no layer \(top) in a model of \(layers.count)")
        precondition((0...top).contains(lowest), "layer \(lowest) is not at or below layer \(top)")
        let gradient = backward(
            ws, batch: batch, gradient: outputGradient, fromOutputOf: top, downTo: lowest, parameterGradients: false,
            inputGradient: lowest == 0)
        return UnsafeBufferPointer(start: gradient, count: batch * layers[lowest].inputSize)
    }

    /// The output of layer `index` for the `batch` samples of the last forward pass, (batch,
    /// layers[index].outputShape): valid when the pass reached `index` and no layer after it ran in place over it
    /// (a layer before a convolution, pooling or dense layer always keeps its output).
    public func output(_ ws: Workspace, ofLayer index: Int, batch: Int) -> UnsafeBufferPointer<Float> {
        precondition(layers.indices.contains(index), "no layer \(index) in a model of \(layers.count)")
        return UnsafeBufferPointer(start: ws.outputs[index].pointer, count: batch * layers[index].outputSize)
    }

    /// Runs the backward of layers `top` … `lowest` from ∂s/∂(output of `top`); returns the last gradient
    /// written: ∂s/∂(input of layer `lowest`) when `lowest` > 0 or `inputGradient` (layer 0's input gradient is
    /// computed only when asked for: training never needs it).
    private func backward(
        _ ws: Workspace, batch: Int, gradient: UnsafePointer<Float>, fromOutputOf top: Int, downTo lowest: Int,
        parameterGradients: Bool, inputGradient: Bool
    ) -> UnsafePointer<Float> {
        var dy = ws.gradA.pointer, dx = ws.gradB.pointer
        dy.update(from: gradient, count: batch * layers[top].outputSize)
        ws.input.scalars.withUnsafeBufferPointer { input in
            for i in stride(from: top, through: lowest, by: -1) {
                let layer = layers[i]
                let x = i == 0 ? input.baseAddress! : UnsafePointer(ws.outputs[i - 1].pointer)
                layer.backward(
                    x, ws.outputs[i].pointer, dy, i > 0 || inputGradient ? dx : nil, batch: batch,
                    params: parameters.pointer + parameterOffsets[i],
                    grads: parameterGradients ? ws.grads.pointer + parameterOffsets[i] : nil, cache: ws.caches[i])
                swap(&dy, &dx)
            }
        }
        return UnsafePointer(dy)
    }

    /// Folds running state (batch-norm statistics) from the workspaces that took part in a step.
    public func commitState(from workspaces: [Workspace]) {
        for (i, layer) in layers.enumerated() {
            guard let stateful = layer as? any StatefulLayer else { continue }
            stateful.commitState(state.pointer + stateOffsets[i], caches: workspaces.map { $0.caches[i] })
        }
    }
}
