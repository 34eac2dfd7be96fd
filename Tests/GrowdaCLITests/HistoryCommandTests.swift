import Foundation
import GrowdaStore
import GrowdaTestKit
import Testing

@testable import GrowdaCLI

/// `growda history`: its --help names exactly the keys and columns it prints.
@Suite struct HistoryCommandTests {
    @Test func theHelpNamesTheKeysTheJSONHas() throws {
        let temporary = try TemporaryDirectory(prefix: "growda-history")
        let state = temporary.path("state")
        try ReportCommandTests.makeState(at: state, versions: 3, evaluated: true)
        let command = try #require(try Growda.parseAsRoot(["history", "--state", state, "--json"]) as? HistoryCommand)
        let reader = try StateReader(folder: state)
        defer { try? reader.close() }
        let history = try reader.history()
        let text = try command.text(history)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        #expect(rows.count == 3)
        let help = HistoryCommand.helpMessage(columns: 1000)
        for row in rows {
            #expect(Set(row.keys) == Set(HistoryCommand.jsonKeys))
        }
        #expect(help.contains("of objects with the keys " + HistoryCommand.jsonKeys.joined(separator: ", ") + " ("))
        #expect(!help.contains("evaluation (accuracy"))
        #expect((rows[2]["eval_accuracy"] as? Double).map { abs($0 - 0.66) < 1e-12 } == true)
        let header = HistoryExport.csv(history).split(separator: "\r\n").first.map(String.init)
        #expect(header == (HistoryCommand.csvColumns + ["local_train_loss"]).joined(separator: ","))
        #expect(help.contains("one line per version: " + HistoryCommand.csvColumns.joined(separator: ", ") + " ("))
    }
}
