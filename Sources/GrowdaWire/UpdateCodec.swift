/// How a node compresses the delta an update carries, as `federation.conf` sets it (`wire.codec`) and the
/// aggregator announces it in every ``SnapshotReply`` (`codec`).
///
/// The text forms, in the config file and on the wire alike: `none`, `fp16`, `int8`, `topk:F` and
/// `topk-int8:F`, F being the fraction of the delta's values a top-k update keeps, in (0, 1]. A codec maps
/// to the ``UpdateEncoding`` an update's tensors are written in (Protocol.md, "Compressed updates"); the
/// fraction is the node's business (each tensor's encoding states how many values it keeps), so the
/// aggregator decodes any encoding whatever it announced.
public enum UpdateCodec: Sendable, Hashable, CustomStringConvertible {
    /// F32 tensors, as an update without a codec carries them.
    case none
    /// IEEE 754 binary16: half the bytes, about three decimal digits.
    case fp16
    /// One signed byte per value and a per-tensor scale, rounded stochastically (unbiased): a quarter
    /// of the bytes.
    case int8
    /// The largest `fraction` of the values by magnitude, over the whole delta, with their indices; the
    /// rest is kept by the node as a residual and added to its next delta (error feedback). With
    /// `int8Values` the kept values are written as ``int8`` writes them.
    case topK(fraction: Double, int8Values: Bool)

    /// The fraction the issue's bandwidth aim is met with by default when a config says `topk` alone.
    public static let defaultFraction = 0.01

    /// The encoding an update made with this codec is written in; nil for ``none``.
    public var encoding: UpdateEncoding? {
        switch self {
        case .none: nil
        case .fp16: .fp16
        case .int8: .int8
        case .topK(_, let int8Values): int8Values ? .topKInt8 : .topK
        }
    }

    /// Whether the node keeps a residual between updates (error feedback): top-k only.
    public var keepsResidual: Bool {
        if case .topK = self { return true }
        return false
    }

    /// The text form: `none`, `fp16`, `int8`, `topk:0.01`, `topk-int8:0.03`.
    public var description: String {
        switch self {
        case .none: "none"
        case .fp16: "fp16"
        case .int8: "int8"
        case .topK(let fraction, let int8Values): "\(int8Values ? "topk-int8" : "topk"):\(fraction)"
        }
    }

    /// What the text forms allow, as errors name it.
    public static let allowed =
        "none | fp16 | int8 | topk[:F] | topk-int8[:F] (F, the fraction of values kept, in (0, 1]; default 0.01)"

    /// Parses a text form; nil for anything else (`topk` and `topk-int8` without a fraction take
    /// ``defaultFraction``).
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        switch (parts.first.map(String.init), parts.count) {
        case ("none", 1): self = .none
        case ("fp16", 1): self = .fp16
        case ("int8", 1): self = .int8
        case ("topk", 1), ("topk-int8", 1):
            self = .topK(fraction: Self.defaultFraction, int8Values: parts[0] == "topk-int8")
        case ("topk", 2), ("topk-int8", 2):
            guard let fraction = Double(parts[1]), fraction > 0, fraction <= 1 else { return nil }
            self = .topK(fraction: fraction, int8Values: parts[0] == "topk-int8")
        default: return nil
        }
    }
}

/// How each tensor of a compressed update is written: the `codec` field of its body. Every tensor is then
/// a U8 tensor of shape [byte count], under the model tensor's name, whose bytes are laid out as the case
/// says (integers and floats little-endian; n is the model tensor's element count):
///
/// - `fp16`: n IEEE 754 binary16 values (2n bytes).
/// - `int8`: an F32 scale s (finite, ≥ 0), then n signed bytes q; value i is s · qᵢ (4 + n bytes).
/// - `topk`: a U32 count k ≤ n, then k U32 indices strictly ascending and below n, then k F32 values; the
///   values at the other indices are 0 (4 + 8k bytes).
/// - `topk-int8`: a U32 count k ≤ n, an F32 scale s (finite, ≥ 0), k U32 indices as in `topk`, then k
///   signed bytes q; value at index i is s · q (8 + 5k bytes).
public enum UpdateEncoding: String, Sendable, CaseIterable {
    /// Half precision.
    case fp16
    /// Signed bytes with a per-tensor scale.
    case int8
    /// Sparse: indices and F32 values.
    case topK = "topk"
    /// Sparse: indices and signed-byte values with a per-tensor scale.
    case topKInt8 = "topk-int8"
}
