#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whole-file writes that survive a crash: afterwards the path holds either the old content or
/// the new, never a mix or a torn file.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically and durably.
    ///
    /// Steps: write a temporary file in the same folder (`.NAME.tmp-PID-RANDOM`, created
    /// exclusively with `permissions`, less the umask), fsync it, rename it over `path`, fsync the
    /// folder. On failure the temporary file is removed and a `FileError` names the path and step.
    public static func write(_ bytes: [UInt8], to path: String, permissions: Int = 0o644) throws {
        try bytes.withUnsafeBytes { try write(bytes: $0, to: path, permissions: permissions) }
    }

    /// Writes the bytes in `bytes` to `path` as `write(_:to:permissions:)` does.
    public static func write(bytes: UnsafeRawBufferPointer, to path: String, permissions: Int = 0o644) throws {
        let (folder, name) = split(path)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw FileError(path: path, operation: "write", code: EISDIR)
        }
        let suffix = String(UInt64.random(in: .min ... .max), radix: 16)
        let temporary = "\(folder)/.\(name).tmp-\(getpid())-\(suffix)"
        let fd = try POSIXFile.check(
            POSIXFile.retrying { open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(permissions)) },
            "create temporary file", temporary)
        do {
            var isOpen = true
            defer { if isOpen { close(fd) } }
            try POSIXFile.writeAll(fd, bytes, path: temporary)
            try POSIXFile.check(POSIXFile.retrying { fsync(fd) }, "fsync", temporary)
            isOpen = false
            try POSIXFile.check(close(fd), "close", temporary)
            try POSIXFile.check(rename(temporary, path), "rename \(temporary) to", path)
        } catch {
            unlink(temporary)
            throw error
        }
        try syncFolder(folder)
    }

    /// Flushes a folder's entries (a rename in it) to disk. File systems that cannot sync a
    /// folder (EINVAL, ENOTSUP) are taken as having nothing to flush.
    static func syncFolder(_ folder: String) throws {
        let fd = try POSIXFile.check(
            POSIXFile.retrying { open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }, "open folder", folder)
        defer { close(fd) }
        if POSIXFile.retrying({ fsync(fd) }) == -1 && errno != EINVAL && errno != ENOTSUP {
            throw FileError(path: folder, operation: "fsync folder", code: errno)
        }
    }

    /// The folder part of `path` ("." when there is none) and its last component.
    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = path[..<slash]
        return (folder.isEmpty ? "/" : String(folder), String(path[path.index(after: slash)...]))
    }
}
