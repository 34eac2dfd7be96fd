import GrowdaTensor

/// A network built from a `ModelSpec`, with all its parameters in one contiguous buffer.
///
/// The flat parameter vector is what federated learning ships (deltas, norms, averaging are single
/// vector operations over it); `parameterViews` name its slices as checkpoints and PyTorch do
/// (`layers.<i>.weight`, `layers.<i>.bias`). Non-trainable state (batch-norm running statistics)
/// lives in a second flat buffer with its own views.
public final class Model: @unchecked Sendable {
    /// The declarative spec this model was built from.
    public let spec: ModelSpec
    /// The layers, input to output.
    public let layers: [any Layer]
    /// Every trainable scalar, layer after layer.
    public let parameters: FloatBuffer
    /// Every non-trainable state scalar, layer after layer.
    public let state: FloatBuffer
    /// Named slices of `parameters`.
    public let parameterViews: [ParameterView]
    /// Named slices of `state`.
    public let stateViews: [ParameterView]
    /// Where each layer's parameters start in `parameters`.
    let parameterOffsets: [Int]
    /// Where each layer's state starts in `state`.
    let stateOffsets: [Int]
    /// Whether each layer writes its output over its input (see `Layer.canRunInPlace`).
    let runsInPlace: [Bool]
    /// The softmax temperature T its probabilities are computed at (see `Calibration`): 1 until one is
    /// fitted on validation data; checkpoints keep it. Set it before sharing the model between threads.
    public var temperature: Float = 1

    /// Builds the layers of `spec` and initialises the parameters from `seed`.
    public init(spec: ModelSpec, seed: UInt64 = 0) throws {
        guard !spec.classes.isEmpty else { throw ModelError.badShape("a model needs at least one class") }
        self.spec = spec
        var shape = spec.inputShape
        if shape.count == 2 { shape = [shape[0], 1, shape[1]] }  // (C, L) runs as (C, 1, L)
        guard shape.count == 3, shape.allSatisfy({ $0 > 0 }) else {
            throw ModelError.badShape("input shape must be (C, H, W) or (C, L), got \(spec.inputShape)")
        }
        var layers: [any Layer] = []
        for layerSpec in spec.layers {
            let layer = try Model.makeLayer(layerSpec, inputShape: shape)
            layers.append(layer)
            shape = layer.outputShape
        }
        guard shape.reduce(1, *) == spec.classes.count else {
            throw ModelError.badShape(
                "the last layer gives \(shape) values, but there are \(spec.classes.count) classes")
        }
        self.layers = layers

        var views: [ParameterView] = [], stateViews: [ParameterView] = []
        var offsets: [Int] = [], stateOffsets: [Int] = []
        var offset = 0, stateOffset = 0
        for (i, layer) in layers.enumerated() {
            offsets.append(offset)
            for decl in layer.parameterDecls {
                let n = decl.shape.reduce(1, *)
                views.append(
                    ParameterView(name: "layers.\(i).\(decl.suffix)", shape: decl.shape, range: offset..<(offset + n)))
                offset += n
            }
            stateOffsets.append(stateOffset)
            for decl in layer.stateDecls {
                let n = decl.shape.reduce(1, *)
                stateViews.append(
                    ParameterView(
                        name: "layers.\(i).\(decl.suffix)", shape: decl.shape, range: stateOffset..<(stateOffset + n)))
                stateOffset += n
            }
        }
        parameterViews = views
        self.stateViews = stateViews
        runsInPlace = layers.indices.map { i in
            i > 0 && layers[i].canRunInPlace && !layers[i - 1].readsOutputInBackward
        }
        parameterOffsets = offsets
        self.stateOffsets = stateOffsets
        parameters = FloatBuffer(count: offset)
        state = FloatBuffer(count: stateOffset)
        initialize(seed: seed)
    }

