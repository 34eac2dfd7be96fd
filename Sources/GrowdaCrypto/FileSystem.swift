#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The POSIX calls key files need, each failure turned into a typed error that names call and path.
enum FileSystem {
    /// Runs `body`, a POSIX call that returns -1 and sets `errno` on failure, retrying on `EINTR`.
    ///
    /// - Throws: ``CryptoError/fileSystemFailure(call:path:errno:)``.
    @discardableResult
    static func call<Result: BinaryInteger>(
        _ name: String,
        path: String,
        retryOnInterrupt: Bool = true,
        _ body: () -> Result
    ) throws(CryptoError) -> Result {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = errno
            if code == EINTR && retryOnInterrupt { continue }
            throw .fileSystemFailure(call: name, path: path, errno: code)
        }
    }

    /// Gives the file at `source` the name `destination` too (`link`), failing if `destination` exists.
    static func link(_ source: String, to destination: String) throws(CryptoError) {
        try call("link", path: destination) { systemLink(source, destination) }
    }

    /// Renames `source` to `destination` atomically, replacing any file there (`rename`).
    static func rename(_ source: String, to destination: String) throws(CryptoError) {
        try call("rename", path: destination) { systemRename(source, destination) }
    }

    /// Removes the name `path` (`unlink`).
    static func unlink(_ path: String) throws(CryptoError) {
        try call("unlink", path: path) { systemUnlink(path) }
    }

    /// Flushes a directory's entries to disk, so a rename in it survives a crash.
    static func syncDirectory(_ path: String) throws(CryptoError) {
        let directory = try FileDescriptor.open(path, flags: O_RDONLY | O_DIRECTORY)
        try directory.sync()
        try directory.close()
    }

    /// The directory part of `path` (`.` for a bare name) and its last component.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// A name for a file type from `st_mode`, for errors.
    static func typeName(mode: UInt32) -> String {
        switch mode & 0o170000 {
        case 0o100000: return "regular file"
        case 0o040000: return "directory"
        case 0o120000: return "symbolic link"
        case 0o010000: return "FIFO"
        case 0o020000: return "character device"
        case 0o060000: return "block device"
        case 0o140000: return "socket"
        default: return "file of unknown type"
        }
    }
}

// The C calls under names that FileSystem's own functions do not shadow.
private func systemLink(_ source: String, _ destination: String) -> Int32 { link(source, destination) }
private func systemRename(_ source: String, _ destination: String) -> Int32 { rename(source, destination) }
private func systemUnlink(_ path: String) -> Int32 { unlink(path) }
