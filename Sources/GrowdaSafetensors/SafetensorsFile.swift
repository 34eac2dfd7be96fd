/// A parsed safetensors buffer: its metadata, its tensor entries, and the bytes they point into.
///
/// Parsing checks every rule of the format and keeps the buffer as it is (no copy); tensor data is
/// read on request with `rawBytes(_:)` or `floats(_:)`. Any byte string either parses or throws a
/// `SafetensorsError`: the parser never traps and allocates no more than the header's own size.
///
/// Names are Swift strings, so two names that are equal under Unicode canonical equivalence count
/// as the same name (such a header is refused as holding a duplicate).
public struct SafetensorsFile: Sendable {
    /// The header's `__metadata__` map (empty when absent).
    public var metadata: [String: String]
    /// The tensor entries, in header order.
    public private(set) var tensors: [SafetensorsTensorInfo]
    /// The whole buffer, as given.
    public let bytes: [UInt8]
    /// Where the data section starts in `bytes`: 8 + the header length.
    public let dataStart: Int
    private let indexByName: [String: Int]

    /// Parses a whole safetensors buffer, refusing headers longer than `maxHeaderBytes`.
    public init(bytes: [UInt8], maxHeaderBytes: Int = 100 << 20) throws {
        try self.init(bytes: bytes, maxHeaderBytes: maxHeaderBytes, path: nil)
    }

    /// Reads and parses the file at `path`; file-system failures throw `FileError`, format errors
    /// throw `SafetensorsError`, and both name the path.
    public init(contentsOf path: String, maxHeaderBytes: Int = 100 << 20) throws {
        let bytes = try POSIXFile.readAll(path)
        try self.init(bytes: bytes, maxHeaderBytes: maxHeaderBytes, path: path)
    }

    private init(bytes: [UInt8], maxHeaderBytes: Int, path: String?) throws {
        let parsed: (metadata: [String: String], tensors: [SafetensorsTensorInfo], dataStart: Int)
        do {
            parsed = try Self.parse(bytes, maxHeaderBytes: maxHeaderBytes)
        } catch {
            guard var failure = error as? SafetensorsError else { throw error }
            failure.path = path
            throw failure
        }
        self.bytes = bytes
        self.metadata = parsed.metadata
        self.tensors = parsed.tensors
        self.dataStart = parsed.dataStart
        var indexByName: [String: Int] = [:]
        indexByName.reserveCapacity(parsed.tensors.count)
        for (index, tensor) in parsed.tensors.enumerated() { indexByName[tensor.name] = index }
        self.indexByName = indexByName
    }

    /// The entry for the tensor called `name`, or nil.
    public func info(_ name: String) -> SafetensorsTensorInfo? {
        indexByName[name].map { tensors[$0] }
    }

    /// The bytes of the tensor called `name`, as a slice of `bytes` (no copy; indices are those of
    /// the whole buffer).
    public func rawBytes(_ name: String) throws -> ArraySlice<UInt8> {
        let range = try requireInfo(name).dataRange
        return bytes[(dataStart + range.lowerBound)..<(dataStart + range.upperBound)]
    }

    func requireInfo(_ name: String) throws -> SafetensorsTensorInfo {
        guard let info = info(name) else {
            throw SafetensorsError(.tensorNotFound, "no tensor named \(quoted(name))")
        }
        return info
    }

    // MARK: Parsing

    /// Checks the length prefix, parses the header and checks every entry against the data section.
    private static func parse(
        _ bytes: [UInt8], maxHeaderBytes: Int
    ) throws -> (metadata: [String: String], tensors: [SafetensorsTensorInfo], dataStart: Int) {
        guard bytes.count >= 8 else {
            throw SafetensorsError(
                .truncated, "the buffer holds \(bytes.count) bytes, fewer than the 8-byte header length")
        }
        var headerLength: UInt64 = 0
        for byte in bytes[0..<8].reversed() { headerLength = headerLength << 8 | UInt64(byte) }
        guard headerLength <= UInt64(max(0, maxHeaderBytes)) else {
            throw SafetensorsError(
                .headerTooLarge, "the header length \(headerLength) exceeds the limit of \(maxHeaderBytes) bytes")
        }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw SafetensorsError(
                .truncated, "the header length \(headerLength) reaches past the end of the \(bytes.count)-byte buffer")
        }
        let dataStart = 8 + Int(headerLength)
        var parser = SafetensorsHeaderParser(bytes: bytes, range: 8..<dataStart)
        let header = try parser.parse()
        let tensors = try checkLayout(header.entries, dataLength: bytes.count - dataStart)
        return (header.metadata, tensors, dataStart)
    }

    /// Checks each entry's offsets and size, then that the entries tile the data section exactly.
    private static func checkLayout(
        _ entries: [SafetensorsHeaderParser.Entry], dataLength: Int
    ) throws -> [SafetensorsTensorInfo] {
        var tensors: [SafetensorsTensorInfo] = []
        tensors.reserveCapacity(entries.count)
        for entry in entries {
            let name = quoted(entry.name)
            let offsets = "data_offsets [\(entry.begin), \(entry.end)]"
            guard entry.begin <= entry.end else {
                throw SafetensorsError(.offsetsOutOfBounds, "tensor \(name): \(offsets) are reversed")
            }
            guard entry.end <= dataLength else {
                throw SafetensorsError(
                    .offsetsOutOfBounds,
                    "tensor \(name): \(offsets) reach past the \(dataLength)-byte data section")
            }
            let shape = "shape \(describe(entry.shape)) of \(entry.dtype.rawValue)"
            guard let expected = byteCount(shape: entry.shape, elementSize: entry.dtype.byteSize) else {
                throw SafetensorsError(.shapeMismatch, "tensor \(name): the byte count of \(shape) overflows")
            }
            guard expected == entry.end - entry.begin else {
                throw SafetensorsError(
                    .shapeMismatch,
                    "tensor \(name): \(shape) needs \(expected) bytes but \(offsets) hold \(entry.end - entry.begin)")
            }
            tensors.append(
                SafetensorsTensorInfo(
                    name: entry.name, dtype: entry.dtype, shape: entry.shape, dataRange: entry.begin..<entry.end))
        }
        let byOffset = tensors.sorted {
            ($0.dataRange.lowerBound, $0.dataRange.upperBound) < ($1.dataRange.lowerBound, $1.dataRange.upperBound)
        }
        var cursor = 0
        for tensor in byOffset {
            let begin = tensor.dataRange.lowerBound
            if begin < cursor {
                throw SafetensorsError(
                    .overlappingOrGappedOffsets,
                    "tensor \(quoted(tensor.name)) starts at \(begin), before the previous tensor ends (\(cursor))")
            }
            if begin > cursor {
                throw SafetensorsError(
                    .overlappingOrGappedOffsets,
                    "tensor \(quoted(tensor.name)) starts at \(begin), leaving a gap after offset \(cursor)")
            }
            cursor = tensor.dataRange.upperBound
        }
        guard cursor == dataLength else {
            throw SafetensorsError(
                .overlappingOrGappedOffsets,
                "the data section holds \(dataLength - cursor) bytes after the last tensor (which ends at \(cursor))")
        }
        return tensors
    }
}
