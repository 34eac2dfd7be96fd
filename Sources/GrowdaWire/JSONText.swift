import GrowdaSafetensors

/// The small pieces of JSON the wire needs: string escaping for the safetensors header, and the
/// `metrics` field, a flat object of finite numbers (`{"loss":0.31,"val_accuracy":0.9}`).
///
/// The reader is strict RFC 8259 for that one shape: any whitespace, `\uXXXX` escapes with surrogate
/// pairs (so Python's `json.dumps` output is read), no duplicate keys, no NaN or infinities.
enum JSONText {
    /// Appends `text` as a JSON string, exactly as the safetensors writer does (one escaper for both).
    static func appendString(_ text: String, to json: inout [UInt8]) {
        appendJSONString(text, to: &json)
    }

    /// The metrics as a compact JSON object, keys in UTF-8 byte order, numbers in Swift's shortest
    /// round-trip form (`0.3`, `1e-05`, `12.0`).
    static func encodeMetrics(_ metrics: [String: Double]) throws(WireEncodingError) -> String {
        var json: [UInt8] = [UInt8(ascii: "{")]
        let keys = metrics.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for (index, key) in keys.enumerated() {
            let value = metrics[key, default: 0]
            guard value.isFinite else { throw .invalidField(name: "metrics", problem: "\(key) is \(value)") }
            if index > 0 { json.append(UInt8(ascii: ",")) }
            appendString(key, to: &json)
            json.append(UInt8(ascii: ":"))
            json.append(contentsOf: value.description.utf8)
        }
        json.append(UInt8(ascii: "}"))
        return String(decoding: json, as: UTF8.self)
    }

    /// Reads a metrics object; malformed unless it is exactly one object of unique string keys to finite
    /// numbers, oversize past `maxEntries` entries.
    static func decodeMetrics(_ text: String, maxEntries: Int) throws(RejectionReason) -> [String: Double] {
        var reader = Reader(bytes: Array(text.utf8))
        var metrics: [String: Double] = [:]
        reader.skipWhitespace()
        try reader.expect(UInt8(ascii: "{"))
        reader.skipWhitespace()
        if reader.peek() == UInt8(ascii: "}") {
            reader.index += 1
        } else {
            while true {
                reader.skipWhitespace()
                let key = try reader.string()
                reader.skipWhitespace()
                try reader.expect(UInt8(ascii: ":"))
                reader.skipWhitespace()
                let value = try reader.number()
                guard metrics.updateValue(value, forKey: key) == nil else { throw .malformed }
                guard metrics.count <= maxEntries else { throw .oversize }
                reader.skipWhitespace()
                if reader.peek() == UInt8(ascii: ",") {
                    reader.index += 1
                    continue
                }
                try reader.expect(UInt8(ascii: "}"))
                break
            }
        }
        reader.skipWhitespace()
        guard reader.index == reader.bytes.count else { throw .malformed }
        return metrics
    }

    /// A cursor over JSON text; every read is bounds-checked and fails as malformed.
    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        func peek() -> UInt8? {
            index < bytes.count ? bytes[index] : nil
        }

        mutating func next() throws(RejectionReason) -> UInt8 {
            guard index < bytes.count else { throw .malformed }
            defer { index += 1 }
            return bytes[index]
        }

        mutating func expect(_ byte: UInt8) throws(RejectionReason) {
            guard try next() == byte else { throw .malformed }
        }

        mutating func skipWhitespace() {
            while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        /// A JSON string; the input is already valid UTF-8, so bytes above 0x7F are kept as they are.
        mutating func string() throws(RejectionReason) -> String {
            try expect(UInt8(ascii: "\""))
            var utf8: [UInt8] = []
            while true {
                let byte = try next()
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: utf8, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    try escape(into: &utf8)
                case 0x00..<0x20:
                    throw .malformed
                default:
                    utf8.append(byte)
                }
            }
        }

        private mutating func escape(into utf8: inout [UInt8]) throws(RejectionReason) {
            let byte = try next()
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    try expect(UInt8(ascii: "\\"))
                    try expect(UInt8(ascii: "u"))
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw .malformed }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw .malformed }
                utf8.append(contentsOf: String(Character(unicode)).utf8)
            default:
                throw .malformed
            }
        }

        private mutating func hex4() throws(RejectionReason) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = try next()
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw .malformed
                }
                value = value << 4 | digit
            }
            return value
        }

        /// A JSON number (`-? int frac? exp?`), which must be finite as a `Double`.
        mutating func number() throws(RejectionReason) -> Double {
            let start = index
            if peek() == UInt8(ascii: "-") { index += 1 }
            if peek() == UInt8(ascii: "0") {
                index += 1
            } else {
                guard digits() > 0 else { throw .malformed }
            }
            if peek() == UInt8(ascii: ".") {
                index += 1
                guard digits() > 0 else { throw .malformed }
            }
            if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
                index += 1
                if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { throw .malformed }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            guard let value = Double(text), value.isFinite else { throw .malformed }
            return value
        }

        private mutating func digits() -> Int {
            var count = 0
            while let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                index += 1
                count += 1
            }
            return count
        }
    }
}
