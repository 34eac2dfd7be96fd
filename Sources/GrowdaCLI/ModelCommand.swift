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
        abstract: "Work with checkpoints: export the aggregator's global models, calibrate one on validation data.",
        subcommands: [Export.self, Calibrate.self])

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
        typealias Choice = CheckpointChoice

        /// Copies the chosen version's checkpoint from `reader`'s state folder to `path`, after checking that
        /// it loads as a model; throws a `CLIError` naming the versions that exist when it cannot.
        static func export(from reader: StateReader, choice: Choice, to path: String) throws -> Exported {
            let federation = try reader.federation()
            let kept: KeptCheckpoint
            do {
                kept = try reader.checkpoint(choice)
                _ = try Model(checkpoint: SafetensorsFile(bytes: kept.bytes), origin: kept.path)
            } catch let error as CheckpointLookupError {
                throw CLIError(error.description)
            } catch {
                throw CLIError("cannot read the checkpoint: \(error) (pruned while exporting? try again)")
            }
            do {
                try AtomicFile.write(kept.bytes, to: path)
            } catch {
                throw CLIError("cannot write \(path): \(error)")
            }
            return Exported(
                version: kept.version, best: kept.isBest, metric: kept.isBest ? federation.best?.metric : nil,
                metric_value: kept.isBest ? federation.best?.value : nil, bytes: kept.bytes.count, path: path)
        }
    }
}
