import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A small blocking HTTP/1.1 client for this machine's consoles: what `growda bench predict` measures the
/// REST API with, and what the tests drive the consoles with. One keep-alive connection; bodies by
/// Content-Length or chunked; it never follows redirects (tests check them). Not for the open internet.
public final class LoopbackHTTPClient {
    /// One answer.
    public struct Response: Sendable {
        /// The status code.
        public var status: Int
        /// Header fields, names lower-cased (the last value of a repeated field wins, except Set-Cookie,
        /// whose values are joined with "\n").
        public var headers: [String: String]
        /// The body.
        public var body: [UInt8]

        /// The body as UTF-8 text.
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// A failure to connect, send or read, or a reply that is not HTTP/1.1.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        public var description: String
    }

    private let host: String
    private let port: Int
    private var socket: Int32 = -1
    private var pending: [UInt8] = []

    /// A client for `host` (an IPv4 address) and `port`; connects on the first request.
    public init(host: String = "127.0.0.1", port: Int) {
        self.host = host
        self.port = port
    }

    deinit { close() }

    /// Closes the connection (the next request opens another).
    public func close() {
        if socket >= 0 { _ = Glibc.close(socket) }
        socket = -1
        pending = []
    }

    /// Sends one request and reads the whole answer.
    public func request(
        _ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = []
    ) throws -> Response {
        try send(method, path, headers: headers, body: body)
        return try readResponse(method: method)
    }

    /// Sends a request whose answer streams (Server-Sent Events) and reads until the body holds `marker`
    /// or `seconds` pass; returns what arrived. The connection is closed afterwards.
    public func stream(_ path: String, headers: [String: String] = [:], until marker: String, seconds: Double) throws
        -> Response
    {
        try send("GET", path, headers: headers, body: [])
        defer { close() }
        let deadline = Date().addingTimeInterval(seconds)
        var head = try readHead()
        var body: [UInt8] = []
        while Date() < deadline {
            body += pending
            pending = []
            if String(decoding: body, as: UTF8.self).contains(marker) { break }
            guard try fill(timeoutMilliseconds: 200) else { continue }
        }
        head.body = body
        return head
    }

    // MARK: Wire

    private func connectIfNeeded() throws {
        guard socket < 0 else { return }
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            _ = Glibc.close(fd)
            throw Failure(description: "\(host) is not an IPv4 address")
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            _ = Glibc.close(fd)
            throw Failure(description: "connect \(host):\(port): \(reason)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        socket = fd
    }

    private func send(_ method: String, _ path: String, headers: [String: String], body: [UInt8]) throws {
        try connectIfNeeded()
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8) + body
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 {
                // A server that answered early (413) and closed may refuse the rest: read what it said.
                if sent > 0 { return }
                close()
                throw Failure(description: "send to \(host):\(port): \(String(cString: strerror(errno)))")
            }
            sent += n
        }
    }

    /// Reads more bytes into `pending`; false when nothing came within the timeout; throws on close.
    @discardableResult
    private func fill(timeoutMilliseconds: Int32 = 30_000) throws -> Bool {
        var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, timeoutMilliseconds)
        if ready == 0 { return false }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        guard n > 0 else {
            close()
            throw Failure(description: "\(host):\(port) closed the connection")
        }
        pending += buffer[..<n]
        return true
    }

    private func readHead() throws -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        var end: Int?
        while end == nil {
            if let found = pending.firstRange(of: separator) { end = found.lowerBound; break }
            guard try fill() else { throw Failure(description: "\(host):\(port) sent no answer in 30 s") }
        }
        let head = String(decoding: pending[..<end!], as: UTF8.self)
        pending.removeFirst(end! + 4)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            close()
            throw Failure(description: "\(host):\(port) answered something that is not HTTP/1.1")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "set-cookie", let earlier = headers[name] {
                headers[name] = earlier + "\n" + value
            } else {
                headers[name] = value
            }
        }
        return Response(status: status, headers: headers, body: [])
    }

    private func readResponse(method: String) throws -> Response {
        var response = try readHead()
        if method == "HEAD" || response.status == 204 || response.status == 304 { return response }
        if let length = response.headers["content-length"].flatMap(Int.init) {
            while pending.count < length { guard try fill() else { throw Failure(description: "body timed out") } }
            response.body = Array(pending[..<length])
            pending.removeFirst(length)
        } else if response.headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            response.body = try readChunked()
        } else {
            // No length: the body runs to the connection's end.
            while (try? fill()) == true {}
            response.body = pending
            pending = []
            close()
        }
        if response.headers["connection"]?.lowercased() == "close" { close() }
        return response
    }

    private func readChunked() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            while pending.firstRange(of: [13, 10]) == nil { try fill() }
            let lineEnd = pending.firstRange(of: [13, 10])!.lowerBound
            let sizeText = String(decoding: pending[..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw Failure(description: "bad chunk size '\(sizeText)'")
            }
            pending.removeFirst(lineEnd + 2)
            if size == 0 {
                while pending.firstRange(of: [13, 10]) == nil { try fill() }
                pending.removeFirst(pending.firstRange(of: [13, 10])!.upperBound)
                return body
            }
            while pending.count < size + 2 { try fill() }
            body += pending[..<size]
            pending.removeFirst(size + 2)
        }
    }
}
