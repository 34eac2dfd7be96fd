import Foundation
import Testing

@testable import GrowdaTransport

/// A socket whose blocking calls give up after 2 s, so a broken test fails instead of hanging.
func makeSocket(
    _ type: SocketType,
    _ context: ZMQContext,
    configuration: SocketConfiguration = .init()
) throws -> ZMQSocket {
    let socket = try ZMQSocket(type, context: context, configuration: configuration)
    try socket.set([.receiveTimeout(.seconds(2)), .sendTimeout(.seconds(2))])
    return socket
}

/// The frames' bytes as strings, for readable expectations.
func strings(_ frames: [Frame]) -> [String] {
    frames.map { String(decoding: $0.bytes, as: UTF8.self) }
}

/// A fresh `ipc://` endpoint in the temporary directory (short enough for a socket path).
func ipcEndpoint() -> (endpoint: String, path: String) {
    let path = "/tmp/growda-test-\(UUID().uuidString.prefix(8)).ipc"
    return ("ipc://\(path)", path)
}

/// Sends without waiting; false if the socket's queue is full (EAGAIN), any other failure thrown.
func sendUnlessFull(_ socket: ZMQSocket, _ frames: [Frame]) throws -> Bool {
    do {
        try socket.send(frames, dontWait: true)
        return true
    } catch {
        guard error.kind == .wouldBlock else { throw error }
        return false
    }
}
