#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file-system call that failed: which call, on which path, and the system's reason.
public struct FileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The path the call was made on.
    public var path: String
    /// The system call or step that failed, e.g. `open`, `fsync`, `rename`.
    public var operation: String
    /// The `errno` value.
    public var code: Int32
    /// The system's text for `code` (`strerror`).
    public var reason: String

    /// Makes an error for `operation` on `path` that failed with `errno` value `code`.
    public init(path: String, operation: String, code: Int32) {
        self.path = path
        self.operation = operation
        self.code = code
        self.reason = String(cString: strerror(code))
    }

    /// `path: operation failed: reason (errno N)`.
    public var description: String {
        "\(path): \(operation) failed: \(reason) (errno \(code))"
    }
}
