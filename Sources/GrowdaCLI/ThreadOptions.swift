import ArgumentParser
import Foundation

/// `--threads`, shared by every command that computes.
struct ThreadOptions: ParsableArguments {
    @Option(name: .customLong("threads"), parsing: .unconditional, help: "Threads to use (default: all cores).")
    var requested: Int?

    /// The thread count in force: the flag, or every core.
    var count: Int { requested ?? ProcessInfo.processInfo.activeProcessorCount }

    func validate() throws {
        if let requested, requested < 1 { throw ValidationError("--threads must be at least 1, got \(requested)") }
    }
}
