import Foundation
import GrowdaSafetensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive `flock` on a state folder's `LOCK` file, held from `acquire` until `release` or deinit.
///
/// `flock` locks belong to the open file description, so a second acquire fails even in the same
/// process, and the kernel drops the lock when the holder dies (kill -9 included): a stale `LOCK`
/// file never blocks a restart. The holder writes its pid into the file for the refusal message.
final class FolderLock: @unchecked Sendable {
    private let guardLock = NSLock()
    private var descriptor: Int32?

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Takes the lock at `path` (creating the file), or throws `StoreError.locked` naming the holder.
    static func acquire(path: String, folder: String) throws -> FolderLock {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError(path: path, operation: "open lock file", code: errno) }
        var result: Int32
        repeat { result = flock(fd, LOCK_EX | LOCK_NB) } while result == -1 && errno == EINTR
        if result == -1 {
            let code = errno
            defer { close(fd) }
            guard code == EWOULDBLOCK else { throw FileError(path: path, operation: "flock", code: code) }
            throw StoreError.locked(folder: folder, holder: holderPID(fd))
        }
        let lock = FolderLock(descriptor: fd)
        let text = Array("\(getpid())\n".utf8)
        guard ftruncate(fd, 0) == 0, text.withUnsafeBytes({ pwrite(fd, $0.baseAddress, $0.count, 0) }) == text.count
        else {
            let code = errno
            lock.release()
            throw FileError(path: path, operation: "write pid to lock file", code: code)
        }
        return lock
    }

    /// Unlocks and closes the file; later calls do nothing.
    func release() {
        guardLock.lock()
        defer { guardLock.unlock() }
        guard let fd = descriptor else { return }
        descriptor = nil
        flock(fd, LOCK_UN)
        close(fd)
    }

    deinit { release() }

    /// The pid written in the lock file by its holder, if it reads as one.
    private static func holderPID(_ fd: Int32) -> Int32? {
        var bytes = [UInt8](repeating: 0, count: 32)
        let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: bytes[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text)
    }
}
