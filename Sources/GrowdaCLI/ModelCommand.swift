import ArgumentParser
import Foundation
import GrowdaAggregator
import GrowdaNN
import GrowdaProvisioning
import GrowdaSafetensors
import GrowdaStore

/// `growda model`: the global models an aggregator's state folder keeps.
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Work with the global models the aggregator keeps (offline, from its state folder).",
        subcommands: [Export.self])

    /// `growda model export`: one version's checkpoint, copied out of the state folder.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write one version's global model as a checkpoint for growda predict --model.",
            discussion: """
                Reads the state folder read-only (safe while the aggregator runs) and writes the chosen \
                version's checkpoint to FILE, exactly as the aggregator saved it (a Growda checkpoint: the \
                model's spec and weights; Python's safetensors loads it too). --best is the best version by \
                the evaluation metric (eval.metric; kept with eval.keep_best = true and an evaluation set), \
                --latest the current one, --version N any version whose checkpoint is still kept: the \
                aggregator keeps the newest few, version 0 and the best. An unknown or pruned version is an \
                error that lists the versions whose checkpoints exist. --json prints version, best, metric, \
                metric_value, bytes and path.
                """)

        @OptionGroup var source: StateFolderOptions

        @Flag(help: "The best version by the evaluation metric.")
        var best = false

        @Flag(help: "The latest version.")
        var latest = false

        @Option(
            name: .customLong("version"), parsing: .unconditional,
            help: ArgumentHelp("This version.", valueName: "n"))
        var number: Int?

        @Option(help: ArgumentHelp("Where to write the checkpoint (.safetensors).", valueName: "file"))
        var out: String

        @Flag(help: "Print what was written as JSON.")
        var json = false

        func validate() throws {
            let chosen = [best, latest, number != nil].filter { $0 }.count
            guard chosen == 1 else { throw ValidationError("Give exactly one of --best, --latest and --version N.") }
            if let number, number < 0 { throw ValidationError("--version must be 0 or more, got \(number).") }
            guard out.hasSuffix(".safetensors") else {
                throw ValidationError("--out must name a .safetensors file, got \(out).")
            }
        }

        /// What was written, for --json.
        struct Exported: Encodable {
            var version: UInt64
            var best: Bool
            var metric: String?
            var metric_value: Double?
            var bytes: Int
            var path: String
        }

        func run() async throws {
            let folder = try source.folder()
            let reader: StateReader
            do {
                reader = try StateReader(folder: folder)
            } catch {
                throw CLIError("cannot read the state at \(folder): \(error)")
            }
            defer { try? reader.close() }
            let exported = try Self.export(
                from: reader, choice: best ? .best : latest ? .latest : .version(UInt64(number ?? 0)), to: out)
            if json {
                try Terminal.printJSON(exported)
            } else {
                let why =
                    exported.best
                    ? " (the best by \(exported.metric.flatMap(EvalMetric.init(rawValue:))?.label ?? "the metric") "
                        + "\(fmt(exported.metric_value, 4)))" : ""
                Terminal.say(
                    "wrote v\(exported.version)\(why) to \(out) (\(mib(exported.bytes))); diagnose with: "
                        + "growda predict --model \(out) SCAN.png")
            }
        }

        /// Which version to export.
        enum Choice: Equatable {
            case best, latest
            case version(UInt64)
        }

        /// Copies the chosen version's checkpoint from `reader`'s state folder to `path`, after checking that
        /// it loads as a model; throws a `CLIError` naming the versions that exist when it cannot.
        static func export(from reader: StateReader, choice: Choice, to path: String) throws -> Exported {
            let federation = try reader.federation()
            let history = try reader.history()
            let version: UInt64
            switch choice {
            case .best:
                guard let best = federation.best else {
                    throw CLIError(
                        "\(reader.folder) records no best version: the aggregator keeps one only with an evaluation "
                            + "set (eval.dir in federation.conf, or growda serve --eval DIR) and eval.keep_best = true, "
                            + "once a version is evaluated. \(kept(history))")
                }
                version = best.version
            case .latest:
                guard let current = federation.currentVersion else {
                    throw CLIError("\(reader.folder) holds no version yet")
                }
                version = current
            case .version(let n):
                version = n
            }
            guard let record = history.first(where: { $0.version == version }) else {
                let range = history.isEmpty ? "none" : "v\(history.first!.version)–v\(history.last!.version)"
                throw CLIError("version \(version) was never made (versions made: \(range)). \(kept(history))")
            }
            guard let file = record.checkpoint else {
                throw CLIError(
                    "version \(version)'s checkpoint was pruned (the aggregator keeps the newest few, version 0 and "
                        + "the best). \(kept(history))")
            }
            let source = reader.path(of: file)
            let bytes: [UInt8]
            do {
                bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: source)))
                _ = try Model(checkpoint: SafetensorsFile(bytes: bytes), origin: source)
            } catch {
                throw CLIError(
                    "cannot read version \(version)'s checkpoint \(source): \(error) (pruned while exporting? try again)"
                )
            }
            do {
                try AtomicFile.write(bytes, to: path)
            } catch {
                throw CLIError("cannot write \(path): \(error)")
            }
            let best = federation.best.map { $0.version == version } ?? false
            return Exported(
                version: version, best: best, metric: best ? federation.best?.metric : nil,
                metric_value: best ? federation.best?.value : nil, bytes: bytes.count, path: path)
        }

        /// `Checkpoints kept: v0, v612, v2596–v2600.`
        static func kept(_ history: [VersionRecord]) -> String {
            let versions = history.filter { $0.checkpoint != nil }.map(\.version)
            guard !versions.isEmpty else { return "No checkpoint is kept." }
            var runs: [(UInt64, UInt64)] = []
            for v in versions {
                if let last = runs.last, last.1 + 1 == v { runs[runs.count - 1].1 = v } else { runs.append((v, v)) }
            }
            let text = runs.map { $0.0 == $0.1 ? "v\($0.0)" : "v\($0.0)–v\($0.1)" }.joined(separator: ", ")
            return "Checkpoints kept: \(text)."
        }
    }
}
