/// One tensor's entry in a safetensors header.
public struct SafetensorsTensorInfo: Sendable, Equatable, Hashable {
    /// The tensor's key in the header.
    public var name: String
    /// The element type.
    public var dtype: SafetensorsDType
    /// The dimensions, outermost first (C order). `[]` is a scalar; a 0 anywhere means no elements.
    public var shape: [Int]
    /// The tensor's bytes, as offsets into the data section (the header's `data_offsets`).
    public var dataRange: Range<Int>

    /// Makes a tensor entry.
    public init(name: String, dtype: SafetensorsDType, shape: [Int], dataRange: Range<Int>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.dataRange = dataRange
    }

    /// The number of elements: the product of `shape` (1 for a scalar).
    public var elementCount: Int { shape.contains(0) ? 0 : shape.reduce(1, *) }
}

/// product(shape) × elementSize, or nil when a dimension is negative or a partial product
/// overflows `Int`.
///
/// Multiplies left to right as the reference implementation does, so both accept the same shapes.
func byteCount(shape: [Int], elementSize: Int) -> Int? {
    var total = 1
    for dimension in shape {
        guard dimension >= 0 else { return nil }
        let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
        if overflow { return nil }
        total = product
    }
    let (bytes, overflow) = total.multipliedReportingOverflow(by: elementSize)
    return overflow ? nil : bytes
}
