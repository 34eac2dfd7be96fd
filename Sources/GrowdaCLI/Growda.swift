import ArgumentParser
import GrowdaFederation

/// The `growda` command: data preparation, training, evaluation, prediction, benchmarks, and setting up a
/// federation and its nodes.
public struct Growda: AsyncParsableCommand {
    /// The command's name, abstract and subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "growda",
        abstract: "Federated learning for hospitals: train one diagnostic model without sharing images.",
        version: growdaVersion,
        subcommands: [
            DemoCommand.self, DataCommand.self, TrainCommand.self, EvalCommand.self, PredictCommand.self,
            ExplainCommand.self, AuditCommand.self, BenchCommand.self,
            ServeCommand.self, SimulateCommand.self, StatusCommand.self, NodesCommand.self, HistoryCommand.self,
            ReportCommand.self, ModelCommand.self,
            FederationCommand.self, NodeCommand.self, ConsoleCommand.self,
        ]
    )

    /// Creates the root command (argument parsing fills it in).
    public init() {}
}
