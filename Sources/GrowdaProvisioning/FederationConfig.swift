import GrowdaCrypto

/// A federation's configuration file, `federation.conf`: commented `key = value` lines.
///
/// ## Format
///
/// UTF-8 text, one item per line:
/// - `key = value`: the key is 1–64 characters of `a-z A-Z 0-9 . _ -`; spaces around `=` are optional;
///   the value is the rest of the line with surrounding spaces removed, and may be empty.
/// - `# comment`, and blank lines. A `#` starts a comment only at the start of a line (after spaces).
/// - A key appears at most once.
///
/// The parser accepts any well-formed key: this module reads only the addresses, ports and message limit
/// (``Key``), and the aggregator and the aggregation rule read the rest. ``unknownKeys(known:)`` lists the
/// keys outside a registry, each with its line and the nearest known key; the aggregator checks every file
/// against the registry of every key Growda reads (GrowdaAggregator's `AggregatorConfiguration.knownKeys`)
/// and refuses to start on an unknown one, so a misspelt key is never silently ignored. The typed getters
/// (``endpointHost()``, ``port(_:)``, …) check ranges, fall back to the defaults ``Key`` documents when a
/// known key is absent, and name the file and line of a bad value.
///
/// A commented-out `# key = value` line is a comment: it sets nothing. `growda federation init` writes
/// every key it does not set that way, above it what it means, allows and defaults to (``KnownKey``);
/// ``set(_:_:comment:)`` puts a new key in place of its commented-out line.
///
/// The writer keeps every comment, blank line and the order of keys, so a file read and written again
/// is unchanged apart from spacing around `=`.
public struct FederationConfig: Sendable, Equatable {
    /// The keys this module reads, with their defaults (documented in ``knownKeys``).
    public enum Key {
        /// The host nodes connect to, written into their bundles. Default `127.0.0.1`.
        public static let endpointHost = "endpoint.host"
        /// The address the aggregator binds its node-facing sockets to. Default `127.0.0.1`.
        public static let bindHost = "bind.host"
        /// The port of the updates socket (PULL). Default 7701.
        public static let updatesPort = "port.updates"
        /// The port of the models socket (PUB). Default 7702.
        public static let modelsPort = "port.models"
        /// The port of the snapshots socket (ROUTER). Default 7703.
        public static let snapshotsPort = "port.snapshots"
        /// The largest message the aggregator accepts, in bytes. Default 64 MiB.
        public static let maxMessageBytes = "limits.max_message_bytes"
    }

    /// The defaults of the keys in ``Key``.
    public enum Default {
        /// Where nodes connect and what the aggregator binds, unless told otherwise: this machine only.
        public static let host = "127.0.0.1"
        /// The updates (PULL) port.
        public static let updatesPort = 7701
        /// The models (PUB) port.
        public static let modelsPort = 7702
        /// The snapshots (ROUTER) port.
        public static let snapshotsPort = 7703
        /// The largest message accepted: 64 MiB.
        public static let maxMessageBytes = 64 << 20
    }

    /// The accepted range of ``Key/maxMessageBytes``: 64 KiB to 4 GiB.
    public static let maxMessageBytesRange = (64 << 10)...(4 << 30)

    /// One line of the file.
    enum Line: Sendable, Equatable {
        case blank
        case comment(String)
        case entry(key: String, value: String)
    }

    /// The file's path, named in errors.
    public var path: String
    /// The file's lines, in order.
    var lines: [Line]
    /// The line number each key was read from (absent for keys set in memory).
    private var lineNumbers: [String: Int] = [:]

    /// An empty configuration to be filled with ``set(_:_:comment:)``; `path` is named in errors.
    public init(path: String) {
        self.path = path
        self.lines = []
    }

    // MARK: Reading and writing

