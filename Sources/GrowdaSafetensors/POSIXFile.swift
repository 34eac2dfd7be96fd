#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The module's one door to the C file API: each call's failure becomes a `FileError`.
enum POSIXFile {
    /// Throws a `FileError` with the current `errno` when `result` is -1.
    @discardableResult
    static func check<T: BinaryInteger>(_ result: T, _ operation: String, _ path: String) throws -> T {
        guard result == -1 else { return result }
        throw FileError(path: path, operation: operation, code: errno)
    }

    /// Runs a call again while it fails with EINTR.
    static func retrying<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result != -1 || errno != EINTR { return result }
        }
    }

    /// The whole content of the regular file at `path`.
    static func readAll(_ path: String) throws -> [UInt8] {
        let fd = try check(retrying { open(path, O_RDONLY | O_CLOEXEC) }, "open", path)
        defer { close(fd) }
        var status = stat()
        try check(fstat(fd, &status), "fstat", path)
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw FileError(path: path, operation: "read", code: status.st_mode & S_IFMT == S_IFDIR ? EISDIR : EINVAL)
        }
        let size = Int(status.st_size)
        var failure: FileError?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            while initialized < size {
                let count = retrying { read(fd, buffer.baseAddress! + initialized, size - initialized) }
                if count == -1 {
                    failure = FileError(path: path, operation: "read", code: errno)
                    return
                }
                if count == 0 { return }  // The file shrank while being read: keep what is there.
                initialized += count
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Writes all of `bytes` to `fd`, resuming after short writes and EINTR.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let count = try check(
                retrying { write(fd, bytes.baseAddress! + offset, bytes.count - offset) }, "write", path)
            offset += count
        }
    }
}
