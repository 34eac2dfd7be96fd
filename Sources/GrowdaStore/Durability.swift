import GrowdaSafetensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// How much a write must survive before the store reports it done.
///
/// Measured on a shared 2-core virtual machine's ext4 disk (release build): a group commit with a 4 MiB
/// buffer takes 10–30 ms with `.full`, nearly all of it the buffer file's fsync, and about 2 ms with
/// `.processCrash`; committing a 13 MB checkpoint about 35 ms and 13 ms. The cost is per batch, not per update.
public enum Durability: String, Sendable, CaseIterable {
    /// Survives a power loss or kernel crash, as well as a kill -9: buffer and checkpoint files are fsynced
    /// (with their folder) before their rows are written, and every transaction that counts an update,
    /// settles a seq or commits a version waits for the disk (SQLite `synchronous = FULL` in WAL mode).
    /// Heartbeats alone are committed without waiting (a power loss may forget the last few; they only
    /// say when a node was last heard). The setting for real federations.
    case full
    /// Survives a kill -9 of the aggregator, not a power loss or kernel crash: files are written to a
    /// temporary name and renamed without fsync, and SQLite runs with `synchronous = NORMAL`. After a power
    /// loss, updates already acknowledged may be lost. For tests, simulations and benchmarks.
    case processCrash

    /// The SQLite `synchronous` level for writes that count.
    var synchronousPragma: String {
        switch self {
        case .full: "FULL"
        case .processCrash: "NORMAL"
        }
    }

    /// Writes `bytes` to `path` so that it holds either its old content or all of `bytes`: with
    /// `AtomicFile` (temp, fsync, rename, fsync folder) for `.full`; temp and rename alone otherwise.
    func write(_ bytes: [UInt8], to path: String) throws {
        switch self {
        case .full: try AtomicFile.write(bytes, to: path)
        case .processCrash: try Self.writeWithoutSync(bytes, to: path)
        }
    }

    /// Writes `bytes` over `path` in place (see `InPlaceFile`): flushed to disk under `.full`. Not atomic:
    /// only for a file nothing committed refers to.
    func overwrite(_ bytes: [UInt8], at path: String) throws {
        try InPlaceFile.write(bytes, to: path, durable: self == .full)
    }

    /// Temp file `.NAME.tmp-PID-RANDOM` in the same folder (the name recovery removes), then rename.
    private static func writeWithoutSync(_ bytes: [UInt8], to path: String) throws {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = "\(folder)/.\(name).tmp-\(getpid())-\(String(UInt64.random(in: .min ... .max), radix: 16))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError(path: temporary, operation: "create temporary file", code: errno) }
        var failure = writeAll(fd, bytes).map { FileError(path: temporary, operation: "write", code: $0) }
        if close(fd) != 0, failure == nil { failure = FileError(path: temporary, operation: "close", code: errno) }
        if failure == nil, rename(temporary, path) != 0 {
            failure = FileError(path: path, operation: "rename \(temporary) to", code: errno)
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }
}

/// Writes all of `bytes` to `fd`, resuming after short writes and EINTR; the errno of a failure, or nil.
private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
    bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let count = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += count
        }
        return nil
    }
}
