import GrowdaTensor

/// Whether a forward pass is for training (dropout on, batch statistics) or inference.
public enum PassMode: Sendable {
    case training, inference
}

/// A named slice of the model's one parameter buffer, e.g. `layers.0.weight` of shape (32, 1, 3, 3).
public struct ParameterView: Sendable, Equatable {
    /// The tensor's name in checkpoints and on the wire.
    public let name: String
    /// Its shape (PyTorch's layout: conv weights (out, in, kH, kW), dense weights (out, in)).
    public let shape: [Int]
    /// Where it lies in the flat parameter (or state) buffer.
    public let range: Range<Int>
}

/// What a layer declares about one of its parameter tensors before offsets are assigned.
public struct ParameterDecl: Sendable {
    /// The suffix after `layers.<index>.`, e.g. "weight".
    public let suffix: String
    /// The tensor's shape.
    public let shape: [Int]
    /// How initialisation fills it.
    public let initializer: Initializer

    /// How a parameter tensor starts.
    public enum Initializer: Sendable {
        /// He (Kaiming) uniform for a ReLU network: U(−√(6/fanIn), √(6/fanIn)).
        case heUniform(fanIn: Int)
        /// Every value `v`.
        case constant(Float)
    }
}

/// Per-worker memory a layer keeps between its forward and backward passes (pool indices, dropout
/// masks, im2col scratch, batch statistics). One instance belongs to one worker thread.
public class LayerCache: @unchecked Sendable {
    /// A cache with nothing in it.
    public init() {}
}

/// One differentiable layer. Layers are immutable after construction and shared by all workers;
/// everything a pass writes lives in the worker's buffers and `LayerCache`.
///
/// Shapes are per sample: (C, H, W) for feature maps, (N) once flat. Buffers hold `batch` samples
/// back to back. `params` and `grads` point at this layer's own slice of the model's flat buffers.
public protocol Layer: AnyObject, Sendable {
    /// Per-sample input shape.
    var inputShape: [Int] { get }
    /// Per-sample output shape.
    var outputShape: [Int] { get }
    /// The trainable tensors this layer owns, in buffer order.
    var parameterDecls: [ParameterDecl] { get }
    /// Non-trainable state tensors (e.g. running statistics), in state-buffer order.
    var stateDecls: [ParameterDecl] { get }
    /// Floating-point operations of one forward pass for one sample (multiply-add counts as 2).
    var forwardFlops: Int { get }
    /// The part of `forwardFlops` done in GEMMs (convolutions and dense layers): what a training step
    /// repeats three times (forward, input gradient, weight gradient) at BLAS speed.
    var gemmFlops: Int { get }
    /// Whether one sample's output depends on the other samples of its batch while training (batch
    /// normalisation's batch statistics): then per-sample gradients, as DP-SGD needs, are not defined.
    var mixesSamples: Bool { get }
    /// Whether the layer convolves (a convolution, or a block of them): Grad-CAM explains the output of
    /// the last such layer.
    var isConvolution: Bool { get }
    /// Whether forward may write its output over its input (an elementwise layer whose backward never
    /// reads x). The model then gives it no buffer of its own.
    var canRunInPlace: Bool { get }
    /// Whether backward reads this layer's own output y (then the next layer must not overwrite it).
    var readsOutputInBackward: Bool { get }

    /// A fresh per-worker cache sized for up to `maxBatch` samples, or nil if the layer keeps nothing.
    func makeCache(maxBatch: Int) -> LayerCache?

    /// x: (batch, inputShape) -> y: (batch, outputShape).
    func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
        params: UnsafePointer<Float>, state: UnsafeMutablePointer<Float>,
        cache: LayerCache?, mode: PassMode, rng: inout SeededGenerator)

    /// Given dy = ∂L/∂y, adds ∂L/∂params into `grads` and writes ∂L/∂x into `dx`; each is skipped when
    /// nil (no `grads`: an input gradient only, as Grad-CAM asks for, without the weight-gradient GEMMs).
    func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int,
        params: UnsafePointer<Float>, grads: UnsafeMutablePointer<Float>?, cache: LayerCache?)
}

extension Layer {
    /// Elements per input sample.
    public var inputSize: Int { inputShape.reduce(1, *) }
    /// Elements per output sample.
    public var outputSize: Int { outputShape.reduce(1, *) }
    /// Trainable scalars this layer owns.
    public var parameterCount: Int { parameterDecls.reduce(0) { $0 + $1.shape.reduce(1, *) } }
    /// Non-trainable state scalars this layer owns.
    public var stateCount: Int { stateDecls.reduce(0) { $0 + $1.shape.reduce(1, *) } }
    /// By default a layer owns no state.
    public var stateDecls: [ParameterDecl] { [] }
    /// By default a layer keeps nothing between passes.
    public func makeCache(maxBatch: Int) -> LayerCache? { nil }
    /// By default a layer writes a buffer of its own.
    public var canRunInPlace: Bool { false }
    /// By default backward does not read the layer's output.
    public var readsOutputInBackward: Bool { false }
    /// By default no GEMM work.
    public var gemmFlops: Int { 0 }
    /// By default each sample goes through on its own.
    public var mixesSamples: Bool { false }
    /// By default not a convolution.
    public var isConvolution: Bool { false }
}

/// A layer whose running state is folded from every worker's cache once a step is done
/// (batch normalisation's running mean and variance).
public protocol StatefulLayer: Layer {
    /// Updates `state` from the caches of the workers that took part in the last training step.
    func commitState(_ state: UnsafeMutablePointer<Float>, caches: [LayerCache?])
}
