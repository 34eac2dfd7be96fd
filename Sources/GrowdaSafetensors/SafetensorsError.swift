/// Why a safetensors buffer was refused, or why a request on a parsed one failed.
///
/// `reason` is a closed set, suitable for counting rejections by kind; `message` says what is wrong
/// in this instance (which tensor, which numbers); `path` names the file when there is one.
public struct SafetensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The kinds of failure, one per rule of the format or request.
    public enum Reason: String, CaseIterable, Sendable {
        /// The buffer ends before the 8-byte length prefix or before the header it announces.
        case truncated
        /// The header length exceeds the reader's limit.
        case headerTooLarge
        /// The header is not valid UTF-8 JSON (syntax, encoding, nesting depth).
        case invalidJSON
        /// The header is valid JSON but not a safetensors header (wrong types, missing fields).
        case invalidHeader
        /// A tensor names a dtype this reader does not know or support.
        case invalidDType
        /// A tensor's byte length is not product(shape) × dtype size, or the count overflows.
        case shapeMismatch
        /// A tensor's `data_offsets` are reversed or reach past the data section.
        case offsetsOutOfBounds
        /// Tensors overlap, leave a gap, or do not cover the data section to its end.
        case overlappingOrGappedOffsets
        /// Two tensors share a name, or a tensor is named `__metadata__`.
        case duplicateName
        /// `__metadata__` is not an object of unique string keys to string values.
        case invalidMetadata
        /// No tensor has the requested name.
        case tensorNotFound
        /// The requested tensor's dtype cannot be read as floats.
        case notFloat
    }

    /// The kind of failure.
    public var reason: Reason
    /// What is wrong, in words, without the path.
    public var message: String
    /// The file the bytes came from, when they came from a file.
    public var path: String?

    /// Makes an error of the given kind.
    public init(_ reason: Reason, _ message: String, path: String? = nil) {
        self.reason = reason
        self.message = message
        self.path = path
    }

    /// `path: message (reason)`, or `message (reason)` without a path.
    public var description: String {
        let text = "\(message) (safetensors: \(reason.rawValue))"
        guard let path else { return text }
        return "\(path): \(text)"
    }
}

/// A name as it appears in messages: quoted and cut to 100 characters.
func quoted(_ name: String) -> String {
    let cut = name.count > 100 ? name.prefix(100) + "…" : Substring(name)
    return "\"\(cut)\""
}

/// A shape as it appears in messages: `[2, 3]`, or its first 8 dimensions and the count.
func describe(_ shape: [Int]) -> String {
    guard shape.count > 8 else { return "\(shape)" }
    return "[" + shape.prefix(8).map(String.init).joined(separator: ", ") + ", … (\(shape.count) dimensions)]"
}
