import Foundation
import HTTPTypes
import Hummingbird

/// Why a console request was refused: the `reason` of its JSON error body and of the refusal counters.
public enum RefusalReason: String, Sendable, CaseIterable, Codable {
    /// No valid session or bearer token.
    case unauthenticated
    /// A wrong token or password at the login.
    case badLogin = "bad_login"
    /// Too many failed logins in the last minute.
    case rateLimited = "rate_limited"
    /// A malformed request: a bad query value, a missing field.
    case badRequest = "bad_request"
    /// The body is larger than the console accepts.
    case tooLarge = "too_large"
    /// The body is not a kind the endpoint takes (not an image, say).
    case unsupportedMediaType = "unsupported_media_type"
    /// The body is of the right kind but cannot be used (a corrupt PNG, a DICOM with no pixels).
    case unprocessable
    /// No such page, endpoint or item.
    case notFound = "not_found"
    /// The path exists but not with this method.
    case methodNotAllowed = "method_not_allowed"
    /// The console cannot answer now (no model yet, say).
    case unavailable
    /// A fault inside the console (a bug): logged, counted, and answered with 500.
    case internalError = "internal_error"

    /// The HTTP status a refusal for this reason carries.
    public var status: HTTPResponse.Status {
        switch self {
        case .unauthenticated, .badLogin: .unauthorized
        case .rateLimited: .tooManyRequests
        case .badRequest: .badRequest
        case .tooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .unprocessable: .unprocessableContent
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .unavailable: .serviceUnavailable
        case .internalError: .internalServerError
        }
    }

    /// The reason a plain HTTP status stands for (errors Hummingbird itself throws).
    init(status: HTTPResponse.Status) {
        switch status.code {
        case 401: self = .unauthenticated
        case 404: self = .notFound
        case 405: self = .methodNotAllowed
        case 413: self = .tooLarge
        case 415: self = .unsupportedMediaType
        case 422: self = .unprocessable
        case 429: self = .rateLimited
        case 503: self = .unavailable
        case 400..<500: self = .badRequest
        default: self = .internalError
        }
    }
}

/// A refused console request: a reason and a sentence saying what was wrong and what to do. Pages show
/// it; the API answers `{"error": {"reason": ..., "message": ...}}` with the reason's status.
public struct ConsoleError: Error, Sendable, CustomStringConvertible {
    /// Why.
    public var reason: RefusalReason
    /// What was wrong, naming the input, and what to do.
    public var message: String

    /// A refusal for `reason`.
    public init(_ reason: RefusalReason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    /// `reason: message`.
    public var description: String { "\(reason.rawValue): \(message)" }

    /// The JSON body of an API refusal.
    struct Body: Codable {
        struct Inner: Codable {
            var reason: String
            var message: String
        }
        var error: Inner
    }

    /// The response for this refusal: JSON for the API and scripts, a small page for a browser.
    func response(wantsPage: Bool, title: String) -> Response {
        var headers = HTTPFields()
        headers[.cacheControl] = "no-store"
        if wantsPage {
            headers[.contentType] = "text/html; charset=utf-8"
            let page = ConsolePage.render(
                title: title, heading: "\(reason.status.code) \(reason.status.reasonPhrase)",
                body: "<p class=\"problem\">\(HTML.escape(message))</p><p><a href=\"/\">Back to the console</a></p>",
                signedIn: reason != .unauthenticated)
            return Response(status: reason.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        headers[.contentType] = "application/json"
        let body = (try? JSONEncoder().encode(Body(error: .init(reason: reason.rawValue, message: message)))) ?? Data()
        return Response(status: reason.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
