/// One layer of a model, as written in a model's declarative spec.
///
/// Specs are Codable and stored (as JSON) in every checkpoint's `__metadata__["growda.spec"]`,
/// so a checkpoint is self-describing.
public enum LayerSpec: Codable, Sendable, Equatable {
    /// 2-D convolution with `filters` output channels, a square `kernel`, `stride` and zero `padding`.
    case conv2d(filters: Int, kernel: Int, stride: Int = 1, padding: Int = 0)
    /// 1-D convolution over (C, L) samples.
    case conv1d(filters: Int, kernel: Int, stride: Int = 1, padding: Int = 0)
    /// 2-D max pooling with a square window.
    case maxPool2d(size: Int, stride: Int)
    /// 1-D max pooling.
    case maxPool1d(size: Int, stride: Int)
    /// Fully connected layer with `units` outputs (the input is taken flat).
    case dense(units: Int)
    /// max(0, x).
    case relu
    /// Inverted dropout: zeroes each value with probability `rate` while training.
    case dropout(rate: Float)
    /// Batch normalisation over channels (statistics per worker's share of the batch while training).
    case batchNorm
    /// Reshapes (C, H, W) to (C·H·W).
    case flatten
    /// Averages each channel over its spatial positions: (C, H, W) -> (C).
    case globalAvgPool
    /// A ResNet basic block with `filters` output channels (see `ResidualBlock`): two 3×3 convolutions,
    /// the first with `stride`, each followed by batch norm (a ReLU between them), plus the input through
    /// the identity, or a 1×1 convolution with `stride` and a batch norm when the shape changes. The ReLU
    /// after the sum is the `.relu` that follows it in a spec.
    case residual(filters: Int, stride: Int)

    /// Whether the layer keeps running statistics (a batch norm, or a residual block's batch norms).
    public var keepsRunningStatistics: Bool {
        switch self {
        case .batchNorm, .residual: true
        default: false
        }
    }
}

/// A model's whole declarative spec: its input, its classes and its layers.
public struct ModelSpec: Codable, Sendable, Equatable {
    /// A short name, e.g. "small28".
    public var name: String
    /// Per-sample input shape: (C, H, W) for images, (C, L) for signals.
    public var inputShape: [Int]
    /// Class names, in label order (sorted folder names).
    public var classes: [String]
    /// The layers, input to output; the last produces one logit per class.
    public var layers: [LayerSpec]

    /// A spec from its parts.
    public init(name: String, inputShape: [Int], classes: [String], layers: [LayerSpec]) {
        self.name = name
        self.inputShape = inputShape
        self.classes = classes
        self.layers = layers
    }
}

extension ModelSpec {
    /// The names `reference(_:classes:)` knows.
    public static let referenceNames = ["small28", "xray128", "ecg187", "ecg187rr", "resnet128"]

    /// The reference models without running statistics (no batch norm): those DP-SGD and a federation's
    /// privacy policy can train.
    public static var statelessReferenceNames: [String] {
        referenceNames.filter { name in
            reference(name, classes: ["a", "b"])?.layers.allSatisfy { !$0.keepsRunningStatistics } ?? false
        }
    }

    /// Whether a model of this spec keeps running statistics (state that training changes).
    public var keepsRunningStatistics: Bool { layers.contains { $0.keepsRunningStatistics } }

    /// One of the reference CNNs, with a final Dense layer of `classes.count` units.
    ///
    /// - `small28`: 28×28 gray; Conv 32, MaxPool, Conv 64, MaxPool, Dense 128, Dense classes.
    /// - `xray128`: 128×128 gray; Conv 32, MaxPool, Conv 64, MaxPool, Conv 128, MaxPool, Dense 128, Dense classes.
    /// - `ecg187`: 187-sample beats; Conv1D 32 (k5), MaxPool, Conv1D 64 (k5), MaxPool, Conv1D 64 (k3), MaxPool,
    ///   Dense 64, Dense classes.
    /// - `ecg187rr`: `ecg187` over two channels: the beat and its rhythm (RR intervals, see `Rhythm` in GrowdaData).
    /// - `resnet128`: 128×128 gray, a small residual network (ResNet-10 in the manner of ResNet-18): a 3×3
    ///   stride-2 stem convolution of 16 channels with batch norm and ReLU (64×64), then one basic block per
    ///   stage of 16, 32, 64 and 128 channels (64×64, 32×32, 16×16, 8×8; stride 2 and a projection shortcut
    ///   from the second stage on), each followed by ReLU, global average pooling, dropout 0.25 and Dense
    ///   classes. About 0.13 GFLOP forward and 0.38 GFLOP per training image (`Model.trainingFlops`).
    /// Apart from `resnet128`, convolutions are 3×3 (2-D), stride 1, no padding, each followed by ReLU;
    /// pooling is 2, stride 2.
    public static func reference(_ name: String, classes: [String]) -> ModelSpec? {
        let k = classes.count
        switch name {
        case "small28":
            return ModelSpec(
                name: name, inputShape: [1, 28, 28], classes: classes,
                layers: [
                    .conv2d(filters: 32, kernel: 3), .relu, .maxPool2d(size: 2, stride: 2),
                    .conv2d(filters: 64, kernel: 3), .relu, .maxPool2d(size: 2, stride: 2),
                    .flatten, .dense(units: 128), .relu, .dense(units: k),
                ])
        case "xray128":
            return ModelSpec(
                name: name, inputShape: [1, 128, 128], classes: classes,
                layers: [
                    .conv2d(filters: 32, kernel: 3), .relu, .maxPool2d(size: 2, stride: 2),
                    .conv2d(filters: 64, kernel: 3), .relu, .maxPool2d(size: 2, stride: 2),
                    .conv2d(filters: 128, kernel: 3), .relu, .maxPool2d(size: 2, stride: 2),
                    .flatten, .dense(units: 128), .relu, .dense(units: k),
                ])
        case "ecg187", "ecg187rr":
            return ModelSpec(
                name: name, inputShape: [name == "ecg187" ? 1 : 2, 187], classes: classes,
                layers: [
                    .conv1d(filters: 32, kernel: 5), .relu, .maxPool1d(size: 2, stride: 2),
                    .conv1d(filters: 64, kernel: 5), .relu, .maxPool1d(size: 2, stride: 2),
                    .conv1d(filters: 64, kernel: 3), .relu, .maxPool1d(size: 2, stride: 2),
                    .flatten, .dense(units: 64), .relu, .dense(units: k),
                ])
        case "resnet128":
            return ModelSpec(
                name: name, inputShape: [1, 128, 128], classes: classes,
                layers: [
                    .conv2d(filters: 16, kernel: 3, stride: 2, padding: 1), .batchNorm, .relu,
                    .residual(filters: 16, stride: 1), .relu,
                    .residual(filters: 32, stride: 2), .relu,
                    .residual(filters: 64, stride: 2), .relu,
                    .residual(filters: 128, stride: 2), .relu,
                    .globalAvgPool, .dropout(rate: 0.25), .dense(units: k),
                ])
        default:
            return nil
        }
    }
}
