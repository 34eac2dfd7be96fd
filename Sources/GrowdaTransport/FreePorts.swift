import Foundation

/// Free TCP ports on 127.0.0.1, found by binding port 0 and reading what the kernel chose.
public enum FreePorts {
    /// `count` distinct ports that were free a moment ago (another process may still take one).
    public static func take(_ count: Int) throws(ZMQError) -> [Int] {
        var fds: [Int32] = [], ports: [Int] = []
        defer { for fd in fds { close(fd) } }
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw ZMQError(call: "socket", code: errno, detail: "127.0.0.1:0") }
            fds.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
            }
            guard bound == 0 else { throw ZMQError(call: "bind", code: errno, detail: "127.0.0.1:0") }
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }
}
