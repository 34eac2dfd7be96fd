import GrowdaSafetensors

/// A compressed update's tensors: per model tensor, its name and its bytes in one ``UpdateEncoding``
/// (each a U8 tensor of shape [byte count] in the body), sorted by name (UTF-8 byte order).
///
/// Built by a node with ``UpdateCompressor``, or a view into a decoded body, read in place until
/// ``UpdateDecompressor`` turns it into F32 ``WireTensors`` against the model's layout.
public struct CodedTensors: Sendable {
    enum Storage: Sendable {
        /// Byte strings given by the caller, sorted by name.
        case arrays([(name: String, bytes: [UInt8])])
        /// A parsed body whose tensors are all U8 of rank 1 (checked by the decoder), names sorted.
        case body(SafetensorsFile, sortedNames: [String])
    }

    /// The encoding every tensor is written in.
    public let encoding: UpdateEncoding
    let storage: Storage

    init(encoding: UpdateEncoding, storage: Storage) {
        self.encoding = encoding
        self.storage = storage
    }

    /// Wraps encoded tensors; names must be non-empty, not `__metadata__` and unique.
    public init(encoding: UpdateEncoding, tensors: [(name: String, bytes: [UInt8])]) throws(WireEncodingError) {
        try checkTensorNames(tensors.map(\.name))
        self.encoding = encoding
        storage = .arrays(tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) })
    }

    /// The number of tensors.
    public var count: Int {
        switch storage {
        case .arrays(let tensors): tensors.count
        case .body(_, let names): names.count
        }
    }

    /// The tensors' names in UTF-8 byte order.
    public var names: [String] {
        switch storage {
        case .arrays(let tensors): tensors.map(\.name)
        case .body(_, let names): names
        }
    }

    /// The encoded bytes of every tensor together.
    public var byteCount: Int {
        var total = 0
        forEach { _, bytes in total += bytes.count }
        return total
    }

    /// Calls `body` with the encoded bytes of the tensor called `name`, in place; nil when there is none.
    public func withBytes<Result>(_ name: String, _ body: (UnsafeRawBufferPointer) -> Result) -> Result? {
        switch storage {
        case .arrays(let tensors):
            guard let tensor = tensors.first(where: { $0.name == name }) else { return nil }
            return tensor.bytes.withUnsafeBytes(body)
        case .body(let file, _):
            guard let info = file.info(name) else { return nil }
            return Self.withBytes(of: file, info, body)
        }
    }

    /// Calls `body` once per tensor, in name order, with its name and encoded bytes in place.
    public func forEach(_ body: (String, UnsafeRawBufferPointer) -> Void) {
        switch storage {
        case .arrays(let tensors):
            for tensor in tensors { tensor.bytes.withUnsafeBytes { body(tensor.name, $0) } }
        case .body(let file, let names):
            for name in names {
                guard let info = file.info(name) else { continue }
                Self.withBytes(of: file, info) { body(name, $0) }
            }
        }
    }

    private static func withBytes<Result>(
        of file: SafetensorsFile, _ info: SafetensorsTensorInfo, _ body: (UnsafeRawBufferPointer) -> Result
    ) -> Result {
        let start = file.dataStart + info.dataRange.lowerBound
        return file.bytes.withUnsafeBytes { whole in
            body(UnsafeRawBufferPointer(rebasing: whole[start..<(start + info.dataRange.count)]))
        }
    }
}

extension CodedTensors: Equatable {
    /// Same encoding, names and bytes.
    public static func == (lhs: CodedTensors, rhs: CodedTensors) -> Bool {
        guard lhs.encoding == rhs.encoding, lhs.names == rhs.names else { return false }
        return lhs.names.allSatisfy { name in
            lhs.withBytes(name) { left in rhs.withBytes(name) { right in left.elementsEqual(right) } ?? false } ?? false
        }
    }
}

extension CodedTensors: CustomStringConvertible {
    /// The encoding, names and byte counts.
    public var description: String {
        var parts: [String] = []
        forEach { name, bytes in parts.append("\(name): \(bytes.count) B") }
        return "CodedTensors(\(encoding.rawValue); " + parts.joined(separator: ", ") + ")"
    }
}
