/// Several keys in one private file, each under a role, with non-secret text fields beside them: what a
/// node is given to join a federation.
///
/// ## Format (version 1)
///
/// UTF-8 text with LF line ends, at most ``maximumByteCount`` bytes, for example:
///
/// ```
/// # Growda node bundle for "st-marys" (node 3). Secret: keep this file mode 0600.
/// growda-bundle v1 node
/// set node-id 3
/// set node-name st-marys
/// set endpoint.updates tcp://agg.example.org:7701
/// key node growda-secretbox-key v1 <base64>
/// key model growda-secretbox-key v1 <base64>
/// key aggregator growda-verify-key v1 <base64>
/// ```
///
/// - Blank lines and lines starting with `#` are ignored; trailing spaces, tabs and CRs are ignored.
///   Writers put their comment lines first.
/// - The first other line is the header: `growda-bundle`, the format version `v1` and the bundle's kind
///   (``Layout/kind``, e.g. `node`), separated by single spaces.
/// - `set NAME VALUE` holds a non-secret text field. NAME is 1–64 characters of `a-z A-Z 0-9 . _ -`;
///   VALUE is the rest of the line: printable text, not empty, with no leading or trailing space.
/// - `key ROLE LINE` holds a key. ROLE is named like a field; LINE is a key line exactly as in ``KeyFile``
///   (`growda-<kind>-key v1 <base64>`), and its kind must be the one the layout gives the role.
/// - Every field and role of the reader's ``Layout`` appears exactly once, in any order; anything else is
///   refused. Writers put the fields in layout order, then the keys.
///
/// Every refusal is a ``CryptoError/keyBundleMalformed(path:line:reason:)`` naming the line (1-based) where
/// there is one. No part of a key line other than its role is ever quoted in an error.
///
/// ## Permissions
///
/// As for ``KeyFile`` (the rules are ``PrivateFile``'s): written atomically with mode 0600 from the start;
/// refused on reading when group or others have any access, or when it is not a regular file. The file is
/// read into guarded memory and zeroed once the keys are made.
public struct KeyBundle: Sendable {
    /// The largest bundle accepted, in bytes; a node bundle is under 1 KiB.
    public static let maximumByteCount = 16_384
    /// The first word of the header line.
    static let headerTag = "growda-bundle"
    /// The format version written and accepted.
    static let version = "v1"

    /// What a bundle of one kind holds: the fields and key roles a reader requires and a writer writes.
    public struct Layout: Sendable, Equatable {
        /// One key role and the kind of key it holds.
        public struct Key: Sendable, Equatable {
            /// The role's name, e.g. `model`.
            public var role: String
            /// The kind of key the role holds.
            public var kind: KeyKind

            /// A role named `role` holding a key of `kind`.
            public init(role: String, kind: KeyKind) {
                self.role = role
                self.kind = kind
            }
        }

        /// The bundle's kind, the header's third word (e.g. `node`).
        public var kind: String
        /// The field names, in the order they are written.
        public var fields: [String]
        /// The key roles, in the order they are written.
        public var keys: [Key]

        /// A layout; every name must be 1–64 characters of `a-z A-Z 0-9 . _ -` and appear once.
        public init(kind: String, fields: [String], keys: [Key]) {
            precondition(KeyBundle.isName(kind), "bundle kind \(kind) is not a valid name")
            for name in fields + keys.map(\.role) {
                precondition(KeyBundle.isName(name), "bundle entry \(name) is not a valid name")
            }
            precondition(Set(fields).count == fields.count, "a bundle field is listed twice")
            precondition(Set(keys.map(\.role)).count == keys.count, "a bundle role is listed twice")
            self.kind = kind
            self.fields = fields
            self.keys = keys
        }

        /// The kind of key `role` holds, or nil when the layout has no such role.
        func kind(ofRole role: String) -> KeyKind? { keys.first { $0.role == role }?.kind }
    }

    /// A key held under a role.
    enum Entry: Sendable {
        case secretBox(SecretBoxKey)
        case signing(SigningKey)
        case verify(VerifyKey)

        /// The key's kind.
        var kind: KeyKind {
            switch self {
            case .secretBox: return .secretBox
            case .signing: return .signing
            case .verify: return .verify
            }
        }

