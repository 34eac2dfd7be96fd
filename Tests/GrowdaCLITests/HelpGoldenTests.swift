import ArgumentParser
import Foundation
import GrowdaNode
import Testing

@testable import GrowdaCLI

/// Every command's --help text against a committed golden file (Tests/GrowdaCLITests/Golden/NAME.txt),
/// as swift-argument-parser does for its own examples. After an intended change, regenerate with
/// `GROWDA_UPDATE_GOLDEN=1 swift test --filter HelpGoldenTests` and review the diff.
@Suite struct HelpGoldenTests {
    static let commands: [(name: String, type: any ParsableCommand.Type)] = [
        ("growda", Growda.self),
        ("demo", DemoCommand.self),
        ("data", DataCommand.self),
        ("data-synth", DataCommand.Synth.self),
        ("data-split", DataCommand.Split.self),
        ("data-holdout", DataCommand.Holdout.self),
        ("train", TrainCommand.self),
        ("eval", EvalCommand.self),
        ("predict", PredictCommand.self),
        ("explain", ExplainCommand.self),
        ("audit", AuditCommand.self),
        ("audit-leakage", AuditLeakage.self),
        ("bench", BenchCommand.self),
        ("bench-train", BenchTrain.self),
        ("bench-predict", BenchPredict.self),
        ("bench-wire", BenchWire.self),
        ("bench-aggregate", BenchAggregate.self),
        ("bench-codec", BenchCodec.self),
        ("federation", FederationCommand.self),
        ("federation-init", FederationCommand.Init.self),
        ("node", NodeCommand.self),
        ("node-add", NodeCommand.Add.self),
        ("node-revoke", NodeCommand.Revoke.self),
        ("node-list", NodeCommand.List.self),
        ("serve", ServeCommand.self),
        ("simulate", SimulateCommand.self),
        ("report", ReportCommand.self),
        ("status", StatusCommand.self),
        ("nodes", NodesCommand.self),
        ("history", HistoryCommand.self),
        ("model", ModelCommand.self),
        ("model-export", ModelCommand.Export.self),
        ("model-calibrate", ModelCommand.Calibrate.self),
        ("console", ConsoleCommand.self),
        ("console-token", ConsoleCommand.Token.self),
        ("console-password", ConsoleCommand.Password.self),
    ]

    static let goldenFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Golden")

    @Test(arguments: commands.map(\.name))
    func helpMatchesGolden(name: String) throws {
        let type = Self.commands.first { $0.name == name }!.type
        let help = Growda.helpMessage(for: type, columns: 100)
        let file = Self.goldenFolder.appendingPathComponent("\(name).txt")
        if ProcessInfo.processInfo.environment["GROWDA_UPDATE_GOLDEN"] == "1" {
            try help.write(to: file, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOf: file, encoding: .utf8)
        #expect(help == golden, "help of '\(name)' changed; regenerate the golden file if intended")
    }

    /// Every command a user can run is covered here.
    @Test func everyCommandHasAGolden() {
        func walk(_ type: any ParsableCommand.Type) -> Int {
            1 + type.configuration.subcommands.reduce(0) { $0 + walk($1) }
        }
        #expect(walk(Growda.self) == Self.commands.count)
    }

    /// The hospital agent's executable, `growda-node`, has its own root command.
    @Test(arguments: ["growda-node", "growda-node-run", "growda-node-status"])
    func nodeHelpMatchesGolden(name: String) throws {
        let types: [String: any ParsableCommand.Type] = [
            "growda-node": GrowdaNodeCommand.self, "growda-node-run": GrowdaNodeCommand.Run.self,
            "growda-node-status": GrowdaNodeCommand.Status.self,
        ]
        let type = try #require(types[name])
        let help = GrowdaNodeCommand.helpMessage(for: type, columns: 100)
        let file = Self.goldenFolder.appendingPathComponent("\(name).txt")
        if ProcessInfo.processInfo.environment["GROWDA_UPDATE_GOLDEN"] == "1" {
            try help.write(to: file, atomically: true, encoding: .utf8)
        }
        #expect(help == (try String(contentsOf: file, encoding: .utf8)), "help of '\(name)' changed")
    }
}
