/// Lays out a message body as safetensors bytes straight into the buffer that will be sealed, so each
/// tensor's bytes are copied once on the way to the wire.
///
/// The layout is `SafetensorsWriter`'s (and the reference implementation's) for F32-only files (or, for a
/// compressed update, U8-only files of rank-1 tensors): an
/// 8-byte little-endian header length; the compact JSON header with `__metadata__` first (keys in UTF-8
/// byte order), then the tensors in name order with consecutive `data_offsets`, padded with spaces to
/// a multiple of 8 bytes; then the tensors' bytes in the same order. The same message always gives the
/// same bytes.
struct SafetensorsBody {
    /// The JSON header, padded.
    let header: [UInt8]
    /// The tensors the data section holds.
    let tensors: WireTensors
    /// A compressed update's encoded tensors, written after `tensors` (which is then empty).
    let coded: CodedTensors?
    /// The size of the data section.
    let dataByteCount: Int

    /// Plans the body for `metadata` and `tensors`, or for `coded` tensors (each a U8 tensor of shape
    /// [its byte count]).
    init(metadata: [String: String], tensors: WireTensors, coded: CodedTensors? = nil) {
        var json: [UInt8] = Array("{\"__metadata__\":{".utf8)
        let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for (index, key) in keys.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            JSONText.appendString(key, to: &json)
            json.append(UInt8(ascii: ":"))
            JSONText.appendString(metadata[key, default: ""], to: &json)
        }
        json.append(UInt8(ascii: "}"))
        var offset = 0
        tensors.forEach { name, shape, values in
            json.append(UInt8(ascii: ","))
            JSONText.appendString(name, to: &json)
            json.append(UInt8(ascii: ":"))
            let end = offset + values.count * MemoryLayout<Float>.size
            let dimensions = shape.map(String.init).joined(separator: ",")
            json.append(
                contentsOf: "{\"dtype\":\"F32\",\"shape\":[\(dimensions)],\"data_offsets\":[\(offset),\(end)]}".utf8)
            offset = end
        }
        coded?.forEach { name, bytes in
            json.append(UInt8(ascii: ","))
            JSONText.appendString(name, to: &json)
            json.append(UInt8(ascii: ":"))
            let end = offset + bytes.count
            json.append(contentsOf: "{\"dtype\":\"U8\",\"shape\":[\(bytes.count)],\"data_offsets\":[\(offset),\(end)]}".utf8)
            offset = end
        }
        json.append(UInt8(ascii: "}"))
        json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
        self.header = json
        self.tensors = tensors
        self.coded = coded
        self.dataByteCount = offset
    }

    /// The whole body's size.
    var byteCount: Int { 8 + header.count + dataByteCount }

    /// Writes the body into `destination`, which must hold exactly ``byteCount`` bytes.
    func write(into destination: UnsafeMutableRawBufferPointer) {
        precondition(destination.count == byteCount, "the body buffer must be sized with byteCount")
        destination.storeBytes(of: UInt64(header.count).littleEndian, toByteOffset: 0, as: UInt64.self)
        var offset = 8
        func append(_ source: UnsafeRawBufferPointer) {
            UnsafeMutableRawBufferPointer(rebasing: destination[offset...]).copyMemory(from: source)
            offset += source.count
        }
        header.withUnsafeBytes(append)
        tensors.forEach { _, _, values in append(UnsafeRawBufferPointer(values)) }
        coded?.forEach { _, bytes in append(bytes) }
    }

    /// The body as a new array.
    var encoded: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initialised in
            write(into: UnsafeMutableRawBufferPointer(buffer))
            initialised = byteCount
        }
    }
}
