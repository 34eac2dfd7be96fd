import CZmq

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One part of a multipart ZeroMQ message: immutable bytes, cheap to copy and share across threads.
///
/// Three ways bytes get here, and what each costs:
/// - `Frame([UInt8])` keeps the array; sending copies it once into libzmq.
/// - `Frame(count:initializingWith:)` lets the producer write straight into memory the frame owns;
///   sending a large one is zero-copy (libzmq keeps the frame's memory alive until its free callback).
/// - A received large frame (over ``copyLimit`` bytes) keeps libzmq's message without copying;
///   ``count`` is known before anything is copied, so a caller can refuse an oversize frame for free.
///   Small received frames are copied into an array and libzmq's message is released at once.
public struct Frame: Sendable {
    enum Storage: Sendable {
        case bytes([UInt8])
        case owned(FrameStorage)
    }

    /// Received frames up to this size are copied into an array; larger ones are kept zero-copy.
    public static let copyLimit = 16 * 1024

    let storage: Storage

    /// An empty frame (a ROUTER/DEALER delimiter, a wake-up).
    public init() { storage = .bytes([]) }

    /// A frame holding `bytes`.
    public init(_ bytes: [UInt8]) { storage = .bytes(bytes) }

    /// A frame holding the UTF-8 bytes of `string`.
    public init(_ string: String) { storage = .bytes(Array(string.utf8)) }

    /// A frame of `count` bytes written in place by `body`, sent zero-copy when large.
    /// `body` must initialise every byte; the memory is never written again once this returns.
    public init(count: Int, initializingWith body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let owned = FrameStorage(allocating: count)
        try body(UnsafeMutableRawBufferPointer(start: owned.base, count: count))
        storage = .owned(owned)
    }

    init(owned: FrameStorage) { storage = .owned(owned) }

    /// The number of bytes.
    public var count: Int {
        switch storage {
        case .bytes(let b): b.count
        case .owned(let o): o.count
        }
    }

    /// The bytes as an array (no copy if the frame already holds one).
    public var bytes: [UInt8] {
        switch storage {
        case .bytes(let b): b
        case .owned(let o): Array(UnsafeRawBufferPointer(start: o.base, count: o.count))
        }
    }

    /// Calls `body` with the frame's bytes, valid only during the call; never copies.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch storage {
        case .bytes(let b): try b.withUnsafeBytes(body)
        case .owned(let o): try body(UnsafeRawBufferPointer(start: o.base, count: o.count))
        }
    }

    /// Initialises `message` with this frame's bytes: zero-copy for large owned storage, one copy otherwise.
    func load(into message: UnsafeMutablePointer<zmq_msg_t>) throws(ZMQError) {
        if case .owned(let owned) = storage, owned.count > Frame.copyLimit {
            let hint = Unmanaged.passRetained(owned).toOpaque()
            do {
                try check("zmq_msg_init_data") {
                    zmq_msg_init_data(message, owned.base, owned.count, releaseFrameStorage, hint)
                }
            } catch {
                Unmanaged<FrameStorage>.fromOpaque(hint).release()
                throw error
            }
            return
        }
        let size = count
        try check("zmq_msg_init_size") { zmq_msg_init_size(message, size) }
        if size > 0 {
            withUnsafeBytes { source in _ = memcpy(zmq_msg_data(message), source.baseAddress!, size) }
        }
    }
}

extension Frame: Equatable {
    /// Frames are equal when their bytes are.
    public static func == (lhs: Frame, rhs: Frame) -> Bool {
        lhs.withUnsafeBytes { a in
            rhs.withUnsafeBytes { b in
                a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
            }
        }
    }
}

extension Frame: CustomStringConvertible {
    /// `Frame(N bytes)`.
    public var description: String { "Frame(\(count) bytes)" }
}

/// Bytes a frame owns outright: either memory it allocated, or a received libzmq message.
/// Immutable once made, so sharing across threads is safe.
final class FrameStorage: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let count: Int
    private let message: UnsafeMutablePointer<zmq_msg_t>?

    init(allocating count: Int) {
        base = .allocate(byteCount: max(count, 1), alignment: 16)
        self.count = count
        message = nil
    }

    /// Takes ownership of a received, initialised message (closed and freed on release).
    init(taking message: UnsafeMutablePointer<zmq_msg_t>) {
        self.message = message
        base = zmq_msg_data(message)
        count = zmq_msg_size(message)
    }

    deinit {
        if let message {
            zmq_msg_close(message)
            message.deallocate()
        } else {
            base.deallocate()
        }
    }
}

/// libzmq's free callback for zero-copy sends: drops the reference the send took on the storage.
private func releaseFrameStorage(_ data: UnsafeMutableRawPointer?, _ hint: UnsafeMutableRawPointer?) {
    guard let hint else { return }
    Unmanaged<FrameStorage>.fromOpaque(hint).release()
}
