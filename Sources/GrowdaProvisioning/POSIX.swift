#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The POSIX calls a federation's folder needs, each failure turned into
/// ``ProvisioningError/fileSystemFailure(operation:path:errno:)`` naming what was being done and where.
enum POSIX {
    /// Runs `body`, a call that returns -1 and sets `errno` on failure, retrying on `EINTR`.
    @discardableResult
    static func call(
        _ operation: String,
        path: String,
        _ body: () -> Int32
    ) throws(ProvisioningError) -> Int32 {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = errno
            if code == EINTR { continue }
            throw .fileSystemFailure(operation: operation, path: path, errno: code)
        }
    }

    /// What is at `path`: nil when nothing is, else whether it is a directory.
    static func kind(of path: String) throws(ProvisioningError) -> (exists: Bool, isDirectory: Bool) {
        var status = stat()
        if stat(path, &status) == 0 { return (true, status.st_mode & S_IFMT == S_IFDIR) }
        if errno == ENOENT { return (false, false) }
        throw .fileSystemFailure(operation: "inspect", path: path, errno: errno)
    }

    /// Whether something is at `path`.
    static func exists(_ path: String) throws(ProvisioningError) -> Bool { try kind(of: path).exists }

    /// Makes the directory `path` with exactly `mode`, whatever the umask; its parent must exist.
    static func makeDirectory(_ path: String, mode: mode_t) throws(ProvisioningError) {
        try call("make the folder", path: path) { mkdir(path, mode) }
        try setMode(path, mode)
    }

    /// Makes the directory `path` with `mode`, and any missing parents with the usual mode (0777 less the
    /// umask).
    static func makeDirectories(_ path: String, mode: mode_t) throws(ProvisioningError) {
        let parent = parentDirectory(of: path)
        if parent != path, try !exists(parent) {
            try makeDirectories(parent, mode: 0o777)
        }
        try makeDirectory(path, mode: mode)
    }

    /// Sets the permission bits of `path` exactly (`chmod`).
    static func setMode(_ path: String, _ mode: mode_t) throws(ProvisioningError) {
        try call("set the mode of", path: path) { chmod(path, mode) }
    }

    /// Removes the file `path`; a missing file is fine.
    static func removeFile(_ path: String) throws(ProvisioningError) {
        if unlink(path) == 0 || errno == ENOENT { return }
        throw .fileSystemFailure(operation: "remove", path: path, errno: errno)
    }

    /// Renames `from` to `to` (`rename`: atomic, replacing `to`); a missing `from` is fine.
    static func renameFile(_ from: String, to: String) throws(ProvisioningError) {
        if rename(from, to) == 0 || errno == ENOENT { return }
        throw .fileSystemFailure(operation: "rename", path: from, errno: errno)
    }

    /// Flushes a directory's entries to disk, so a removal in it survives a crash.
    static func syncDirectory(_ path: String) throws(ProvisioningError) {
        let descriptor = try call("open the folder", path: path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(descriptor) }
        try call("flush the folder", path: path) { fsync(descriptor) }
    }

    /// The whole of the file at `path`, refused when larger than `maximumByteCount`.
    static func readFile(_ path: String, maximumByteCount: Int) throws(ProvisioningError) -> [UInt8] {
        let descriptor = try call("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in read(descriptor, buffer.baseAddress, buffer.count) }
            if count == 0 { return bytes }
            if count < 0 {
                if errno == EINTR { continue }
                throw .fileSystemFailure(operation: "read", path: path, errno: errno)
            }
            bytes += chunk[..<count]
            guard bytes.count <= maximumByteCount else {
                throw .fileSystemFailure(operation: "read (over \(maximumByteCount) bytes)", path: path, errno: EFBIG)
            }
        }
    }

    /// The directory part of `path` (`.` for a bare name, `/` for a top-level entry).
    static func parentDirectory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        let parent = trimmed[..<slash]
        return parent.isEmpty ? "/" : String(parent)
    }
}
