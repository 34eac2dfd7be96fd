import CSodium

/// The one place GrowdaCrypto starts libsodium and turns its return codes into ``CryptoError``.
///
/// Everything above this type sees Swift types only: no libsodium type appears in GrowdaCrypto's API.
enum Sodium {
    /// `sodium_init`'s result, computed once: Swift initialises a static `let` lazily and thread-safely.
    private static let initialisationCode: Int32 = sodium_init()

    /// Starts libsodium on first use; later calls are free.
    ///
    /// `sodium_init` returns 0 the first time, 1 when libsodium was already started, -1 on failure.
    static func ensureInitialised() throws(CryptoError) {
        let code = initialisationCode
        guard code >= 0 else { throw .initialisationFailed(code: code) }
    }

    /// Throws unless `code` is 0, libsodium's success value.
    ///
    /// - Parameters:
    ///   - code: what the libsodium function returned.
    ///   - call: the function's name, carried in the error.
    ///   - failure: the error that a non-zero code means for this call (a bad MAC, a bad signature);
    ///     without it the error is ``CryptoError/sodiumCallFailed(call:code:)``.
    static func check(_ code: Int32, _ call: String, failure: CryptoError? = nil) throws(CryptoError) {
        guard code != 0 else { return }
        throw failure ?? .sodiumCallFailed(call: call, code: code)
    }

    /// Calls `body` with the bytes of `bytes`, without copying them when they are stored contiguously
    /// (arrays, array slices, buffers); other sequences are gathered into an array first.
    static func withBytes<Bytes: Sequence<UInt8>, Result, Failure: Error>(
        of bytes: Bytes,
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let contiguous = bytes.withContiguousStorageIfAvailable { buffer in
            Swift.Result { () throws(Failure) -> Result in try body(UnsafeRawBufferPointer(buffer)) }
        }
        if let contiguous { return try contiguous.get() }
        let copied = Array(bytes).withUnsafeBytes { buffer in
            Swift.Result { () throws(Failure) -> Result in try body(buffer) }
        }
        return try copied.get()
    }
}

extension UnsafeRawBufferPointer {
    /// The first byte as libsodium wants it, or a pointer to a zero byte when the buffer is empty.
    ///
    /// libsodium takes a pointer and a length; an empty Swift buffer may have no address at all.
    func withBytePointer<Result>(_ body: (UnsafePointer<UInt8>) -> Result) -> Result {
        if let base = baseAddress { return body(base.assumingMemoryBound(to: UInt8.self)) }
        var zero: UInt8 = 0
        return withUnsafePointer(to: &zero) { body($0) }
    }
}

extension UnsafeMutableRawBufferPointer {
    /// The first byte as libsodium wants it, or a pointer to a scratch byte when the buffer is empty.
    func withBytePointer<Result>(_ body: (UnsafeMutablePointer<UInt8>) -> Result) -> Result {
        if let base = baseAddress { return body(base.assumingMemoryBound(to: UInt8.self)) }
        var scratch: UInt8 = 0
        return withUnsafeMutablePointer(to: &scratch) { body($0) }
    }

    /// The first byte of a buffer already known to be non-empty (key material, never empty).
    var bytePointer: UnsafeMutablePointer<UInt8> {
        baseAddress!.assumingMemoryBound(to: UInt8.self)
    }
}

extension UnsafeRawBufferPointer {
    /// The first byte of a buffer already known to be non-empty (key material, never empty).
    var bytePointer: UnsafePointer<UInt8> {
        baseAddress!.assumingMemoryBound(to: UInt8.self)
    }
}
