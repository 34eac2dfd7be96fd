/// Builds a safetensors buffer or file from named tensors.
///
/// The layout is the reference implementation's: tensors ordered by descending dtype alignment
/// (64-bit types first, bytes last), then by name (UTF-8 byte order); data laid out in that order;
/// the compact JSON header padded with spaces to a multiple of 8 bytes, so each tensor starts at a
/// multiple of its element size. Metadata keys are written in UTF-8 byte order. For the same
/// tensors the output is always the same bytes.
public struct SafetensorsWriter: Sendable {
    /// The `__metadata__` map to write (omitted from the header when empty).
    public var metadata: [String: String]
    private var entries: [Entry] = []
    private var names: Set<String> = []

    private struct Entry: Sendable {
        var name: String
        var dtype: SafetensorsDType
        var shape: [Int]
        var bytes: [UInt8]
    }

    /// Makes an empty writer.
    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// The number of tensors added so far.
    public var count: Int { entries.count }

    /// Adds an F32 tensor.
    public mutating func add(name: String, shape: [Int], floats: [Float]) throws {
        try floats.withUnsafeBufferPointer { try add(name: name, shape: shape, floats: $0) }
    }

    /// Adds an F32 tensor, copying `floats`.
    public mutating func add(name: String, shape: [Int], floats: UnsafeBufferPointer<Float>) throws {
        #if _endian(little)
            try add(name: name, dtype: .F32, shape: shape, bytes: UnsafeRawBufferPointer(floats))
        #else
            let bytes = floats.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
            try add(name: name, dtype: .F32, shape: shape, bytes: bytes)
        #endif
    }

    /// Adds a tensor from its little-endian bytes.
    public mutating func add(name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8]) throws {
        try checkNew(name: name, dtype: dtype, shape: shape, byteCount: bytes.count)
        names.insert(name)
        entries.append(Entry(name: name, dtype: dtype, shape: shape, bytes: bytes))
    }

    /// Adds a tensor from its little-endian bytes, copying them.
    public mutating func add(
        name: String, dtype: SafetensorsDType, shape: [Int], bytes: UnsafeRawBufferPointer
    ) throws {
        try checkNew(name: name, dtype: dtype, shape: shape, byteCount: bytes.count)
        names.insert(name)
        entries.append(Entry(name: name, dtype: dtype, shape: shape, bytes: [UInt8](bytes)))
    }

    /// Refuses a reserved or repeated name, and a shape that does not match the byte count.
    private func checkNew(name: String, dtype: SafetensorsDType, shape: [Int], byteCount count: Int) throws {
        guard let expected = byteCount(shape: shape, elementSize: dtype.byteSize), expected == count else {
            throw SafetensorsError(
                .shapeMismatch,
                "tensor \(quoted(name)): shape \(describe(shape)) of \(dtype.rawValue) does not hold \(count) bytes")
        }
        guard name != "__metadata__" else {
            throw SafetensorsError(.duplicateName, "\"__metadata__\" is reserved for the metadata map")
        }
        guard !names.contains(name) else {
            throw SafetensorsError(.duplicateName, "tensor \(quoted(name)) was already added")
        }
    }

    /// The whole safetensors buffer.
    public func encoded() -> [UInt8] {
        let order = entries.indices.sorted { a, b in
            let (left, right) = (entries[a], entries[b])
            if left.dtype.layoutRank != right.dtype.layoutRank { return left.dtype.layoutRank > right.dtype.layoutRank }
            return left.name.utf8.lexicographicallyPrecedes(right.name.utf8)
        }
        let header = self.header(order: order)
        let dataLength = entries.reduce(0) { $0 + $1.bytes.count }
        let total = 8 + header.count + dataLength
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            raw.storeBytes(of: UInt64(header.count).littleEndian, as: UInt64.self)
            var offset = 8
            for part in [header] + order.map({ entries[$0].bytes }) {
                part.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: raw[offset...]).copyMemory(from: $0) }
                offset += part.count
            }
            initialized = total
        }
    }

    /// Encodes and writes to `path` with `AtomicFile.write` (temp, fsync, rename, fsync folder).
    public func write(to path: String, permissions: Int = 0o644) throws {
        try AtomicFile.write(encoded(), to: path, permissions: permissions)
    }

    /// The compact JSON header, space-padded to a multiple of 8 bytes.
    private func header(order: [Int]) -> [UInt8] {
        var json: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        func member(_ key: String) {
            if !first { json.append(UInt8(ascii: ",")) }
            first = false
            appendJSONString(key, to: &json)
            json.append(UInt8(ascii: ":"))
        }
        if !metadata.isEmpty {
            member("__metadata__")
            json.append(UInt8(ascii: "{"))
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                if index > 0 { json.append(UInt8(ascii: ",")) }
                appendJSONString(key, to: &json)
                json.append(UInt8(ascii: ":"))
                appendJSONString(metadata[key, default: ""], to: &json)
            }
            json.append(UInt8(ascii: "}"))
        }
        var offset = 0
        for index in order {
            let entry = entries[index]
            member(entry.name)
            let shape = entry.shape.map(String.init).joined(separator: ",")
            let end = offset + entry.bytes.count
            let offsets = "[\(offset),\(end)]"
            let info = "{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":\(offsets)}"
            json.append(contentsOf: info.utf8)
            offset = end
        }
        json.append(UInt8(ascii: "}"))
        let padding = (8 - json.count % 8) % 8
        json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))
        return json
    }
}

/// Appends `text` as a JSON string: `"` and `\` escaped, control characters as short escapes or
/// `\u00XX` (lowercase hex), everything else as raw UTF-8. Public so that code writing safetensors
/// headers by hand (the wire, sealing in place) produces the very bytes `SafetensorsWriter` does.
public func appendJSONString(_ text: String, to json: inout [UInt8]) {
    let hex = Array("0123456789abcdef".utf8)
    json.append(UInt8(ascii: "\""))
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "\""): json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
        case UInt8(ascii: "\\"): json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
        case 0x08: json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
        case 0x09: json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
        case 0x0A: json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        case 0x0C: json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
        case 0x0D: json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
        case 0x00..<0x20:
            json.append(contentsOf: Array("\\u00".utf8))
            json.append(contentsOf: [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
        default:
            json.append(byte)
        }
    }
    json.append(UInt8(ascii: "\""))
}
