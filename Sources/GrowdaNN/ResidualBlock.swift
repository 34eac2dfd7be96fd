import GrowdaTensor

/// A ResNet basic block (He et al. 2016) as one layer:
///
///     main:     conv1 3×3 (stride s, pad 1) → bn1 → ReLU → conv2 3×3 (pad 1) → bn2
///     shortcut: x itself when s = 1 and C = F; else shortcut.conv 1×1 (stride s) → shortcut.bn
///     y = main + shortcut
///
/// x: (N, C, H, W) -> y: (N, F, H', W') with H' = ⌊(H − 1) / s⌋ + 1. The ReLU after the sum is not part
/// of the block: a spec writes it as the `.relu` that follows. The block is built from the engine's own
/// `Conv2D`, `BatchNorm2D` and `ReLU` and runs their forward and backward passes; its parameter and state
/// slices are theirs, back to back, named as torchvision names a `BasicBlock`'s (`conv1.weight`,
/// `bn1.running_mean`, `shortcut.conv.weight`, …). The convolutions keep their bias (a `Conv2D` always has
/// one); in front of a batch norm that trains on batch statistics its gradient is zero, so it stays at 0.
///
/// Forward keeps, in the worker's cache: conv1's output, bn1's output rectified in place, conv2's output
/// and, with a projection, shortcut.conv's output (plus each sublayer's own cache: the batch norms' x̂).
/// Batch normalisation makes the block mix the samples of a batch while training (`mixesSamples`), and
/// its three batch norms keep running statistics, folded from every worker after a step (`commitState`).
public final class ResidualBlock: StatefulLayer {
    /// Per-sample input shape (C, H, W).
    public let inputShape: [Int]
    /// Per-sample output shape (F, H', W').
    public let outputShape: [Int]
    /// Output channels F.
    public let filters: Int
    /// The stride s of conv1 and of the projection.
    public let stride: Int
    /// The main path.
    public let conv1: Conv2D, bn1: BatchNorm2D, relu: ReLU, conv2: Conv2D, bn2: BatchNorm2D
    /// The projection shortcut, nil when the shortcut is the identity (s = 1 and C = F).
    public let projection: (conv: Conv2D, bn: BatchNorm2D)?

    /// The sublayers with their name prefixes, in parameter- and state-buffer order.
    private let parts: [(prefix: String, layer: any Layer)]
    /// Where each part's parameters and state start within the block's slices.
    private let parameterOffsets: [Int], stateOffsets: [Int]

    /// A block over samples of `inputShape` (C, H, W) with `filters` output channels and `stride` s ≥ 1.
    public init(inputShape: [Int], filters: Int, stride: Int) throws {
        guard inputShape.count == 3 else {
            throw ModelError.badShape("a residual block needs a (C, H, W) input, got \(inputShape)")
        }
        guard filters > 0, stride >= 1 else {
            throw ModelError.badShape("a residual block needs filters ≥ 1 and stride ≥ 1, got \(filters), \(stride)")
        }
        self.inputShape = inputShape
        self.filters = filters
        self.stride = stride
        conv1 = try Conv2D(inputShape: inputShape, filters: filters, kernelH: 3, kernelW: 3, stride: stride, padding: 1)
        let mid = conv1.outputShape
        bn1 = try BatchNorm2D(shape: mid)
        relu = ReLU(shape: mid)
        conv2 = try Conv2D(inputShape: mid, filters: filters, kernelH: 3, kernelW: 3, stride: 1, padding: 1)
        bn2 = try BatchNorm2D(shape: mid)
        outputShape = mid
        if stride == 1 && inputShape[0] == filters {
            projection = nil
        } else {
            let conv = try Conv2D(
                inputShape: inputShape, filters: filters, kernelH: 1, kernelW: 1, stride: stride, padding: 0)
            guard conv.outputShape == mid else {
                throw ModelError.badShape("the 1×1 shortcut gives \(conv.outputShape), the main path \(mid)")
            }
            projection = (conv, try BatchNorm2D(shape: mid))
        }
        var parts: [(prefix: String, layer: any Layer)] = [
            ("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2),
        ]
        if let projection { parts += [("shortcut.conv", projection.conv), ("shortcut.bn", projection.bn)] }
        self.parts = parts
        var p = 0, s = 0
        var parameterOffsets: [Int] = [], stateOffsets: [Int] = []
        for part in parts {
            parameterOffsets.append(p)
            stateOffsets.append(s)
            p += part.layer.parameterCount
            s += part.layer.stateCount
        }
        self.parameterOffsets = parameterOffsets
        self.stateOffsets = stateOffsets
    }

    /// The sublayers' parameters, each suffix prefixed with its sublayer's name (`conv1.weight`, …).
    public var parameterDecls: [ParameterDecl] {
        parts.flatMap { part in
            part.layer.parameterDecls.map {
                ParameterDecl(suffix: "\(part.prefix).\($0.suffix)", shape: $0.shape, initializer: $0.initializer)
            }
        }
    }

    /// The batch norms' running statistics (`bn1.running_mean`, …).
    public var stateDecls: [ParameterDecl] {
        parts.flatMap { part in
            part.layer.stateDecls.map {
                ParameterDecl(suffix: "\(part.prefix).\($0.suffix)", shape: $0.shape, initializer: $0.initializer)
            }
        }
    }

    /// The sublayers' work, the ReLU's and the sum's.
    public var forwardFlops: Int { parts.reduce(0) { $0 + $1.layer.forwardFlops } + relu.forwardFlops + outputSize }
    /// The convolutions'.
    public var gemmFlops: Int { parts.reduce(0) { $0 + $1.layer.gemmFlops } }
    /// Its batch norms train on batch statistics.
    public var mixesSamples: Bool { true }
    /// A block of convolutions: Grad-CAM may explain its output.
    public var isConvolution: Bool { true }

    final class Cache: LayerCache, @unchecked Sendable {
        /// Each part's own cache, in `parts` order.
        let parts: [LayerCache?]
        /// conv1's output, bn1's output (rectified in place), conv2's output, the projection's conv output:
        /// (maxBatch, F, H', W') each.
        let c1: FloatBuffer, h1: FloatBuffer, c2: FloatBuffer, cs: FloatBuffer
        /// Two gradient scratch buffers of the output's size and one of the input's (for the sum of the
        /// paths' input gradients).
        let g1: FloatBuffer, g2: FloatBuffer, dxMain: FloatBuffer
        init(parts: [LayerCache?], output: Int, input: Int, projected: Bool) {
            self.parts = parts
            c1 = FloatBuffer(count: output)
            h1 = FloatBuffer(count: output)
            c2 = FloatBuffer(count: output)
            cs = FloatBuffer(count: projected ? output : 0)
            g1 = FloatBuffer(count: output)
            g2 = FloatBuffer(count: output)
            dxMain = FloatBuffer(count: input)
        }
    }

    /// The intermediates of `maxBatch` samples and every sublayer's cache.
    public func makeCache(maxBatch: Int) -> LayerCache? {
        Cache(
            parts: parts.map { $0.layer.makeCache(maxBatch: maxBatch) }, output: maxBatch * outputSize,
            input: maxBatch * inputSize, projected: projection != nil)
    }

    /// y = bn2(conv2(ReLU(bn1(conv1(x))))) + shortcut(x).
    public func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
        params: UnsafePointer<Float>, state: UnsafeMutablePointer<Float>,
        cache: LayerCache?, mode: PassMode, rng: inout SeededGenerator
    ) {
        let c = cache as! Cache
        func run(_ i: Int, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
            parts[i].layer.forward(
                input, output, batch: batch, params: params + parameterOffsets[i], state: state + stateOffsets[i],
                cache: c.parts[i], mode: mode, rng: &rng)
        }
        let count = batch * outputSize
        run(0, x, c.c1.pointer)  // conv1: (C, H, W) -> (F, H', W')
        run(1, c.c1.pointer, c.h1.pointer)  // bn1
        VectorOps.relu(c.h1.pointer, c.h1.pointer, count: count)
        run(2, c.h1.pointer, c.c2.pointer)  // conv2
        run(3, c.c2.pointer, y)  // bn2, straight into y
        if projection != nil {
            run(4, x, c.cs.pointer)  // shortcut.conv: (C, H, W) -> (F, H', W')
            run(5, c.cs.pointer, c.g1.pointer)  // shortcut.bn, in scratch: backward needs only its x̂
            BLAS.axpy(count: count, alpha: 1, c.g1.pointer, y)
        } else {
            BLAS.axpy(count: count, alpha: 1, x, y)
        }
    }

