import ArgumentParser
import GrowdaAggregator
import GrowdaProvisioning

/// `--state DIR` or `--federation DIR`: how the offline commands (`history`, `model export`) name the
/// aggregator's state folder.
struct StateFolderOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The aggregator's state folder.", valueName: "dir"))
    var state: String?

    @Option(
        help: ArgumentHelp(
            "The federation's folder: its state folder (state.dir in federation.conf, default DIR/state).",
            valueName: "dir"))
    var federation: String?

    func validate() throws {
        if state == nil, federation == nil { throw ValidationError("Give --state DIR or --federation DIR.") }
        if state != nil, federation != nil { throw ValidationError("Give either --state or --federation, not both.") }
    }

    /// The state folder the flags name: `--state` as given, or the federation's configured one.
    func folder() throws -> String {
        if let state { return state }
        guard let federation else { throw CLIError("give --state DIR or --federation DIR") }
        do {
            return try AggregatorConfiguration(federation: Federation.load(directory: federation)).statePath
        } catch {
            throw CLIError("--federation \(federation): \(error)")
        }
    }
}
