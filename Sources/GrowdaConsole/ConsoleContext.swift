import Foundation
import Hummingbird
import HummingbirdAuth

/// Who signed in: by the console token or by the admin password.
public struct ConsoleUser: Sendable, Codable, Equatable {
    /// How the user proved who they are: `token`, `password` or `bearer` (an API call with the token).
    public var method: String
}

/// What a signed-in browser's session holds (kept in memory; a restart signs everyone out).
public struct ConsoleSession: Sendable, Codable {
    /// How the user signed in.
    public var method: String
    /// When.
    public var signedInAt: Date
}

/// The request context of both consoles: Hummingbird's core storage, the session, and the signed-in user.
public struct ConsoleContext: AuthRequestContext, SessionRequestContext, RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The signed-in user, set by the login gate (nil only on the login page and the stylesheet).
    public var identity: ConsoleUser?
    /// The browser's session, if it has one.
    public let sessions: SessionContext<ConsoleSession>

    /// A fresh context for one request.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
        sessions = .init()
    }

    /// Uploads are read by the routes themselves, each with its own limit.
    public var maxUploadSize: Int { ConsoleSettings.defaultMaxUploadBytes }
}
