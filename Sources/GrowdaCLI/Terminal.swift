import Foundation

/// Output helpers shared by the commands: messages on stderr, JSON on stdout, a progress line.
enum Terminal {
    /// Whether stderr is a terminal (progress redraws in place only then).
    static let stderrIsTTY = isatty(2) != 0

    /// Prints a line to stdout and flushes it, so it keeps its place among stderr's lines.
    static func say(_ message: String) {
        print(message)
        fflush(nil)
    }

    /// Writes a line to stderr.
    static func note(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    /// Prints `value` as one JSON object with sorted keys.
    static func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// A progress line: redrawn in place on a terminal (at most ten times a second); elsewhere (logs,
    /// CI) with `steps`, one line per tenth done. Safe to update from several threads.
    final class ProgressLine: @unchecked Sendable {
        private let lock = NSLock()
        private var lastDraw = 0.0
        private var lastStep = -1
        private let enabled: Bool
        private let steps: Bool
        private var drawn = false

        /// A progress line; nothing is shown unless `enabled`; off a terminal only with `steps`.
        init(enabled: Bool = true, steps: Bool = false) {
            self.enabled = enabled
            self.steps = steps
        }

        /// Shows `fraction` done (0...1) and a trailing text.
        func update(fraction: Double, _ text: String, force: Bool = false) {
            guard enabled else { return }
            lock.withLock {
                if Terminal.stderrIsTTY {
                    let now = Date().timeIntervalSince1970
                    guard force || now - lastDraw >= 0.1 || fraction >= 1 else { return }
                    lastDraw = now
                    let width = 24
                    let filled = max(0, min(width, Int(fraction * Double(width))))
                    let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
                    FileHandle.standardError.write(Data("\r\u{1B}[2K[\(bar)] \(text)".utf8))
                    drawn = true
                } else if steps {
                    let step = Int(fraction * 10)
                    guard step > lastStep else { return }
                    lastStep = step
                    FileHandle.standardError.write(Data("\(text)\n".utf8))
                }
            }
        }

        /// Clears the line so normal output can follow.
        func finish() {
            lock.withLock {
                guard enabled, drawn else { return }
                FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
                drawn = false
            }
        }
    }
}

/// A byte count for people, in MiB (2²⁰ bytes): `0.38 MiB`, `42.5 MiB`, `1536 MiB` (two decimals below
/// 10 MiB, one below 100, none above). Reports keep the raw count in their --json.
func mib(_ bytes: Int) -> String {
    let value = Double(bytes) / Double(1 << 20)
    return fmt(value, value < 10 ? 2 : value < 100 ? 1 : 0) + " MiB"
}

/// Formats a Double with a fixed number of decimals.
func fmt(_ value: Double?, _ decimals: Int = 4) -> String {
    guard let value else { return "n/a" }
    return String(format: "%.\(decimals)f", value)
}
