#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Rewrites of a file in place: faster than `AtomicFile` for a file written again and again (no new
/// file, no rename, and with `durable` an fdatasync that, for a file of unchanged size, flushes its data
/// but no metadata), but not atomic: a crash during the write leaves a torn file. Use it only for a
/// file nothing refers to until the write has returned (two files taking turns, the one in use never
/// written).
public enum InPlaceFile {
    /// Writes `bytes` over the content of `path` (created with `permissions` when missing), truncating
    /// it to their length; with `durable`, flushes the data (and, for a new file, its folder entry).
    public static func write(_ bytes: [UInt8], to path: String, durable: Bool, permissions: Int = 0o644) throws {
        var created = false
        var fd = POSIXFile.retrying { open(path, O_WRONLY | O_CLOEXEC) }
        if fd == -1 && errno == ENOENT {
            fd = POSIXFile.retrying { open(path, O_WRONLY | O_CREAT | O_CLOEXEC, mode_t(permissions)) }
            created = true
        }
        _ = try POSIXFile.check(fd, "open for writing", path)
        var isOpen = true
        defer { if isOpen { close(fd) } }
        try bytes.withUnsafeBytes { try POSIXFile.writeAll(fd, $0, path: path) }
        try POSIXFile.check(POSIXFile.retrying { ftruncate(fd, off_t(bytes.count)) }, "truncate", path)
        if durable {
            #if canImport(Darwin)
                try POSIXFile.check(POSIXFile.retrying { fsync(fd) }, "fsync", path)
            #else
                try POSIXFile.check(POSIXFile.retrying { fdatasync(fd) }, "fdatasync", path)
            #endif
        }
        isOpen = false
        try POSIXFile.check(close(fd), "close", path)
        if durable && created { try AtomicFile.syncFolder(AtomicFile.split(path).folder) }
    }
}
