import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The outermost middleware of a console: turns every refusal (thrown ``ConsoleError``, Hummingbird's own
/// errors such as 404 or 413, a login redirect) into its response and counts it; a fault becomes a counted
/// 500 that names no internals, and the server carries on.
struct Gate: RouterMiddleware {
    typealias Context = ConsoleContext
    let title: String
    let refusals: ConsoleRefusals
    /// The methods each API path takes: another method there is 405, not 404.
    let methods: [String: [String]]
    let logger: Logger

    static let frameOptions = HTTPField.Name("X-Frame-Options")!

    /// Whether the request is a browser asking for a page (not the API, not a script).
    static func wantsPage(_ request: Request) -> Bool {
        let path = request.uri.path
        if path.hasPrefix("/api/") || path == "/metrics" || path.hasPrefix("/assets/") { return false }
        return request.headers[.accept]?.contains("text/html") ?? false
    }

    func handle(
        _ request: Request, context: ConsoleContext, next: (Request, ConsoleContext) async throws -> Response
    ) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let redirect as LoginRedirect {
            refusals.count(.unauthenticated)
            let next = redirect.next.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "/"
            return .redirect(to: "/login?next=\(next)", type: .found)
        } catch let error as ConsoleError {
            response = refuse(error, request)
        } catch let error as any HTTPResponseError {
            if error.status == .notFound, let allowed = methods[request.uri.path],
                !allowed.contains(request.method.rawValue)
            {
                response = refuse(
                    ConsoleError(
                        .methodNotAllowed,
                        "\(request.uri.path) takes \(allowed.joined(separator: ", ")), not \(request.method)"),
                    request)
                response.headers[.allow] = allowed.joined(separator: ", ")
            } else {
                let reason = RefusalReason(status: error.status)
                let message = (error as? HTTPError)?.body ?? Self.defaultMessage(reason, request)
                response = refuse(ConsoleError(reason, message), request)
            }
        } catch {
            logger.error(
                "console request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            response = refuse(
                ConsoleError(.internalError, "the console failed to answer; the failure is in its log"), request)
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[Self.frameOptions] = "DENY"
        response.headers[.contentSecurityPolicy] =
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
        if response.status.code < 400 { refusals.countServed() }
        return response
    }

    private func refuse(_ error: ConsoleError, _ request: Request) -> Response {
        refusals.count(error.reason)
        logger.debug(
            "console request refused",
            metadata: ["path": "\(request.uri.path)", "reject.reason": "\(error.reason.rawValue)"])
        return error.response(wantsPage: Self.wantsPage(request), title: title)
    }

    static func defaultMessage(_ reason: RefusalReason, _ request: Request) -> String {
        switch reason {
        case .notFound: "nothing at \(request.method) \(request.uri.path); the API is described at /api/v1/openapi.json"
        case .tooLarge: "the request body is larger than this console accepts"
        case .methodNotAllowed: "\(request.uri.path) does not take \(request.method)"
        default: "the request could not be used (\(reason.rawValue))"
        }
    }
}
