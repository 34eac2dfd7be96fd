/// A strict JSON reader for one safetensors header, driven by the header's schema.
///
/// It builds no JSON tree: it reads the top-level object member by member, keeps key order,
/// detects duplicate keys, bounds nesting depth, validates UTF-8 inside strings and fails with a
/// `SafetensorsError` on the first problem. Every index is bounds-checked, so any byte string
/// gives a header or an error. Offsets and shapes come back as read; `SafetensorsFile` checks them.
struct SafetensorsHeaderParser {
    /// One tensor member of the header, before its offsets and shape are checked against the data.
    struct Entry {
        var name: String
        var dtype: SafetensorsDType
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    /// Unknown fields inside a tensor entry may nest this deep before the header is refused.
    static let maxDepth = 64

    private let bytes: [UInt8]
    private let start: Int
    private let end: Int
    private var index: Int

    /// Reads the header in `bytes[range]`.
    init(bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        self.start = range.lowerBound
        self.end = range.upperBound
        self.index = range.lowerBound
    }

    /// Parses the whole header: the metadata and the tensor entries in header order.
    mutating func parse() throws -> (metadata: [String: String], entries: [Entry]) {
        var metadata: [String: String]?
        var entries: [Entry] = []
        var names: Set<String> = []
        skipWhitespace()
        guard peek() == UInt8(ascii: "{") else { throw typeError("the header must be a JSON object") }
        index += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                let key = try parseKey()
                if key == "__metadata__" {
                    guard metadata == nil else {
                        throw SafetensorsError(.invalidMetadata, "the header has two \"__metadata__\" members")
                    }
                    metadata = try parseMetadata()
                } else {
                    guard names.insert(key).inserted else {
                        throw SafetensorsError(.duplicateName, "tensor \(quoted(key)) appears twice in the header")
                    }
                    entries.append(try parseEntry(name: key))
                }
                if try endOfContainer(closing: "}") { break }
            }
        }
        skipWhitespace()
        guard index == end else { throw jsonError("unexpected bytes after the header object") }
        return (metadata ?? [:], entries)
    }

    // MARK: Schema

    /// `{"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}`; other fields are skipped.
    private mutating func parseEntry(name: String) throws -> Entry {
        let context = "tensor \(quoted(name))"
        try expectObject("\(context) must be a JSON object")
        var dtypeName: String?
        var shape: [Int]?
        var offsets: [Int]?
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                let field = try parseKey()
                switch field {
                case "dtype":
                    guard dtypeName == nil else { throw duplicateField(field, context) }
                    guard peek() == UInt8(ascii: "\"") else { throw typeError("\(context): dtype must be a string") }
                    dtypeName = try parseString()
                case "shape":
                    guard shape == nil else { throw duplicateField(field, context) }
                    shape = try parseIntegers("\(context): shape")
                case "data_offsets":
                    guard offsets == nil else { throw duplicateField(field, context) }
                    offsets = try parseIntegers("\(context): data_offsets")
                default:
                    try skipValue(depth: 2)
                }
                if try endOfContainer(closing: "}") { break }
            }
        }
        guard let dtypeName else { throw missingField("dtype", context) }
        guard let shape else { throw missingField("shape", context) }
        guard let offsets else { throw missingField("data_offsets", context) }
        guard offsets.count == 2 else {
            throw SafetensorsError(
                .invalidHeader, "\(context): data_offsets must hold 2 numbers, not \(offsets.count)")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw SafetensorsError(.invalidDType, "\(context): unknown or unsupported dtype \(quoted(dtypeName))")
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
    }

    /// `{"key": "value", ...}` with unique keys and string values only.
    private mutating func parseMetadata() throws -> [String: String] {
        guard peek() == UInt8(ascii: "{") else {
            throw typeError("\"__metadata__\" must be an object of strings", reason: .invalidMetadata)
        }
        index += 1
        var metadata: [String: String] = [:]
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return metadata
        }
        while true {
            let key = try parseKey()
            guard peek() == UInt8(ascii: "\"") else {
                throw typeError("metadata value of \(quoted(key)) must be a string", reason: .invalidMetadata)
            }
            let value = try parseString()
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw SafetensorsError(.invalidMetadata, "metadata key \(quoted(key)) appears twice")
            }
            if try endOfContainer(closing: "}") { break }
        }
        return metadata
    }

    /// `[n, ...]` of non-negative integers that fit in `Int`.
    private mutating func parseIntegers(_ what: String) throws -> [Int] {
        guard peek() == UInt8(ascii: "[") else { throw typeError("\(what) must be an array of integers") }
        index += 1
        var values: [Int] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return values
        }
        while true {
            skipWhitespace()
            guard let byte = peek(), byte == UInt8(ascii: "-") || isDigit(byte) else {
                throw typeError("\(what) must hold integers only")
            }
            let number = try scanNumber()
            guard number.isInteger, !number.isNegative else {
                throw SafetensorsError(
                    .invalidHeader, "\(what) must hold non-negative integers, found \(text(number.range))")
            }
            var value = 0
            for digit in bytes[number.range] {
                let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
                guard !overflow1, !overflow2 else {
                    throw SafetensorsError(.invalidHeader, "\(what): \(text(number.range)) is too large")
                }
                value = sum
            }
            values.append(value)
            if try endOfContainer(closing: "]") { break }
        }
        return values
    }

    // MARK: JSON grammar

    /// Reads `"key"` and the `:` after it, leaving the index at the value.
    private mutating func parseKey() throws -> String {
        skipWhitespace()
        guard peek() == UInt8(ascii: "\"") else { throw jsonError("expected a string key") }
        let key = try parseString()
        skipWhitespace()
        guard peek() == UInt8(ascii: ":") else { throw jsonError("expected ':' after a key") }
        index += 1
        skipWhitespace()
        return key
    }

    /// After a member or element: consumes `,` (returns false) or the closing byte (returns true).
    private mutating func endOfContainer(closing: Unicode.Scalar) throws -> Bool {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: ","):
            index += 1
            return false
        case UInt8(ascii: closing):
            index += 1
            return true
        default:
            throw jsonError("expected ',' or '\(closing)'")
        }
    }

    private mutating func expectObject(_ message: String) throws {
        guard peek() == UInt8(ascii: "{") else { throw typeError(message) }
        index += 1
    }

    /// Reads a string at the index (which must be on its opening quote) and decodes its escapes.
    private mutating func parseString() throws -> String {
        index += 1
        var decoded: [UInt8] = []  // Used only once an escape is seen.
        var sawEscape = false
        var sawNonASCII = false
        var segmentStart = index
        while true {
            guard index < end else { throw jsonError("unterminated string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let raw = bytes[segmentStart..<index]
                index += 1
                guard sawEscape else { return try makeString(raw, checkUTF8: sawNonASCII) }
                decoded.append(contentsOf: raw)
                return try makeString(decoded[...], checkUTF8: sawNonASCII)
            } else if byte == UInt8(ascii: "\\") {
                sawEscape = true
                decoded.append(contentsOf: bytes[segmentStart..<index])
                index += 1
                try parseEscape(into: &decoded)
                segmentStart = index
            } else if byte < 0x20 {
                throw jsonError("control character in a string")
            } else {
                if byte >= 0x80 { sawNonASCII = true }
                index += 1
            }
        }
    }

    private func makeString(_ utf8: ArraySlice<UInt8>, checkUTF8: Bool) throws -> String {
        if checkUTF8 && !Self.isValidUTF8(utf8) { throw jsonError("a string is not valid UTF-8") }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// Decodes the escape after a backslash, appending its UTF-8 bytes.
    private mutating func parseEscape(into buffer: inout [UInt8]) throws {
        guard let byte = peek() else { throw jsonError("unterminated escape") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(byte)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            var value = try parseHex4()
            if (0xD800..<0xDC00).contains(value) {
                guard peek() == UInt8(ascii: "\\"), peek(at: 1) == UInt8(ascii: "u") else {
                    throw jsonError("lone surrogate in a \\u escape")
                }
                index += 2
                let low = try parseHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw jsonError("lone surrogate in a \\u escape") }
                value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(value) {
                throw jsonError("lone surrogate in a \\u escape")
            }
            guard let scalar = Unicode.Scalar(value) else { throw jsonError("invalid \\u escape") }
            UTF8.encode(scalar) { buffer.append($0) }
        default:
            throw jsonError("invalid escape")
        }
    }

    private mutating func parseHex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek() else { throw jsonError("unterminated \\u escape") }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw jsonError("invalid hex digit in a \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// Checks the JSON number grammar at the index and consumes it.
    private mutating func scanNumber() throws -> (range: Range<Int>, isInteger: Bool, isNegative: Bool) {
        let start = index
        let isNegative = peek() == UInt8(ascii: "-")
        if isNegative { index += 1 }
        let digitsStart = index
        guard let first = peek(), isDigit(first) else { throw jsonError("invalid number") }
        index += 1
        if first == UInt8(ascii: "0") {
            if let next = peek(), isDigit(next) { throw jsonError("leading zero in a number") }
        } else {
            skipDigits()
        }
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard let next = peek(), isDigit(next) else { throw jsonError("invalid number") }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard let next = peek(), isDigit(next) else { throw jsonError("invalid number") }
            skipDigits()
        }
        return (isInteger ? digitsStart..<index : start..<index, isInteger, isNegative)
    }

    /// Consumes any JSON value, checking its syntax, to skip a field this reader does not use.
    private mutating func skipValue(depth: Int) throws {
        guard depth <= Self.maxDepth else { throw jsonError("nested deeper than \(Self.maxDepth) levels") }
        guard let byte = peek() else { throw jsonError("expected a value") }
        switch byte {
        case UInt8(ascii: "{"):
            index += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "}") {
                index += 1
                return
            }
            repeat {
                _ = try parseKey()
                try skipValue(depth: depth + 1)
            } while try !endOfContainer(closing: "}")
        case UInt8(ascii: "["):
            index += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "]") {
                index += 1
                return
            }
            repeat {
                skipWhitespace()
                try skipValue(depth: depth + 1)
            } while try !endOfContainer(closing: "]")
        case UInt8(ascii: "\""):
            _ = try parseString()
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        default:
            _ = try scanNumber()
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        guard end - index >= count else { throw jsonError("invalid literal") }
        let matches = literal.withUTF8Buffer { expected in
            expected.indices.allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else { throw jsonError("invalid literal") }
        index += count
    }

    // MARK: Bytes

    private func peek(at offset: Int = 0) -> UInt8? {
        index + offset < end ? bytes[index + offset] : nil
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func skipDigits() {
        while let byte = peek(), isDigit(byte) { index += 1 }
    }

    private mutating func skipWhitespace() {
        while let byte = peek(),
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
                || byte == UInt8(ascii: "\t")
        {
            index += 1
        }
    }

    /// Whether `utf8` is well-formed UTF-8 (RFC 3629: no overlongs, surrogates or values past U+10FFFF).
    static func isValidUTF8(_ utf8: ArraySlice<UInt8>) -> Bool {
        var i = utf8.startIndex
        func continuation(_ offset: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            i + offset < utf8.endIndex && range.contains(utf8[i + offset])
        }
        while i < utf8.endIndex {
            let lead = utf8[i]
            let length: Int
            switch lead {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = continuation(1) ? 2 : 0
            case 0xE0: length = continuation(1, 0xA0...0xBF) && continuation(2) ? 3 : 0
            case 0xE1...0xEC, 0xEE...0xEF: length = continuation(1) && continuation(2) ? 3 : 0
            case 0xED: length = continuation(1, 0x80...0x9F) && continuation(2) ? 3 : 0
            case 0xF0: length = continuation(1, 0x90...0xBF) && continuation(2) && continuation(3) ? 4 : 0
            case 0xF1...0xF3: length = continuation(1) && continuation(2) && continuation(3) ? 4 : 0
            case 0xF4: length = continuation(1, 0x80...0x8F) && continuation(2) && continuation(3) ? 4 : 0
            default: length = 0
            }
            if length == 0 { return false }
            i += length
        }
        return true
    }

    // MARK: Errors

    private func jsonError(_ message: String) -> SafetensorsError {
        SafetensorsError(.invalidJSON, "invalid JSON at header byte \(index - start): \(message)")
    }

    /// A value of the wrong JSON type is a schema error; bytes that start no JSON value are a syntax error.
    private func typeError(_ message: String, reason: SafetensorsError.Reason = .invalidHeader) -> SafetensorsError {
        guard let byte = peek() else { return jsonError("unexpected end of the header") }
        let startsValue = "{[\"-0123456789tfn".utf8.contains(byte)
        return startsValue ? SafetensorsError(reason, message) : jsonError("expected a value")
    }

    private func duplicateField(_ field: String, _ context: String) -> SafetensorsError {
        SafetensorsError(.invalidHeader, "\(context): field \(quoted(field)) appears twice")
    }

    private func missingField(_ field: String, _ context: String) -> SafetensorsError {
        SafetensorsError(.invalidHeader, "\(context): missing field \(quoted(field))")
    }

    /// The bytes of a number token, cut to 40 for messages.
    private func text(_ range: Range<Int>) -> String {
        String(decoding: bytes[range.lowerBound..<min(range.upperBound, range.lowerBound + 40)], as: UTF8.self)
    }
}