    /// A reference model (`small28`, `xray128`, `ecg187`, `resnet128`) for the given classes.
    public convenience init(reference name: String, classes: [String], seed: UInt64 = 0) throws {
        guard let spec = ModelSpec.reference(name, classes: classes) else { throw ModelError.unknownModel(name) }
        try self.init(spec: spec, seed: seed)
    }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.count }

    /// Elements in one input sample.
    public var inputSize: Int { spec.inputShape.reduce(1, *) }

    /// The number of classes (logits per sample).
    public var classCount: Int { spec.classes.count }

    /// Floating-point operations of one forward pass for one sample.
    public var forwardFlops: Int { layers.reduce(0) { $0 + $1.forwardFlops } }

    /// Resets every parameter and state tensor to its initial value, drawing from `seed`.
    public func initialize(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for (layer, (pOffset, sOffset)) in zip(layers, zip(parameterOffsets, stateOffsets)) {
            var p = pOffset
            for decl in layer.parameterDecls {
                let n = decl.shape.reduce(1, *)
                Model.fill(parameters.pointer + p, count: n, decl.initializer, &rng)
                p += n
            }
            var s = sOffset
            for decl in layer.stateDecls {
                let n = decl.shape.reduce(1, *)
                Model.fill(state.pointer + s, count: n, decl.initializer, &rng)
                s += n
            }
        }
    }

    private static func fill(
        _ p: UnsafeMutablePointer<Float>, count: Int, _ initializer: ParameterDecl.Initializer,
        _ rng: inout SeededGenerator
    ) {
        switch initializer {
        case .constant(let v):
            p.update(repeating: v, count: count)
        case .heUniform(let fanIn):
            let bound = (6 / Float(max(fanIn, 1))).squareRoot()
            for i in 0..<count { p[i] = rng.uniform(-bound, bound) }
        }
    }

    static func makeLayer(_ spec: LayerSpec, inputShape shape: [Int]) throws -> any Layer {
        switch spec {
        case .conv2d(let filters, let kernel, let stride, let padding):
            return try Conv2D(
                inputShape: shape, filters: filters, kernelH: kernel, kernelW: kernel, stride: stride, padding: padding)
        case .conv1d(let filters, let kernel, let stride, let padding):
            guard shape.count == 3, shape[1] == 1 else {
                throw ModelError.badShape("conv1d needs a (C, L) input, got \(shape)")
            }
            return try Conv2D(
                inputShape: shape, filters: filters, kernelH: 1, kernelW: kernel, stride: stride, padding: padding)
        case .maxPool2d(let size, let stride):
            return try MaxPool2D(inputShape: shape, sizeH: size, sizeW: size, strideH: stride, strideW: stride)
        case .maxPool1d(let size, let stride):
            guard shape.count == 3, shape[1] == 1 else {
                throw ModelError.badShape("maxPool1d needs a (C, L) input, got \(shape)")
            }
            return try MaxPool2D(inputShape: shape, sizeH: 1, sizeW: size, strideH: 1, strideW: stride)
        case .dense(let units):
            return try Dense(inputShape: shape, units: units)
        case .relu:
            return ReLU(shape: shape)
        case .dropout(let rate):
            return try Dropout(shape: shape, rate: rate)
        case .batchNorm:
            return try BatchNorm2D(shape: shape)
        case .flatten:
            return Flatten(shape: shape)
        case .globalAvgPool:
            return try GlobalAveragePool(shape: shape)
        case .residual(let filters, let stride):
            return try ResidualBlock(inputShape: shape, filters: filters, stride: stride)
        }
    }
}

extension Model {
    /// Floating-point operations of one training step for one sample, counted the usual way:
    /// three times the forward GEMM work of the convolution and dense layers, those inside residual
    /// blocks too (forward, input gradient, weight gradient). Pooling, batch norm and activations are
    /// left out.
    public var trainingFlops: Int { 3 * layers.reduce(0) { $0 + $1.gemmFlops } }
}
