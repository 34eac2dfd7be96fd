import Foundation
import HTTPTypes
import Hummingbird

/// The consoles' successful answers: a body of a media type, never cached (pages and figures change).
public enum ConsoleResponse {
    /// `bytes` as a 200 of `type`.
    public static func bytes(_ bytes: [UInt8], type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `text` (UTF-8) as a 200 of `type`.
    public static func text(_ text: String, type: String) -> Response { bytes(Array(text.utf8), type: type) }

    /// An HTML page.
    public static func page(_ html: String) -> Response { text(html, type: "text/html; charset=utf-8") }

    /// `value` as JSON, keys sorted (non-finite numbers as strings, which JSON has no other way to say).
    public static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return bytes(Array(try encoder.encode(value)), type: "application/json")
    }
}
