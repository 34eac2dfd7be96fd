#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An open POSIX file descriptor, closed when released; every call's failure becomes a
/// ``CryptoError/fileSystemFailure(call:path:errno:)`` naming the call and the path.
final class FileDescriptor {
    /// The descriptor number.
    private let raw: Int32
    /// The path it was opened with, for errors.
    let path: String
    private var isOpen = true

    private init(raw: Int32, path: String) {
        self.raw = raw
        self.path = path
    }

    deinit {
        if isOpen { _ = systemClose(raw) }
    }

    /// Opens `path` with `flags` (`O_CLOEXEC` is always added) and, when creating, `mode`.
    static func open(_ path: String, flags: Int32, mode: mode_t = 0) throws(CryptoError) -> FileDescriptor {
        let raw = try FileSystem.call("open", path: path) { systemOpen(path, flags | O_CLOEXEC, mode) }
        return FileDescriptor(raw: raw, path: path)
    }

    /// The file's type, mode and size (`fstat`), read from the open file so no one can swap it meanwhile.
    func status() throws(CryptoError) -> stat {
        var status = stat()
        _ = try FileSystem.call("fstat", path: path) { fstat(raw, &status) }
        return status
    }

    /// Sets the permission bits exactly, whatever the process's umask (`fchmod`).
    func setMode(_ mode: mode_t) throws(CryptoError) {
        _ = try FileSystem.call("fchmod", path: path) { fchmod(raw, mode) }
    }

    /// Reads until `buffer` is full or the file ends; returns how many bytes were read.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(CryptoError) -> Int {
        var total = 0
        while total < buffer.count {
            let count = try FileSystem.call("read", path: path) {
                systemRead(raw, buffer.baseAddress! + total, buffer.count - total)
            }
            if count == 0 { break }
            total += count
        }
        return total
    }

    /// Writes all of `buffer`, however many `write` calls that takes.
    func write(_ buffer: UnsafeRawBufferPointer) throws(CryptoError) {
        var total = 0
        while total < buffer.count {
            total += try FileSystem.call("write", path: path) {
                systemWrite(raw, buffer.baseAddress! + total, buffer.count - total)
            }
        }
    }

    /// Flushes the file's data and metadata to the disk (`fsync`).
    func sync() throws(CryptoError) {
        _ = try FileSystem.call("fsync", path: path) { fsync(raw) }
    }

    /// Closes the descriptor, reporting a failure (which can mean lost writes on some file systems).
    func close() throws(CryptoError) {
        isOpen = false
        _ = try FileSystem.call("close", path: path, retryOnInterrupt: false) { systemClose(raw) }
    }
}

// The C calls under names that FileDescriptor's own methods do not shadow.
private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
