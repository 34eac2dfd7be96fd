import Foundation
import GrowdaSafetensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A ledger file that cannot be read or written. Each names the file, what failed and what to do.
public enum PrivacyLedgerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file exists but does not hold a ledger this version can read (truncated, edited, not JSON, another
    /// format or out-of-range values). It is never replaced by an empty ledger: that would forget spent budget.
    case unreadable(path: String, reason: String)
    /// A system call on the file or its folder failed with `code` (an errno value).
    case io(path: String, operation: String, code: Int32)

    /// What failed, with the file's path, and what to do next.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            "privacy ledger \(path) cannot be read: \(reason). It records the privacy budget this hospital has "
                + "already spent, so it is not replaced by an empty one: restore it from a backup, or, if the "
                + "spent budget may be forgotten, move it aside to start a new ledger"
        case .io(let path, let operation, let code):
            "privacy ledger \(path): \(operation) failed: \(String(cString: strerror(code))) (errno \(code))"
        }
    }
}

extension PrivacyLedger: Codable {
    /// The JSON keys of a ledger file.
    private enum CodingKeys: String, CodingKey {
        case format
        case entries
    }

    /// Decodes a ledger written by `encode(to:)`, refusing any other `format`, and sums its entries' RDP.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let format = try container.decode(String.self, forKey: .format)
        guard format == Self.format else {
            throw DecodingError.dataCorruptedError(
                forKey: .format, in: container,
                debugDescription: "format is \"\(format)\", not \"\(Self.format)\" (written by another Growda version?)"
            )
        }
        let entries = try container.decode([Entry].self, forKey: .entries)
        do {
            try self.init(entries: entries)
        } catch let error as PrivacyAccountingError {
            throw DecodingError.dataCorruptedError(
                forKey: .entries, in: container, debugDescription: error.description)
        }
    }

    /// Encodes the format name and the entries; the running RDP is not stored (it is re-summed on decoding).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.format, forKey: .format)
        try container.encode(entries, forKey: .entries)
    }
}

extension PrivacyLedger {
    /// The ledger stored at `url`, or an empty ledger if no file is there.
    ///
    /// Only a missing file gives an empty ledger. A file that exists but cannot be parsed is refused, never reset,
    /// since an empty ledger would forget the budget already spent.
    /// - Throws: `PrivacyLedgerError.unreadable` for a file that is not a valid ledger, `.io` if it cannot be read
    ///   (including when its folder cannot be searched).
    public static func load(from url: URL) throws -> PrivacyLedger {
        let path = url.path
        var info = stat()
        if stat(path, &info) != 0 {
            let code = errno
            if code == ENOENT { return PrivacyLedger() }
            throw PrivacyLedgerError.io(path: path, operation: "stat", code: code)
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw PrivacyLedgerError.unreadable(path: path, reason: "reading it failed (\(error))")
        }
        if data.isEmpty { throw PrivacyLedgerError.unreadable(path: path, reason: "the file is empty") }
        do {
            return try JSONDecoder().decode(PrivacyLedger.self, from: data)
        } catch let error as DecodingError {
            throw PrivacyLedgerError.unreadable(path: path, reason: Self.explain(error))
        } catch {
            throw PrivacyLedgerError.unreadable(path: path, reason: "\(error)")
        }
    }

    /// Writes the ledger to `url` as JSON so the file holds either its old content or all of the new one, even
    /// after a crash or power loss: a temporary file in the same folder is written and fsynced, renamed over
    /// `url`, and the folder is fsynced so the rename itself is on disk.
    /// (GrowdaSafetensors' `AtomicFile`, mode 0600.)
    /// - Throws: the `AtomicFile` error naming the call that failed; the old file is then left as it was.
    public func save(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var bytes = [UInt8](try encoder.encode(self))
        bytes.append(UInt8(ascii: "\n"))
        try AtomicFile.write(bytes, to: url.path, permissions: 0o600)
    }

    /// A decoding error as one readable clause: what was wrong and where in the JSON.
    private static func explain(_ error: DecodingError) -> String {
        func clause(_ what: String, _ context: DecodingError.Context) -> String {
            var what = what
            while what.hasSuffix(".") { what.removeLast() }
            var path = ""
            for key in context.codingPath {
                if let index = key.intValue {
                    path += "[\(index)]"
                } else {
                    path += (path.isEmpty ? "" : ".") + key.stringValue
                }
            }
            return path.isEmpty ? what : "\(what) (at \(path))"
        }
        switch error {
        case .dataCorrupted(let context):
            return clause(context.debugDescription, context)
        case .keyNotFound(let key, let context):
            return clause("field \"\(key.stringValue)\" is missing", context)
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return clause(context.debugDescription, context)
        @unknown default:
            return "\(error)"
        }
    }
}
