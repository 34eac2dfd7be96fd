import CZmq

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failed libzmq call: which call, on what, its errno and libzmq's text for that errno.
///
/// Every error in this module is made by ``check(_:detail:_:)`` (or its handle-returning twin), so
/// every message has the same shape: `zmq_connect(nonsense://x) failed: Protocol not supported (errno 93)`.
public struct ZMQError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kinds of failure callers branch on.
    public enum Kind: Equatable, Sendable {
        /// EAGAIN: a `dontWait` call found nothing to do, or a send/receive timeout expired.
        case wouldBlock
        /// ETERM: the socket's context was shut down.
        case contextTerminated
        /// EADDRINUSE: another socket already listens on the endpoint.
        case addressInUse
        /// EPROTONOSUPPORT: the endpoint names a transport libzmq does not know.
        case unsupportedProtocol
        /// EINVAL: a bad argument, such as a malformed endpoint.
        case invalidArgument
        /// EHOSTUNREACH: a ROUTER with `routerMandatory` has no peer with that routing id.
        case hostUnreachable
        /// Anything else; see ``ZMQError/code``.
        case other
    }

    /// The C function that failed, such as `zmq_bind`.
    public let call: String
    /// What the call was applied to (an endpoint, an option name), if anything.
    public let detail: String?
    /// The errno value libzmq reported.
    public let code: Int32
    /// libzmq's text for `code` (`zmq_strerror`).
    public let message: String

    init(call: String, code: Int32, detail: String? = nil) {
        self.call = call
        self.detail = detail
        self.code = code
        message = String(cString: zmq_strerror(code))
    }

    /// The kind of failure, derived from ``code``.
    public var kind: Kind {
        switch code {
        case EAGAIN: .wouldBlock
        case ETERM: .contextTerminated
        case EADDRINUSE: .addressInUse
        case EPROTONOSUPPORT: .unsupportedProtocol
        case EINVAL: .invalidArgument
        case EHOSTUNREACH: .hostUnreachable
        default: .other
        }
    }

    /// `call(detail) failed: message (errno code)`.
    public var description: String {
        let target = detail.map { "(\($0))" } ?? ""
        return "\(call)\(target) failed: \(message) (errno \(code))"
    }
}

/// Runs a libzmq call that returns -1 on failure, retrying it while it is interrupted (EINTR),
/// and turns any other failure into a ``ZMQError`` named after `call`. Returns the call's result.
@discardableResult
func check(_ call: String, detail: String? = nil, _ body: () -> Int32) throws(ZMQError) -> Int32 {
    while true {
        let rc = body()
        if rc != -1 { return rc }
        let code = zmq_errno()
        if code != EINTR { throw ZMQError(call: call, code: code, detail: detail) }
    }
}

/// Runs a libzmq call that returns a handle, or NULL on failure, and turns NULL into a ``ZMQError``.
func check(
    _ call: String,
    detail: String? = nil,
    _ body: () -> UnsafeMutableRawPointer?
) throws(ZMQError) -> UnsafeMutableRawPointer {
    guard let handle = body() else { throw ZMQError(call: call, code: zmq_errno(), detail: detail) }
    return handle
}
