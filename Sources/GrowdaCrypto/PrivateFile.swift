import CSodium

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Files that only their owner may read or write: the reading and writing rules that ``KeyFile`` and
/// ``KeyBundle`` share, and that other private files (a node registry, a federation's configuration) reuse.
///
/// ## Writing
///
/// A write creates the file with mode 0600 from the start: a temporary file in the same directory, opened
/// with `O_CREAT | O_EXCL | O_NOFOLLOW` and mode 0600 (then `fchmod`ed, whatever the umask), is written,
/// `fsync`ed, then renamed (or, when not overwriting, linked) into place, and the directory is `fsync`ed.
/// So the contents are never readable by others, not even briefly, and a crash leaves either the old file
/// or the new one.
///
/// ## Reading (for key material)
///
/// A read refuses, with ``CryptoError/keyFileInsecurePermissions(path:mode:)``, any file that group or
/// others may read, write or execute, and with ``CryptoError/keyFileNotRegular(path:type:)`` anything but
/// a regular file; it refuses empty files and files over a size cap. The checks use `fstat` on the open
/// file, so the file cannot be swapped between check and read. The bytes go straight into guarded memory,
/// which is zeroed once the caller is done with them.
public enum PrivateFile {
    /// The permission bits every private file is given.
    static let mode: mode_t = 0o600

    /// Writes `bytes` to `path` as a private file (mode 0600, atomic and durable).
    ///
    /// For contents that are not secret but must not be changed by others, such as a node registry or a
    /// configuration file. Key material goes through ``KeyFile`` or ``KeyBundle``, which keep it in guarded
    /// memory.
    ///
    /// - Parameter overwrite: whether to replace a file already at `path`; without it an existing file is
    ///   left alone and ``CryptoError/keyFileExists(path:)`` is thrown.
    /// - Throws: ``CryptoError/keyFileExists(path:)`` or ``CryptoError/fileSystemFailure(call:path:errno:)``.
    public static func write(_ bytes: [UInt8], path: String, overwrite: Bool = false) throws(CryptoError) {
        try Sodium.ensureInitialised()
        try Sodium.withBytes(of: bytes) { buffer throws(CryptoError) in
            try write(buffer, path: path, overwrite: overwrite)
        }
    }

    /// Writes guarded `contents` to `path` as a private file.
    static func write(_ contents: SecureBytes, path: String, overwrite: Bool) throws(CryptoError) {
        try contents.withUnsafeBytes { bytes throws(CryptoError) in
            try write(bytes, path: path, overwrite: overwrite)
        }
    }

    /// Writes `bytes` to `path`: temporary file with mode 0600, fsync, link or rename, fsync of the directory.
    private static func write(_ bytes: UnsafeRawBufferPointer, path: String, overwrite: Bool) throws(CryptoError) {
        let (directory, name) = FileSystem.split(path)
        var suffix = [UInt8](repeating: 0, count: 8)
        randombytes_buf(&suffix, suffix.count)
        let temporaryPath = "\(directory)/.\(name).tmp-\(Hex.encode(suffix))"
        let file = try FileDescriptor.open(
            temporaryPath,
            flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
            mode: mode
        )
        do throws(CryptoError) {
            try file.setMode(mode)
            try file.write(bytes)
            try file.sync()
            try file.close()
            if overwrite {
                try FileSystem.rename(temporaryPath, to: path)
            } else {
                do throws(CryptoError) {
                    try FileSystem.link(temporaryPath, to: path)
                } catch .fileSystemFailure(_, _, EEXIST) {
                    throw .keyFileExists(path: path)
                }
                try FileSystem.unlink(temporaryPath)
            }
            try FileSystem.syncDirectory(directory)
        } catch {
            try? FileSystem.unlink(temporaryPath)
            throw error
        }
    }

    /// Opens and checks the private file at `path`, reads it into guarded memory, and calls `body` with its
    /// bytes; the memory is zeroed and released when `body` returns.
    ///
    /// - Parameters:
    ///   - maximumByteCount: the largest file accepted.
    ///   - noun: what the file is, for the size error ("a key file").
    ///   - malformed: the error for a file that is empty, too large, or changed size while it was read,
    ///     given a reason such as "the file is empty".
    /// The text of the small private file at `path` (mode 0600 or stricter, at most 4096 bytes): a console
    /// password hash, say. For key bytes use ``KeyFile``, which never makes a `String`.
    public static func readText(path: String, noun: String = "a private file") throws(CryptoError) -> String {
        try withContents(
            path: path, maximumByteCount: 4096, noun: noun,
            malformed: { reason in .keyFileMalformed(path: path, reason: reason) }
        ) { bytes in String(decoding: bytes, as: UTF8.self) }
    }

    static func withContents<Result>(
        path: String,
        maximumByteCount: Int,
        noun: String,
        malformed: (String) -> CryptoError,
        _ body: (UnsafeRawBufferPointer) throws(CryptoError) -> Result
    ) throws(CryptoError) -> Result {
        // O_NONBLOCK keeps a FIFO from blocking the open; fstat then rejects it.
        let file = try FileDescriptor.open(path, flags: O_RDONLY | O_NOCTTY | O_NONBLOCK)
        let status = try file.status()
        let mode = UInt32(status.st_mode)
        guard mode & 0o170000 == 0o100000 else {
            throw .keyFileNotRegular(path: path, type: FileSystem.typeName(mode: mode))
        }
        guard mode & 0o077 == 0 else { throw .keyFileInsecurePermissions(path: path, mode: mode & 0o7777) }
        let size = Int(status.st_size)
        guard size > 0 else { throw malformed("the file is empty") }
        guard size <= maximumByteCount else {
            throw malformed("the file is \(size) bytes, more than the \(maximumByteCount) \(noun) may be")
        }
        // One spare byte shows whether the file grew after fstat.
        var readCount = 0
        let contents = try SecureBytes(count: size + 1) { buffer throws(CryptoError) in
            readCount = try file.read(into: buffer)
        }
        try file.close()
        guard readCount == size else { throw malformed("the file changed size while it was read") }
        return try contents.withUnsafeBytes { bytes throws(CryptoError) in
            try body(UnsafeRawBufferPointer(rebasing: bytes[..<readCount]))
        }
    }
}
