#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive `flock` on a lock file, held until ``release()`` or until the value is released.
///
/// Locks taken through separate opens conflict even within one process, so it serialises threads too.
final class FileLock {
    private var descriptor: Int32

    /// Opens (creating with mode 0600) the lock file at `path` and waits for an exclusive lock on it.
    init(path: String) throws(ProvisioningError) {
        descriptor = try POSIX.call("open the lock file", path: path) {
            open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        }
        let opened = descriptor
        do throws(ProvisioningError) {
            try POSIX.call("lock", path: path) { flock(opened, LOCK_EX) }
        } catch {
            close(opened)
            descriptor = -1
            throw error
        }
    }

    deinit { release() }

    /// Releases the lock (closing the file releases it).
    func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }
}
