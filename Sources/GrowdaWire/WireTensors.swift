import GrowdaSafetensors

#if _endian(big)
    #error("GrowdaWire reads and writes little-endian F32 tensors in place and needs a little-endian host")
#endif

/// One named F32 tensor, as given to the encoder or copied out of a message.
public struct WireTensor: Sendable, Equatable {
    /// The tensor's name, e.g. `layers.0.weight`.
    public var name: String
    /// The dimensions, outermost first. `[]` is a scalar.
    public var shape: [Int]
    /// The values in C order; their count is the product of `shape`.
    public var values: [Float]

    /// Makes a tensor; ``WireTensors/init(_:)`` checks that `values` fills `shape`.
    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

/// The F32 tensors a message carries, sorted by name (UTF-8 byte order).
///
/// Tensors built by a sender hold the caller's arrays (no copy); tensors of a decoded message are views
/// into the opened body, read in place with ``withFloats(_:_:)`` until copied with ``floats(_:)``.
public struct WireTensors: Sendable {
    enum Storage: Sendable {
        /// Arrays given by the caller, sorted by name, with each name's position.
        case arrays([WireTensor], index: [String: Int])
        /// A parsed body whose tensors are all F32 (checked by the decoder), with its names sorted.
        case body(SafetensorsFile, sortedNames: [String])
    }

    let storage: Storage

    /// No tensors.
    public static let empty = WireTensors(storage: .arrays([], index: [:]))

    init(storage: Storage) {
        self.storage = storage
    }

    /// Checks and wraps `tensors`: names non-empty, not `__metadata__`, unique; values fill each shape.
    public init(_ tensors: [WireTensor]) throws(WireEncodingError) {
        try checkTensorNames(tensors.map(\.name))
        for tensor in tensors {
            guard let count = elementCount(tensor.shape), count == tensor.values.count else {
                throw .invalidTensor(
                    name: tensor.name,
                    problem: "shape \(tensor.shape) does not hold \(tensor.values.count) values")
            }
        }
        let sorted = tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        var index: [String: Int] = [:]
        for (position, tensor) in sorted.enumerated() { index[tensor.name] = position }
        storage = .arrays(sorted, index: index)
    }

    /// The number of tensors.
    public var count: Int {
        switch storage {
        case .arrays(let tensors, _): tensors.count
        case .body(_, let names): names.count
        }
    }

    /// The tensors' names in UTF-8 byte order.
    public var names: [String] {
        switch storage {
        case .arrays(let tensors, _): tensors.map(\.name)
        case .body(_, let names): names
        }
    }

    /// The shape of the tensor called `name`, or nil when there is none.
    public func shape(_ name: String) -> [Int]? {
        switch storage {
        case .arrays(let tensors, let index): index[name].map { tensors[$0].shape }
        case .body(let file, _): file.info(name)?.shape
        }
    }

    /// Calls `body` with the values of the tensor called `name`, in place; nil when there is none.
    public func withFloats<Result, Failure: Error>(
        _ name: String,
        _ body: (UnsafeBufferPointer<Float>) throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        switch storage {
        case .arrays(let tensors, let index):
            guard let position = index[name] else { return nil }
            return try tensors[position].values.withUnsafeBufferPointer { buffer throws(Failure) in try body(buffer) }
        case .body(let file, _):
            guard let info = file.info(name) else { return nil }
            return try Self.withFloats(of: file, info, body)
        }
    }

    /// A copy of the values of the tensor called `name`, or nil when there is none.
    public func floats(_ name: String) -> [Float]? {
        withFloats(name) { Array($0) }
    }

    /// Every tensor, copied out, in name order.
    public var tensors: [WireTensor] {
        switch storage {
        case .arrays(let tensors, _):
            return tensors
        case .body(let file, let names):
            return names.compactMap { name in
                guard let info = file.info(name) else { return nil }
                return WireTensor(name: name, shape: info.shape, values: Self.withFloats(of: file, info) { Array($0) })
            }
        }
    }

    /// Calls `body` once per tensor, in name order, with its name, shape and values in place.
    public func forEach<Failure: Error>(
        _ body: (String, [Int], UnsafeBufferPointer<Float>) throws(Failure) -> Void
    ) throws(Failure) {
        switch storage {
        case .arrays(let tensors, _):
            for tensor in tensors {
                try tensor.values.withUnsafeBufferPointer { values throws(Failure) in
                    try body(tensor.name, tensor.shape, values)
                }
            }
        case .body(let file, let names):
            for name in names {
                guard let info = file.info(name) else { continue }
                try Self.withFloats(of: file, info) { values throws(Failure) in try body(name, info.shape, values) }
            }
        }
    }

    /// The F32 values of `info` inside `file`, rebound in place when aligned (always, for bodies this
    /// module's decoder accepts: the data section starts at a multiple of 8 and every tensor is F32).
    private static func withFloats<Result, Failure: Error>(
        of file: SafetensorsFile,
        _ info: SafetensorsTensorInfo,
        _ body: (UnsafeBufferPointer<Float>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let start = file.dataStart + info.dataRange.lowerBound
        let count = info.dataRange.count / MemoryLayout<Float>.size
        let outcome = file.bytes.withUnsafeBytes { whole in
            let raw = UnsafeRawBufferPointer(rebasing: whole[start..<(start + count * MemoryLayout<Float>.size)])
            return Swift.Result { () throws(Failure) -> Result in
                guard count > 0, let base = raw.baseAddress else {
                    return try body(UnsafeBufferPointer(start: nil, count: 0))
                }
                if Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
                    return try raw.withMemoryRebound(to: Float.self) { floats throws(Failure) in try body(floats) }
                }
                let copied = (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
                return try copied.withUnsafeBufferPointer { floats throws(Failure) in try body(floats) }
            }
        }
        return try outcome.get()
    }
}

extension WireTensors: Equatable {
    /// Same names, shapes and values, compared bit for bit (so a NaN equals the same NaN).
    public static func == (lhs: WireTensors, rhs: WireTensors) -> Bool {
        guard lhs.names == rhs.names else { return false }
        for name in lhs.names {
            guard lhs.shape(name) == rhs.shape(name) else { return false }
            let same = lhs.withFloats(name) { left in
                rhs.withFloats(name) { right in
                    left.count == right.count && zip(left, right).allSatisfy { $0.bitPattern == $1.bitPattern }
                } ?? false
            }
            guard same == true else { return false }
        }
        return true
    }
}

extension WireTensors: CustomStringConvertible {
    /// The names and shapes, not the values (which may be megabytes).
    public var description: String {
        "WireTensors(" + names.map { "\($0): \(shape($0) ?? [])" }.joined(separator: ", ") + ")"
    }
}

/// Checks a body's tensor names: each non-empty, not `__metadata__`, and unique.
func checkTensorNames(_ names: [String]) throws(WireEncodingError) {
    var seen: Set<String> = []
    for name in names {
        guard !name.isEmpty, name != "__metadata__" else {
            throw .invalidTensor(name: name, problem: "the name is empty or reserved")
        }
        guard seen.insert(name).inserted else { throw .invalidTensor(name: name, problem: "the name appears twice") }
    }
}

/// The product of `shape`, or nil when a dimension is negative or the product overflows.
func elementCount(_ shape: [Int]) -> Int? {
    var total = 1
    for dimension in shape {
        guard dimension >= 0 else { return nil }
        let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
        guard !overflow else { return nil }
        total = product
    }
    return total
}
