import Foundation

/// A fresh folder under the system's temp directory, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    /// The folder's URL.
    public let url: URL

    /// Makes a new, empty folder whose name starts with `prefix`.
    public init(prefix: String = "growda-test") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the folder.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}