        /// The key's fingerprint.
        var fingerprint: String {
            switch self {
            case .secretBox(let key): return key.fingerprint
            case .signing(let key): return key.fingerprint
            case .verify(let key): return key.fingerprint
            }
        }

        /// The key bytes in guarded memory, as a key line encodes them.
        func storage() throws(CryptoError) -> SecureBytes {
            switch self {
            case .secretBox(let key): return key.storage
            case .signing(let key): return key.storage
            case .verify(let key):
                return try Sodium.withBytes(of: key.bytes) { bytes throws(CryptoError) in
                    try SecureBytes(copying: bytes)
                }
            }
        }
    }

    /// What this bundle holds, and so what it must hold to be written.
    public let layout: Layout
    /// The text fields set so far, by name.
    public private(set) var fields: [String: String] = [:]
    /// The keys set so far, by role.
    private var entries: [String: Entry] = [:]

    /// An empty bundle of `layout`, to be filled with ``setField(_:_:)`` and the `setKey` methods.
    public init(layout: Layout) {
        self.layout = layout
    }

    // MARK: Fields and keys

    /// The value of field `name`, or nil when it is not set.
    public func field(_ name: String) -> String? { fields[name] }

    /// The secret-box key under `role`, or nil when none is.
    public func secretBoxKey(_ role: String) -> SecretBoxKey? {
        if case .secretBox(let key) = entries[role] { return key }
        return nil
    }

    /// The signing key under `role`, or nil when none is.
    public func signingKey(_ role: String) -> SigningKey? {
        if case .signing(let key) = entries[role] { return key }
        return nil
    }

    /// The verify key under `role`, or nil when none is.
    public func verifyKey(_ role: String) -> VerifyKey? {
        if case .verify(let key) = entries[role] { return key }
        return nil
    }

    /// Sets field `name` (one of the layout's) to `value`.
    ///
    /// - Throws: ``CryptoError/keyBundleInvalidEntry(name:reason:)`` when the layout has no such field, or
    ///   `value` is empty, has a leading or trailing space, a control character, or more than 1,024 bytes.
    public mutating func setField(_ name: String, _ value: String) throws(CryptoError) {
        guard layout.fields.contains(name) else {
            throw .keyBundleInvalidEntry(name: name, reason: "a \(layout.kind) bundle has no such field")
        }
        if let problem = Self.problem(withValue: value) { throw .keyBundleInvalidEntry(name: name, reason: problem) }
        fields[name] = value
    }

    /// Puts `key` under `role`, which the layout must give to secret-box keys.
    public mutating func setKey(_ key: SecretBoxKey, role: String) throws(CryptoError) {
        try set(.secretBox(key), role: role)
    }

    /// Puts `key` under `role`, which the layout must give to signing keys.
    public mutating func setKey(_ key: SigningKey, role: String) throws(CryptoError) {
        try set(.signing(key), role: role)
    }

    /// Puts `key` under `role`, which the layout must give to verify keys.
    public mutating func setKey(_ key: VerifyKey, role: String) throws(CryptoError) {
        try set(.verify(key), role: role)
    }

    private mutating func set(_ entry: Entry, role: String) throws(CryptoError) {
        guard let kind = layout.kind(ofRole: role) else {
            throw .keyBundleInvalidEntry(name: role, reason: "a \(layout.kind) bundle has no such key role")
        }
        guard kind == entry.kind else {
            throw .keyBundleInvalidEntry(
                name: role,
                reason: "the role holds a \(kind.rawValue) key, not a \(entry.kind.rawValue) key"
            )
        }
        entries[role] = entry
    }

    // MARK: Reading and writing

    /// Reads the bundle at `path`, which must hold exactly the fields and roles of `layout`.
    ///
    /// - Throws: ``CryptoError/keyBundleMalformed(path:line:reason:)``, and the file errors of ``KeyFile``:
    ///   ``CryptoError/keyFileInsecurePermissions(path:mode:)``, ``CryptoError/keyFileNotRegular(path:type:)``
    ///   or ``CryptoError/fileSystemFailure(call:path:errno:)``.
    public static func read(path: String, layout: Layout) throws(CryptoError) -> KeyBundle {
        try PrivateFile.withContents(
            path: path,
            maximumByteCount: maximumByteCount,
            noun: "a key bundle",
            malformed: { reason in .keyBundleMalformed(path: path, line: nil, reason: reason) }
        ) { contents throws(CryptoError) in
            try parse(contents, path: path, layout: layout)
        }
    }

