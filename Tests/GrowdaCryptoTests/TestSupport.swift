import Foundation
import Testing

@testable import GrowdaCrypto

/// Bytes from hex digits; whitespace is ignored. Traps on anything else, which only a typo in a test causes.
func bytes(hex: String) -> [UInt8] {
    let digits = Array(hex.filter { !$0.isWhitespace })
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

/// A fresh directory under the system's temporary directory, for one test.
struct TemporaryDirectory {
    /// The directory's path.
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "growda-crypto-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    /// The path of `name` inside the directory.
    func file(_ name: String) -> String { path + "/" + name }

    /// Removes the directory and everything in it.
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The permission bits of the file at `path`.
func permissions(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return try #require(attributes[.posixPermissions] as? Int)
}

/// Sets the permission bits of the file at `path`.
func setPermissions(_ path: String, _ mode: Int) throws {
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
}

/// What ``SecureBytes`` held at each release observed, after zeroing and before freeing.
final class ReleaseRecorder: @unchecked Sendable {
    /// One release: where the bytes were, and what they held.
    struct Release {
        let address: UnsafeRawPointer
        let bytes: [UInt8]
    }

    private let lock = NSLock()
    private var recorded: [Release] = []

    /// The releases seen so far.
    var releases: [Release] { lock.withLock { recorded } }

    /// Runs `body` with this recorder observing every release in the current task.
    @discardableResult
    func observe<Result>(_ body: () throws -> Result) rethrows -> Result {
        try SecureBytes.$releaseObserver.withValue(
            { [self] buffer in
                let release = Release(address: buffer.baseAddress!, bytes: Array(buffer))
                lock.withLock { recorded.append(release) }
            },
            operation: body
        )
    }
}
