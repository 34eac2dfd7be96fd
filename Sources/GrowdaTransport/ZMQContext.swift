import CZmq

/// A libzmq context: the I/O threads and the namespace for `inproc://` endpoints.
///
/// Thread-safe. Every socket keeps its context alive, so the context is terminated (`zmq_ctx_term`)
/// only once its last socket has closed; sockets close with a bounded linger, so that never hangs.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    /// A new context with `ioThreads` background I/O threads (one is plenty below ~1 GB/s).
    public init(ioThreads: Int = 1) throws(ZMQError) {
        handle = try check("zmq_ctx_new") { zmq_ctx_new() }
        if ioThreads != 1 {
            try check("zmq_ctx_set", detail: "ZMQ_IO_THREADS") {
                zmq_ctx_set(handle, ZMQ_IO_THREADS, Int32(clamping: ioThreads))
            }
        }
    }

    deinit {
        _ = try? check("zmq_ctx_term") { zmq_ctx_term(handle) }
    }

    /// Makes every blocking call on this context's sockets fail with ``ZMQError/Kind/contextTerminated``
    /// from now on. Sockets must still be closed (released) afterwards.
    public func shutdown() {
        _ = try? check("zmq_ctx_shutdown") { zmq_ctx_shutdown(handle) }
    }
}
