/// The element type of a tensor, spelled as in the safetensors header's `"dtype"` field.
///
/// All types here are whole bytes wide and stored little-endian. The sub-byte types of newer
/// safetensors versions (`F4`, `F6_*`) and `F8_E8M0` are refused on read as unsupported.
public enum SafetensorsDType: String, Sendable, CaseIterable, Hashable {
    /// IEEE 754 binary64.
    case F64
    /// IEEE 754 binary32: Growda's own type.
    case F32
    /// IEEE 754 binary16.
    case F16
    /// bfloat16: the upper half of a binary32.
    case BF16
    /// 8-bit float, 4 exponent bits, 3 mantissa bits, no infinities (the "FN" variant).
    case F8_E4M3
    /// 8-bit float, 5 exponent bits, 2 mantissa bits (the upper byte of a binary16).
    case F8_E5M2
    /// Signed 64-bit integer.
    case I64
    /// Signed 32-bit integer.
    case I32
    /// Signed 16-bit integer.
    case I16
    /// Signed 8-bit integer.
    case I8
    /// Unsigned 64-bit integer.
    case U64
    /// Unsigned 32-bit integer.
    case U32
    /// Unsigned 16-bit integer.
    case U16
    /// Unsigned 8-bit integer.
    case U8
    /// Boolean, one byte per element (0 or 1).
    case BOOL

    /// The size of one element in bytes.
    public var byteSize: Int {
        switch self {
        case .F64, .I64, .U64: 8
        case .F32, .I32, .U32: 4
        case .F16, .BF16, .I16, .U16: 2
        case .F8_E4M3, .F8_E5M2, .I8, .U8, .BOOL: 1
        }
    }

    /// Whether `SafetensorsFile.floats(_:)` can convert this type to `Float`.
    public var isFloatingPoint: Bool {
        switch self {
        case .F64, .F32, .F16, .BF16, .F8_E4M3, .F8_E5M2: true
        case .I64, .I32, .I16, .I8, .U64, .U32, .U16, .U8, .BOOL: false
        }
    }

    /// The rank of this type in the reference implementation's dtype order (increasing
    /// alignment). Writers lay tensors out by descending rank, then by name, so that each
    /// tensor starts at a multiple of its element size.
    var layoutRank: Int {
        switch self {
        case .BOOL: 0
        case .U8: 1
        case .I8: 2
        case .F8_E5M2: 3
        case .F8_E4M3: 4
        case .I16: 5
        case .U16: 6
        case .F16: 7
        case .BF16: 8
        case .I32: 9
        case .U32: 10
        case .F32: 11
        case .F64: 12
        case .I64: 13
        case .U64: 14
        }
    }
}
