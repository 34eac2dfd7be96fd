import Logging

/// Logging set-up shared by the long-lived programs (`growda serve`, `growda-node run`): structured
/// lines on stderr at the level asked for (`--log-level`).
public enum ServiceLogging {
    /// The level names `--log-level` accepts.
    public static let levelNames = Logger.Level.allCases.map(\.rawValue)

    /// The message for a `--log-level` that is not one of `levelNames`, or nil when it is.
    public static func problem(with name: String) -> String? {
        Logger.Level(rawValue: name) == nil ? "--log-level must be one of \(levelNames.joined(separator: ", "))" : nil
    }

    /// Sends every logger's output to stderr at `name`'s level (call once, at start).
    public static func bootstrap(level name: String) {
        let level = Logger.Level(rawValue: name) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
