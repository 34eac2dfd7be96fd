/// The tensors a model has: each name with its shape (all F32). Updates and models must match it exactly.
public struct TensorLayout: Sendable, Hashable {
    /// Shapes by tensor name.
    public var shapes: [String: [Int]]

    /// Makes a layout from shapes by name.
    public init(shapes: [String: [Int]]) {
        self.shapes = shapes
    }

    /// The layout of `tensors`.
    public init(of tensors: WireTensors) {
        var shapes: [String: [Int]] = [:]
        for name in tensors.names { shapes[name] = tensors.shape(name) }
        self.shapes = shapes
    }

    /// Whether `tensors` has exactly these names, each with this shape: none missing, none extra.
    public func matches(_ tensors: WireTensors) -> Bool {
        guard tensors.count == shapes.count else { return false }
        return tensors.names.allSatisfy { name in shapes[name].map { $0 == tensors.shape(name) } ?? false }
    }
}

/// One pass over a message's floats: whether all are finite, and their L2 norm.
enum TensorScan {
    /// The sum of squares of every value in `tensors`, accumulated in `Double`; it is finite exactly when
    /// every value is (a finite `Float` squared cannot overflow a `Double`, and squares are never negative).
    static func sumOfSquares(_ tensors: WireTensors) -> Double {
        var total = 0.0
        tensors.forEach { _, _, values in total += sumOfSquares(values) }
        return total
    }

    /// The sums of squares of the tensors not named in `apart` and of those named in it (each finite exactly
    /// when its values are).
    static func sumsOfSquares(_ tensors: WireTensors, apart: Set<String>) -> (others: Double, apart: Double) {
        guard !apart.isEmpty else { return (sumOfSquares(tensors), 0) }
        var others = 0.0, named = 0.0
        tensors.forEach { name, _, values in
            if apart.contains(name) { named += sumOfSquares(values) } else { others += sumOfSquares(values) }
        }
        return (others, named)
    }

    /// The sum of squares of `values`, with four independent accumulators so the loop pipelines.
    static func sumOfSquares(_ values: UnsafeBufferPointer<Float>) -> Double {
        var (a, b, c, d) = (0.0, 0.0, 0.0, 0.0)
        let count = values.count
        var index = 0
        while index + 4 <= count {
            let x = Double(values[index]), y = Double(values[index + 1])
            let z = Double(values[index + 2]), w = Double(values[index + 3])
            a += x * x
            b += y * y
            c += z * z
            d += w * w
            index += 4
        }
        while index < count {
            let x = Double(values[index])
            a += x * x
            index += 1
        }
        return (a + b) + (c + d)
    }
}