    /// dy reaches both paths unchanged: back through bn2, conv2, the ReLU, bn1 and conv1 on the main path,
    /// through shortcut.bn and shortcut.conv (or straight) on the shortcut; dx is the sum of the two.
    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int,
        params: UnsafePointer<Float>, grads: UnsafeMutablePointer<Float>?, cache: LayerCache?
    ) {
        let c = cache as! Cache
        func run(
            _ i: Int, _ input: UnsafePointer<Float>, _ output: UnsafePointer<Float>, _ dOutput: UnsafePointer<Float>,
            _ dInput: UnsafeMutablePointer<Float>?
        ) {
            parts[i].layer.backward(
                input, output, dOutput, dInput, batch: batch, params: params + parameterOffsets[i],
                grads: grads.map { $0 + parameterOffsets[i] }, cache: c.parts[i])
        }
        let count = batch * outputSize
        let (g1, g2) = (c.g1.pointer, c.g2.pointer)
        // Main path. The batch norms read only their cached x̂, so their y arguments are never read.
        run(3, c.c2.pointer, y, dy, g1)  // bn2: dy -> dc2
        run(2, c.h1.pointer, c.c2.pointer, g1, g2)  // conv2: dc2 -> dh1
        VectorOps.reluBackward(c.h1.pointer, g2, g2, count: count)
        run(1, c.c1.pointer, c.h1.pointer, g2, g1)  // bn1: dh1 -> dc1
        let mainDx = dx == nil ? nil : (projection == nil ? dx : c.dxMain.pointer)
        run(0, x, c.c1.pointer, g1, mainDx)  // conv1: dc1 -> dx (main)
        // Shortcut.
        if projection != nil {
            run(5, c.cs.pointer, y, dy, g2)  // shortcut.bn: dy -> dcs
            run(4, x, c.cs.pointer, g2, dx)  // shortcut.conv: dcs -> dx (shortcut)
            if let dx { BLAS.axpy(count: batch * inputSize, alpha: 1, c.dxMain.pointer, dx) }
        } else if let dx {
            BLAS.axpy(count: count, alpha: 1, dy, dx)
        }
    }

    /// Folds each batch norm's running statistics from the workers' caches, as `BatchNorm2D` does.
    public func commitState(_ state: UnsafeMutablePointer<Float>, caches: [LayerCache?]) {
        for (i, part) in parts.enumerated() {
            guard let bn = part.layer as? BatchNorm2D else { continue }
            bn.commitState(state + stateOffsets[i], caches: caches.map { ($0 as? Cache)?.parts[i] })
        }
    }
}
