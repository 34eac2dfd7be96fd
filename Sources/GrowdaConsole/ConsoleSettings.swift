import Foundation

/// Where a web console listens and who may open it: the settings both consoles (the federation dashboard
/// in `growda serve` and the diagnosis desk in `growda-node run`) share.
public struct ConsoleSettings: Sendable {
    /// A certificate chain and its private key, both PEM files, to serve HTTPS.
    public struct TLSFiles: Sendable, Equatable {
        /// The PEM certificate chain (the server's certificate first).
        public var certificatePath: String
        /// The PEM private key; refused unless mode 0600 or stricter.
        public var keyPath: String

        /// The two files.
        public init(certificatePath: String, keyPath: String) {
            self.certificatePath = certificatePath
            self.keyPath = keyPath
        }
    }

    /// The largest request body accepted (an upload of one image), in bytes; larger ones get 413.
    public static let defaultMaxUploadBytes = 32 << 20
    /// How long a login lasts by default.
    public static let defaultSessionLifetime: Duration = .seconds(8 * 3600)

    /// What the pages call the console ("Growda federation", "Growda diagnosis desk").
    public var title: String
    /// The address to bind; 127.0.0.1 unless told otherwise.
    public var host: String
    /// The port to bind; 0 lets the system choose (tests).
    public var port: Int
    /// The console token's key file (``GrowdaCrypto/ConsoleToken``), mode 0600.
    public var tokenPath: String
    /// A file holding a bcrypt hash of the admin's password (`growda console password`), mode 0600; when
    /// set, the password opens the console as the token does.
    public var passwordPath: String?
    /// HTTPS files; plain HTTP without them.
    public var tls: TLSFiles?
    /// How long a login lasts; the session then expires and the pages ask again.
    public var sessionLifetime: Duration
    /// The largest request body accepted, in bytes.
    public var maxUploadBytes: Int

    /// Settings for a console called `title` on `host`:`port`.
    public init(
        title: String, host: String = "127.0.0.1", port: Int, tokenPath: String, passwordPath: String? = nil,
        tls: TLSFiles? = nil, sessionLifetime: Duration = defaultSessionLifetime,
        maxUploadBytes: Int = defaultMaxUploadBytes
    ) {
        self.title = title
        self.host = host
        self.port = port
        self.tokenPath = tokenPath
        self.passwordPath = passwordPath
        self.tls = tls
        self.sessionLifetime = sessionLifetime
        self.maxUploadBytes = maxUploadBytes
    }

    /// Whether `host` only accepts connections from this machine (127.0.0.0/8, ::1, localhost).
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// The base URL the console answers at.
    public func url(port boundPort: Int? = nil) -> String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return "\(tls == nil ? "http" : "https")://\(shown):\(boundPort ?? port)"
    }
}
