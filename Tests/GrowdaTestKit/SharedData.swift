import Foundation

/// The project's real data sets, kept outside the repository in `../shared/data` beside the checkout.
///
/// Found from this file's own path (`#filePath`), so every checkout or worktree finds the `shared` folder
/// beside it (a worktree in `DIR/wt-x` finds `DIR/shared/data`), and a test needing a data set is
/// skipped, with ``needs(_:)``'s words, where it is absent.
public enum SharedData {
    /// The checkout's root folder: the one holding `Package.swift` (this file is `Tests/GrowdaTestKit/…`).
    public static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/data` relative to the checkout.
    public static let folder = checkout.deletingLastPathComponent().appendingPathComponent("shared")
        .appendingPathComponent("data")

    /// The path of `relative` (e.g. `pneumoniamnist/train`) inside ``folder``.
    public static func path(_ relative: String) -> String { folder.appendingPathComponent(relative).path }

    /// Whether `relative` exists inside ``folder``.
    public static func has(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative)) }

    /// The skip reason for a test that needs `relative`: `needs ../shared/data/NAME beside the checkout`.
    public static func needs(_ relative: String) -> String { "needs ../shared/data/\(relative) beside the checkout" }
}
