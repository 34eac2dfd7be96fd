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

/// Shuts `loop` down after `seconds` unless `body` finished first, so a message that never comes
/// ends its stream (and fails the test) instead of hanging it.
func withWatchdog<R>(_ loop: SocketLoop, seconds: Int = 5, _ body: () async throws -> R) async rethrows -> R {
    let dog = Task {
        try? await Task.sleep(for: .seconds(seconds))
        if !Task.isCancelled { loop.shutdown() }
    }
    defer { dog.cancel() }
    return try await body()
}

/// Waits (briefly sleeping, at most ~5 s) until `condition` holds; returns whether it did.
func eventually(_ condition: () -> Bool) async -> Bool {
    for _ in 0..<500 {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
