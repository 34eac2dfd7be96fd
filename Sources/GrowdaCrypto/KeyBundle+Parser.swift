extension KeyBundle {
    /// Reads a bundle's lines from guarded memory into a ``KeyBundle``, checking them against a layout.
    ///
    /// Only non-secret parts of a line (directive words, names, field values, key-line tags) become Swift
    /// strings; key fields are decoded from the guarded buffer straight into guarded memory, and no part of
    /// a line that could hold key bytes is quoted in an error.
    struct Parser {
        private static let newline = UInt8(ascii: "\n")
        private static let space = UInt8(ascii: " ")
        private static let trailing: [UInt8] = [space, UInt8(ascii: "\t"), UInt8(ascii: "\r")]

        private let path: String
        private var bundle: KeyBundle
        private var headerLine: Int?
        private var fieldLines: [String: Int] = [:]
        private var keyLines: [String: Int] = [:]

        /// A parser for the bundle at `path` (named in errors), which must hold `layout`.
        init(path: String, layout: Layout) {
            self.path = path
            self.bundle = KeyBundle(layout: layout)
        }

        private var layout: Layout { bundle.layout }

        /// Parses the whole file.
        mutating func parse(_ contents: UnsafeRawBufferPointer) throws(CryptoError) -> KeyBundle {
            var start = 0
            var number = 0
            while start < contents.count {
                number += 1
                let end = contents[start...].firstIndex(of: Self.newline) ?? contents.count
                var trimmedEnd = end
                while trimmedEnd > start, Self.trailing.contains(contents[trimmedEnd - 1]) {
                    trimmedEnd -= 1
                }
                if trimmedEnd > start && contents[start] != UInt8(ascii: "#") {
                    try parseLine(UnsafeRawBufferPointer(rebasing: contents[start..<trimmedEnd]), number: number)
                }
                start = end + 1
            }
            guard headerLine != nil else {
                throw malformed(nil, "it has no header line `\(header)`")
            }
            for name in layout.fields where fieldLines[name] == nil {
                throw malformed(nil, "it has no `set \(name) …` line")
            }
            for slot in layout.keys where keyLines[slot.role] == nil {
                throw malformed(nil, "it has no `key \(slot.role) …` line")
            }
            return bundle
        }

        /// The header line this layout expects.
        private var header: String { "\(KeyBundle.headerTag) \(KeyBundle.version) \(layout.kind)" }

        private func malformed(_ line: Int?, _ reason: String) -> CryptoError {
            .keyBundleMalformed(path: path, line: line, reason: reason)
        }

        /// One line that is neither blank nor a comment, trailing blanks removed.
        private mutating func parseLine(_ line: UnsafeRawBufferPointer, number: Int) throws(CryptoError) {
            let firstSpace = line.firstIndex(of: Self.space) ?? line.count
            let word = UnsafeRawBufferPointer(rebasing: line[..<firstSpace])
            let rest = UnsafeRawBufferPointer(rebasing: line[min(firstSpace + 1, line.count)...])
            guard let headerLine else {
                try parseHeader(word: word, rest: rest, number: number)
                return
            }
            if word.elementsEqual("set".utf8) {
                try parseField(rest, number: number)
            } else if word.elementsEqual("key".utf8) {
                try parseKey(rest, number: number)
            } else if word.elementsEqual(KeyBundle.headerTag.utf8) {
                throw malformed(number, "a second header line (the first is line \(headerLine))")
            } else {
                throw malformed(number, "expected `set NAME VALUE` or `key ROLE growda-<kind>-key v1 <base64>`")
            }
        }

        /// `growda-bundle v1 KIND`, which must come before any other line.
        private mutating func parseHeader(
            word: UnsafeRawBufferPointer,
            rest: UnsafeRawBufferPointer,
            number: Int
        ) throws(CryptoError) {
            guard word.elementsEqual(KeyBundle.headerTag.utf8) else {
                throw malformed(number, "expected the header line `\(header)` before any other line")
            }
            let fields = rest.split(separator: Self.space, omittingEmptySubsequences: false)
            guard fields.count == 2 else { throw malformed(number, "expected the header line `\(header)`") }
            let version = String(decoding: fields[0], as: UTF8.self)
            guard version == KeyBundle.version else {
                throw malformed(number, "format version \(version) is not supported (only \(KeyBundle.version))")
            }
            let kind = String(decoding: fields[1], as: UTF8.self)
            guard kind == layout.kind else {
                let shown = KeyBundle.isName(kind) ? "of kind `\(kind)`" : "of another kind"
                throw malformed(number, "it is a bundle \(shown), not `\(layout.kind)`")
            }
            headerLine = number
        }

        /// `set NAME VALUE`.
        private mutating func parseField(_ rest: UnsafeRawBufferPointer, number: Int) throws(CryptoError) {
            guard let space = rest.firstIndex(of: Self.space), KeyBundle.isName(rest[..<space]) else {
                throw malformed(number, "expected `set NAME VALUE`")
            }
            let name = String(decoding: rest[..<space], as: UTF8.self)
            guard layout.fields.contains(name) else {
                let known = layout.fields.joined(separator: ", ")
                throw malformed(number, "unknown field `\(name)` (a \(layout.kind) bundle has \(known))")
            }
            if let first = fieldLines[name] {
                throw malformed(number, "field `\(name)` is set twice (also on line \(first))")
            }
            guard let value = String(validating: rest[(space + 1)...], as: UTF8.self) else {
                throw malformed(number, "the value of `\(name)` is not UTF-8 text")
            }
            if let problem = KeyBundle.problem(withValue: value) {
                throw malformed(number, "field `\(name)`: \(problem)")
            }
            try bundle.setField(name, value)
            fieldLines[name] = number
        }

        /// `key ROLE growda-<kind>-key v1 <base64>`.
        private mutating func parseKey(_ rest: UnsafeRawBufferPointer, number: Int) throws(CryptoError) {
            guard let space = rest.firstIndex(of: Self.space), KeyBundle.isName(rest[..<space]) else {
                throw malformed(number, "expected `key ROLE growda-<kind>-key v1 <base64>`")
            }
            let role = String(decoding: rest[..<space], as: UTF8.self)
            guard let kind = layout.kind(ofRole: role) else {
                let known = layout.keys.map(\.role).joined(separator: ", ")
                throw malformed(number, "unknown key role `\(role)` (a \(layout.kind) bundle has \(known))")
            }
            if let first = keyLines[role] {
                throw malformed(number, "key `\(role)` is given twice (also on line \(first))")
            }
            let keyLine = UnsafeRawBufferPointer(rebasing: rest[(space + 1)...])
            let storage: SecureBytes
            do throws(CryptoError) {
                storage = try KeyFile.parseKeyLine(keyLine, path: path, kind: kind, byteCount: kind.byteCount)
            } catch .keyFileMalformed(_, let reason) {
                throw malformed(number, "key `\(role)`: \(reason)")
            } catch .keyFileWrongKind(_, let expected, let found) {
                throw malformed(number, "key `\(role)` is a \(found) key, not a \(expected.rawValue) key")
            }
            do throws(CryptoError) {
                switch kind {
                case .secretBox:
                    try bundle.setKey(SecretBoxKey(storage: storage), role: role)
                case .signing:
                    try bundle.setKey(SigningKey(storage: storage), role: role)
                case .verify:
                    let key = try storage.withUnsafeBytes { bytes throws(CryptoError) in try VerifyKey(bytes: bytes) }
                    try bundle.setKey(key, role: role)
                case .console:
                    // No bundle layout has a console role, so `layout.kind(ofRole:)` never gives this kind.
                    throw malformed(number, "key `\(role)`: a console token is kept in its own file, not a bundle")
                }
            } catch .inconsistentSigningKey {
                throw malformed(number, "key `\(role)`: the signing key's public half does not match its seed")
            }
            keyLines[role] = number
        }
    }
}

extension KeyKind {
    /// The length in bytes of a key of this kind.
    var byteCount: Int {
        switch self {
        case .secretBox: return SecretBoxKey.byteCount
        case .signing: return SigningKey.byteCount
        case .verify: return VerifyKey.byteCount
        case .console: return ConsoleToken.byteCount
        }
    }
}
