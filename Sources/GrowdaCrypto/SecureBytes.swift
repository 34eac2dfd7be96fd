import CSodium

/// Key material in memory that libsodium guards, and that is zeroed when released.
///
/// The bytes live in a `sodium_malloc` region: locked into RAM where the system allows (`mlock`), fenced
/// by guard pages, and never moved or copied by Swift. `deinit` wipes them with `sodium_memzero` before
/// `sodium_free` returns the pages. The class is immutable once its initialiser has filled it, so it is
/// safe to share across threads.
final class SecureBytes: @unchecked Sendable {
    /// Observes each release in the current task, after the bytes are zeroed and before they are freed.
    ///
    /// Tests use it to check what the memory held at release; it is `nil` otherwise and costs one read.
    @TaskLocal static var releaseObserver: (@Sendable (UnsafeRawBufferPointer) -> Void)?

    /// How many bytes are held.
    let count: Int
    private let base: UnsafeMutableRawPointer

    /// Allocates `count` bytes of guarded memory and lets `initialise` fill all of them.
    ///
    /// - Throws: ``CryptoError/secureMemoryUnavailable(byteCount:)`` when the allocation fails, or what
    ///   `initialise` throws (the memory is then zeroed and released).
    init(
        count: Int,
        initialise: (UnsafeMutableRawBufferPointer) throws(CryptoError) -> Void
    ) throws(CryptoError) {
        try Sodium.ensureInitialised()
        precondition(count > 0, "SecureBytes holds key material, never an empty buffer")
        guard let base = sodium_malloc(count) else { throw .secureMemoryUnavailable(byteCount: count) }
        self.count = count
        self.base = base
        try initialise(UnsafeMutableRawBufferPointer(start: base, count: count))
    }

    /// Copies `bytes` into guarded memory.
    convenience init(copying bytes: UnsafeRawBufferPointer) throws(CryptoError) {
        try self.init(count: bytes.count) { destination in destination.copyMemory(from: bytes) }
    }

    deinit {
        sodium_memzero(base, count)
        if let observer = Self.releaseObserver {
            observer(UnsafeRawBufferPointer(start: base, count: count))
        }
        sodium_free(base)
    }

    /// The address of the first byte, for tests that match a release to its buffer.
    var address: UnsafeRawPointer { UnsafeRawPointer(base) }

    /// Calls `body` with the bytes; they must not be copied out of the closure.
    func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Whether both hold the same bytes, compared in constant time (`sodium_memcmp`).
    func constantTimeEquals(_ other: SecureBytes) -> Bool {
        count == other.count && sodium_memcmp(base, other.base, count) == 0
    }
}
