import Foundation
import GrowdaAggregator
import GrowdaProvisioning

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `growda serve --check-config` found in a `federation.conf`: every problem, or the settings in
/// effect. It reads the file as `growda serve` does, and opens, binds and writes nothing.
struct ConfigCheck: Codable, Equatable {
    /// A setting in effect: the file's value (with its line) or the default.
    struct Setting: Codable, Equatable {
        /// The key.
        var key: String
        /// The value in effect; nil for an optional setting left unset.
        var value: String?
        /// The line that sets it; nil when it takes its default.
        var line: Int?
    }

    /// The file checked.
    var config: String
    /// Whether the aggregator would start with it (as far as the file goes).
    var ok: Bool
    /// Every problem, each naming the file, the line and the key; empty when `ok`.
    var problems: [String]
    /// Every key Growda reads, in the order `growda federation init` writes them; empty unless `ok`.
    var settings: [Setting]

    /// Checks the file at `file`; a relative `state.dir` is taken as inside the file's folder.
    init(file: String) {
        config = file
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent().path
        do {
            let parsed = try Self.load(file, federationDirectory: directory)
            _ = try AggregatorConfiguration(config: parsed, federationDirectory: directory)
            problems = []
            settings = AggregatorConfiguration.knownKeys.map { key in
                Setting(key: key.name, value: parsed[key.name] ?? key.defaultValue, line: parsed.line(of: key.name))
            }
        } catch AggregatorError.configurationProblems(_, let found) {
            problems = found
            settings = []
        } catch {
            problems = ["\(error)"]
            settings = []
        }
        ok = problems.isEmpty
    }

    /// The file at `file` parsed; a missing file is "no federation there".
    static func load(_ file: String, federationDirectory: String) throws(ProvisioningError) -> FederationConfig {
        do throws(ProvisioningError) {
            return try FederationConfig.load(path: file)
        } catch .fileSystemFailure(_, _, ENOENT) {
            throw .notAFederation(directory: federationDirectory)
        }
    }

    /// `ok: FILE: …` and the settings in effect, or `FILE: N problems` and each problem.
    func text() -> String {
        guard ok else {
            let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
            return (["\(config): \(count); growda serve would not start"] + problems.map { "  " + $0 })
                .joined(separator: "\n")
        }
        let set = settings.filter { $0.line != nil }.count
        let width = settings.map(\.key.count).max() ?? 0
        let rows = settings.map { setting in
            let key = setting.key.padding(toLength: width, withPad: " ", startingAt: 0)
            let value = setting.value.map { "= \($0)" } ?? "(not set)"
            return "  \(key) \(value)" + (setting.line.map { "  (line \($0))" } ?? "")
        }
        return (["ok: \(config): every key known, every value valid; \(set) set, the rest at their defaults:"] + rows)
            .joined(separator: "\n")
    }
}
