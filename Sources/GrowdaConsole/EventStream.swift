import Foundation
import HTTPTypes
import Hummingbird

/// Server-Sent Events (`text/event-stream`): how the consoles push live figures to an open page.
public enum EventStream {
    /// One event: a name and its data (newlines in `data` become several `data:` lines, as the format says).
    public struct Event: Sendable {
        /// The event's name (`event:` field).
        public var name: String
        /// Its payload.
        public var data: String

        /// An event called `name` carrying `data`.
        public init(name: String, data: String) {
            self.name = name
            self.data = data
        }

        var wireText: String {
            let lines = data.split(separator: "\n", omittingEmptySubsequences: false).map { "data: \($0)" }
            return "event: \(name)\n\(lines.joined(separator: "\n"))\n\n"
        }
    }

    /// A streaming response that calls `next` every `interval` and sends what it returns (nothing when nil),
    /// with a comment line every 15 s so proxies keep the connection, until the client goes or `stopping`
    /// says the server is shutting down (an open stream must not hold a graceful shutdown up).
    public static func response(
        interval: Duration, stopping: @escaping @Sendable () -> Bool, next: @escaping @Sendable () async -> [Event]
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-store"
        let body = ResponseBody { writer in
            var sinceKeepAlive: Duration = .zero
            try await writer.write(ByteBuffer(string: "retry: 3000\n\n"))
            while !Task.isCancelled && !stopping() {
                let events = await next()
                if !events.isEmpty {
                    try await writer.write(ByteBuffer(string: events.map(\.wireText).joined()))
                    sinceKeepAlive = .zero
                } else if sinceKeepAlive >= .seconds(15) {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    sinceKeepAlive = .zero
                }
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    break
                }
                sinceKeepAlive += interval
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
