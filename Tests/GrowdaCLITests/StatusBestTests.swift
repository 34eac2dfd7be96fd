import Foundation
import GrowdaAggregator
import Testing

@testable import GrowdaCLI

/// `growda status` on the best version and stop rules: the screen says plainly which version is best and
/// for how many versions the metric has not improved, and why versions stopped; `--check` turns degraded
/// past `--max-versions-without-improvement`, but not for a federation stopped on purpose.
@Suite struct StatusBestTests {
    typealias Base = StatusCommandTests

    static func drifting(_ since: Int, stopped: String? = nil) throws -> AggregatorStatus {
        var changes: [String: Any] = [
            "version": 2600, "best_version": 612, "best_metric": 0.9312, "eval_metric": "auc",
            "versions_since_best": since, "seconds_since_version": 4000.0,
        ]
        if let stopped { changes["stopped"] = stopped }
        return try Base.status(changes)
    }

    @Test func theScreenNamesTheBestVersionAndHowLongItHasNotImproved() throws {
        let status = try Self.drifting(1988)
        let screen = StatusScreen.render(
            status, endpoint: "tcp://127.0.0.1:7704", health: HealthReport(status, thresholds: Base.thresholds))
        #expect(screen.contains("best      v612 (AUC 0.931); not improved for 1988 versions"), "\(screen)")
        #expect(!screen.contains("stopped"))
        let latest = try Self.drifting(0)
        #expect(StatusScreen.bestLine(latest) == "best      v612 (AUC 0.931); the latest evaluated version is the best")
        #expect(StatusScreen.bestLine(try Base.status()) == nil)  // no best kept: no line
    }

    @Test func checkIsDegradedWhenTheMetricHasNotImprovedForTooLong() throws {
        var thresholds = Base.thresholds
        thresholds.maxVersionAge = 1e9
        let within = HealthReport(try Self.drifting(500), thresholds: thresholds)
        #expect(within.level == .healthy)
        let drifting = HealthReport(try Self.drifting(1988), thresholds: thresholds)
        #expect(drifting.level == .degraded)
        #expect(
            drifting.problems == [
                "AUC has not improved for 1988 versions since the best, v612 (over 500): the model drifts; export "
                    + "the best (growda model export --best) or set stop.plateau"
            ])
        var strict = try HealthThresholds.parse(["--max-versions-without-improvement", "100"])
        strict.maxVersionAge = 1e9
        #expect(HealthReport(try Self.drifting(101), thresholds: strict).level == .degraded)
        let error = Base.parseError(["status", "--federation", "F", "--max-versions-without-improvement", "0"])
        #expect(
            error?.contains("--max-versions-without-improvement must be a whole number ≥ 1") == true, "\(error ?? "")")
    }

    @Test func aStoppedFederationSaysWhyAndIsNotDegradedForMakingNoVersions() throws {
        let reason = "stop.plateau = 500: AUC has not improved for 1988 versions since the best, v612 (0.9312)"
        let status = try Self.drifting(1988, stopped: reason)
        let report = HealthReport(status, thresholds: Base.thresholds)
        #expect(report.level == .healthy, "\(report.problems)")
        #expect(report.line(status).hasPrefix("healthy: stopped at version 2600 (stop.plateau = 500"))
        let screen = StatusScreen.render(status, endpoint: "tcp://127.0.0.1:7704", health: report)
        #expect(screen.contains("stopped   no more versions: stop.plateau = 500"), "\(screen)")
    }

    @Test func statusJSONWithoutTheNewKeysStillDecodes() throws {
        let old = try Base.status()  // as an aggregator before this change sends it
        #expect(old.best_version == nil && old.versions_since_best == nil && old.stopped == nil)
    }
}