    /// The bundle in `contents`, the bytes of a bundle file, which must hold exactly the fields and roles of
    /// `layout`; `path` is named in errors.
    ///
    /// - Throws: ``CryptoError/keyBundleMalformed(path:line:reason:)``.
    static func parse(_ contents: UnsafeRawBufferPointer, path: String, layout: Layout) throws(CryptoError) -> KeyBundle {
        var parser = Parser(path: path, layout: layout)
        return try parser.parse(contents)
    }

    /// Writes the bundle to `path` with mode 0600: `comments` (one line each, `# ` added), the header, the
    /// fields, then the keys.
    ///
    /// - Parameter overwrite: whether to replace a file already at `path`; without it an existing file is
    ///   left alone and ``CryptoError/keyFileExists(path:)`` is thrown.
    /// - Throws: ``CryptoError/keyBundleInvalidEntry(name:reason:)`` when a field or key of the layout is
    ///   not set or a comment holds a line break, ``CryptoError/keyFileExists(path:)`` or
    ///   ``CryptoError/fileSystemFailure(call:path:errno:)``.
    public func write(path: String, comments: [String] = [], overwrite: Bool = false) throws(CryptoError) {
        var pieces: [SecureBytes.TextPiece] = []
        for comment in comments {
            guard !comment.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw .keyBundleInvalidEntry(name: "comment", reason: "it holds a line break or control character")
            }
            pieces.append(.text("# \(comment)\n"))
        }
        pieces.append(.text("\(Self.headerTag) \(Self.version) \(layout.kind)\n"))
        for name in layout.fields {
            guard let value = fields[name] else { throw .keyBundleInvalidEntry(name: name, reason: "it is not set") }
            pieces.append(.text("set \(name) \(value)\n"))
        }
        for slot in layout.keys {
            guard let entry = entries[slot.role] else {
                throw .keyBundleInvalidEntry(name: slot.role, reason: "no key is set")
            }
            pieces.append(.text("key \(slot.role) \(KeyFile.keyLinePrefix(slot.kind))"))
            pieces.append(.base64(try entry.storage()))
            pieces.append(.text("\n"))
        }
        try PrivateFile.write(SecureBytes.text(pieces), path: path, overwrite: overwrite)
    }

    // MARK: Names and values

    /// Whether `name` is 1–64 characters of `a-z A-Z 0-9 . _ -`.
    static func isName(_ name: String) -> Bool { isName(name.utf8) }

    /// Whether `bytes` spell a name: 1–64 characters of `a-z A-Z 0-9 . _ -`.
    static func isName(_ bytes: some Collection<UInt8>) -> Bool {
        (1...64).contains(bytes.count) && bytes.allSatisfy(isNameByte)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// Why `value` cannot be a field value, or nil when it can.
    static func problem(withValue value: String) -> String? {
        if value.isEmpty { return "the value is empty" }
        if value.utf8.count > 1024 { return "the value is \(value.utf8.count) bytes, more than 1024" }
        if value.first == " " || value.last == " " { return "the value starts or ends with a space" }
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "the value holds a line break, tab or other control character"
        }
        return nil
    }
}

extension KeyBundle: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The kind, the fields and each key's kind and fingerprint: never a key byte.
    public var description: String {
        let fieldText = layout.fields.compactMap { name in fields[name].map { "\(name): \($0)" } }
        let keyText = layout.keys.compactMap { slot in
            entries[slot.role].map { "\(slot.role): \($0.kind.rawValue) \($0.fingerprint)" }
        }
        return "KeyBundle(\(layout.kind), fields: [\(fieldText.joined(separator: ", "))], "
            + "keys: [\(keyText.joined(separator: ", "))])"
    }

    /// The same as ``description``: never a key byte.
    public var debugDescription: String { description }

    /// A mirror showing the kind, the fields and the key fingerprints only, so `dump` shows no key bytes.
    public var customMirror: Mirror {
        let fingerprints = layout.keys.compactMap { slot in entries[slot.role].map { (slot.role, $0.fingerprint) } }
        return Mirror(
            self,
            children: [
                "kind": layout.kind,
                "fields": fields,
                "keyFingerprints": Dictionary(uniqueKeysWithValues: fingerprints),
            ],
            displayStyle: .struct
        )
    }
}
