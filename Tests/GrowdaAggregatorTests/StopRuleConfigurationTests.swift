import Foundation
import GrowdaAggregator
import GrowdaProvisioning
import GrowdaTestKit
import Testing

/// `eval.metric`, `eval.keep_best`, `stop.max_versions` and `stop.plateau` as `growda serve` reads them.
@Suite struct StopRuleConfigurationTests {
    typealias Config = AggregatorConfigurationTests

    @Test func theKeysAreReadWithTheirDefaults() throws {
        let temporary = try TemporaryDirectory(prefix: "growda-stop")
        let federation = try Config.federation(temporary)
        let defaults = try AggregatorConfiguration(federation: federation)
        #expect(defaults.evalMetric == .auc && defaults.keepBest)
        #expect(defaults.stopMaxVersions == nil && defaults.stopPlateau == nil)
        let (config, _) = try Config.appending(
            [
                "eval.metric = accuracy", "eval.keep_best = true", "stop.max_versions = 3000", "stop.plateau = 500",
                "eval.dir = /srv/eval",
            ], to: federation)
        let set = try AggregatorConfiguration(config: config, federationDirectory: federation.directory)
        #expect(set.evalMetric == .accuracy && set.stopMaxVersions == 3000 && set.stopPlateau == 500)
        try set.checkStopRules()
        let (zero, _) = try Config.appending(["stop.max_versions = 0", "stop.plateau = 0"], to: federation)
        let off = try AggregatorConfiguration(config: zero, federationDirectory: federation.directory)
        #expect(off.stopMaxVersions == nil && off.stopPlateau == nil)
        for key in ["eval.metric", "eval.keep_best", "stop.max_versions", "stop.plateau"] {
            #expect(AggregatorConfiguration.knownKeys.contains { $0.name == key }, "\(key)")
        }
    }

    @Test func badValuesAreRefusedWithTheirLine() throws {
        let temporary = try TemporaryDirectory(prefix: "growda-stop")
        let federation = try Config.federation(temporary)
        let (config, first) = try Config.appending(
            ["eval.metric = loss", "eval.keep_best = yes", "stop.max_versions = -1"], to: federation)
        let path = federation.configPath
        #expect(
            Config.problems(config, federation) == [
                "\(path) line \(first): eval.metric = loss is not valid; allowed: auc or accuracy",
                "\(path) line \(first + 1): eval.keep_best = yes is not valid; allowed: true or false",
                "\(path) line \(first + 2): stop.max_versions = -1 is not valid; allowed: a whole number ≥ 0",
            ])
    }

    @Test func aPlateauNeedsKeepBestAndAnEvaluationSet() throws {
        let temporary = try TemporaryDirectory(prefix: "growda-stop")
        let federation = try Config.federation(temporary)
        let (noBest, _) = try Config.appending(["stop.plateau = 50", "eval.keep_best = false"], to: federation)
        let problems = try #require(Config.problems(noBest, federation))
        #expect(problems.contains { $0.contains("stop.plateau = 50 needs eval.keep_best = true") }, "\(problems)")

        let (noEval, _) = try Config.appending(["stop.plateau = 50"], to: federation)
        var configuration = try AggregatorConfiguration(config: noEval, federationDirectory: federation.directory)
        let error = #expect(throws: AggregatorError.self) { try configuration.checkStopRules() }
        #expect("\(error.map { "\($0)" } ?? "")".contains("stop.plateau = 50 needs evaluation"))
        #expect("\(error.map { "\($0)" } ?? "")".contains("--eval DIR"))
        #expect(throws: AggregatorError.self) {
            _ = try Aggregator(configuration: configuration, logger: .init(label: "t"))
        }
        configuration.evalPath = temporary.path("eval")  // as growda serve --eval sets it
        try configuration.checkStopRules()
    }
}