    /// Parses `text`, the contents of the file at `path`.
    ///
    /// - Throws: ``ProvisioningError/configMalformed(path:line:reason:)`` naming the line.
    public static func parse(_ text: String, path: String) throws(ProvisioningError) -> FederationConfig {
        var config = FederationConfig(path: path)
        var number = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            let line = rawLine.trimmingBlanks()
            if line.isEmpty {
                config.lines.append(.blank)
                continue
            }
            if line.hasPrefix("#") {
                let comment = line.dropFirst()
                config.lines.append(.comment(String(comment.hasPrefix(" ") ? comment.dropFirst() : comment)))
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw .configMalformed(path: path, line: number, reason: "expected `key = value`")
            }
            let key = String(line[..<equals].trimmingBlanks())
            let value = String(line[line.index(after: equals)...].trimmingBlanks())
            guard isKey(key) else {
                throw .configMalformed(
                    path: path,
                    line: number,
                    reason: "a key is 1–64 characters of letters, digits, '.', '_' and '-'"
                )
            }
            if let first = config.lineNumbers[key] {
                throw .configMalformed(path: path, line: number, reason: "\(key) is set twice (also on line \(first))")
            }
            config.lines.append(.entry(key: key, value: value))
            config.lineNumbers[key] = number
        }
        // The newline that ends the file, and blank lines after the last item, make no items.
        while config.lines.last == .blank { config.lines.removeLast() }
        return config
    }

    /// Reads and parses the file at `path`.
    ///
    /// - Throws: ``ProvisioningError/configMalformed(path:line:reason:)`` or
    ///   ``ProvisioningError/fileSystemFailure(operation:path:errno:)``.
    public static func load(path: String) throws(ProvisioningError) -> FederationConfig {
        let bytes = try POSIX.readFile(path, maximumByteCount: 1 << 20)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .configMalformed(path: path, line: 1, reason: "the file is not UTF-8 text")
        }
        return try parse(text, path: path)
    }

    /// The file's text: every comment, blank line and entry in order, entries as `key = value`.
    public func rendered() -> String {
        var text = ""
        for line in lines {
            switch line {
            case .blank: text += "\n"
            case .comment(let comment): text += comment.isEmpty ? "#\n" : "# \(comment)\n"
            case .entry(let key, let value): text += "\(key) = \(value)\n"
            }
        }
        return text
    }

    /// Writes ``rendered()`` to `path` atomically with mode 0600.
    ///
    /// - Parameter overwrite: whether to replace a file already at `path`.
    public func write(path: String, overwrite: Bool = false) throws(ProvisioningError) {
        try ProvisioningError.wrapping { () throws(CryptoError) in
            try PrivateFile.write(Array(rendered().utf8), path: path, overwrite: overwrite)
        }
    }

    // MARK: Values

    /// Every key, in file order.
    public var keys: [String] {
        lines.compactMap { line in
            if case .entry(let key, _) = line { return key }
            return nil
        }
    }

    /// The value of `key` as written, or nil when the file does not set it.
    public subscript(key: String) -> String? {
        for case .entry(let name, let value) in lines where name == key { return value }
        return nil
    }

    /// Sets `key` to `value`: in place when the file sets it, in place of its commented-out `# key = …` line
    /// (a value without spaces) when there is one, keeping the comments above it; else appended after a
    /// blank line and `comment`.
    ///
    /// - Throws: ``ProvisioningError/configInvalid(path:line:key:reason:)`` when `key` is not a valid key or
    ///   `value` or a comment holds a line break.
    public mutating func set(_ key: String, _ value: String, comment: [String] = []) throws(ProvisioningError) {
        guard Self.isKey(key) else {
            throw .configInvalid(path: path, line: nil, key: key, reason: "is not a valid key")
        }
        guard !(comment + [value]).contains(where: { $0.contains(where: \.isNewline) }) else {
            throw .configInvalid(path: path, line: nil, key: key, reason: "has a line break in its value or comment")
        }
        if let index = lines.firstIndex(where: { if case .entry(key, _) = $0 { true } else { false } }) {
            lines[index] = .entry(key: key, value: value)
            return
        }
        let commentedOut = lines.firstIndex { line in
            if case .comment(let text) = line { return Self.commentedKey(text) == key }
            return false
        }
        if let index = commentedOut {
            lines[index] = .entry(key: key, value: value)
            return
        }
        if !lines.isEmpty { lines.append(.blank) }
        lines += comment.map(Line.comment)
        lines.append(.entry(key: key, value: value))
    }

    /// The line `key` was read from, if it was read from the file.
    public func line(of key: String) -> Int? { lineNumbers[key] }

    /// The value of `key`, or `fallback` when absent.
    ///
    /// - Throws: ``ProvisioningError/configInvalid(path:line:key:reason:)`` when the key is absent and there
    ///   is no fallback.
    public func string(_ key: String, default fallback: String? = nil) throws(ProvisioningError) -> String {
        if let value = self[key] { return value }
        if let fallback { return fallback }
        throw .configInvalid(path: path, line: nil, key: key, reason: "is not set")
    }

    /// The whole number `key` holds, checked to lie in `range`; `fallback` when absent.
    ///
    /// - Throws: ``ProvisioningError/configInvalid(path:line:key:reason:)`` for a value that is not a whole
    ///   number, one outside `range`, or an absent key with no fallback.
    public func integer(
        _ key: String,
        in range: ClosedRange<Int>,
        default fallback: Int? = nil
    ) throws(ProvisioningError) -> Int {
        guard let text = self[key] else {
            if let fallback { return fallback }
            throw .configInvalid(path: path, line: nil, key: key, reason: "is not set")
        }
        guard let value = Int(text) else {
            throw invalid(key, "must be a whole number, got \"\(text)\"")
        }
        guard range.contains(value) else {
            throw invalid(key, "must be from \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
        return value
    }

    /// The TCP port `key` holds (1–65535); `fallback` when absent.
    public func port(_ key: String, default fallback: Int? = nil) throws(ProvisioningError) -> Int {
        try integer(key, in: 1...65535, default: fallback)
    }

    /// The host `key` holds, checked as ``Host/validated(_:)`` does; `fallback` when absent.
    public func host(_ key: String, default fallback: String? = nil) throws(ProvisioningError) -> String {
        let value = try string(key, default: fallback)
        do throws(ProvisioningError) {
            return try Host.validated(value)
        } catch .invalidHost(_, let reason) {
            throw invalid(key, "is not a usable host (\"\(value)\"): \(reason)")
        }
    }

    private func invalid(_ key: String, _ reason: String) -> ProvisioningError {
        .configInvalid(path: path, line: lineNumbers[key], key: key, reason: reason)
    }

    /// Whether both have the same path and the same lines (where keys were read from does not count).
    public static func == (lhs: FederationConfig, rhs: FederationConfig) -> Bool {
        lhs.path == rhs.path && lhs.lines == rhs.lines
    }

    /// Whether `key` is 1–64 characters of `a-z A-Z 0-9 . _ -`.
    static func isKey(_ key: String) -> Bool { NodeName.problem(with: key) == nil }

    /// The key of a commented-out entry (`text` is a comment's text, `key = value` with a value of no
    /// spaces, as `federation init` writes them), or nil for prose (which has spaces after any `=`).
    static func commentedKey(_ text: String) -> String? {
        guard let equals = text.firstIndex(of: "=") else { return nil }
        let key = String(Substring(text)[..<equals].trimmingBlanks())
        let value = Substring(text)[text.index(after: equals)...].trimmingBlanks()
        return isKey(key) && !value.contains(where: \.isWhitespace) ? key : nil
    }
}

extension Substring {
    /// The text without leading and trailing spaces, tabs and CRs.
    func trimmingBlanks() -> Substring {
        let blanks: Set<Character> = [" ", "\t", "\r"]
        var text = self
        while let first = text.first, blanks.contains(first) { text = text.dropFirst() }
        while let last = text.last, blanks.contains(last) { text = text.dropLast() }
        return text
    }
}
