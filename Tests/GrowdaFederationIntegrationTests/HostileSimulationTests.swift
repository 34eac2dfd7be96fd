import Foundation
import GrowdaTestKit
import Testing

/// One hostile hospital in a real local federation (`growda simulate --hostile`, real growda-node
/// processes, synthetic images): plain FedBuff is pulled off, the robust buffer outvotes the hostile
/// hospital, and the hostile hospital is the one whose updates are counted as outliers.
@Suite(.serialized) struct HostileSimulationTests {
    /// The report of a 20-version synthetic run of 4 hospitals, hospital 1 sending −10 times its update.
    static func run(_ defence: [String], in dir: TemporaryDirectory, name: String) throws -> [String: Any] {
        let json = try ECGSimulationTests.growda(
            [
                "simulate", "--hospitals", "4", "--iid", "--versions", "20", "--synth-per-class", "40", "--k", "4",
                "--hostile", "1:scale=-10", "--reference-epochs", "0", "--json",
            ] + defence, log: dir.path("\(name).log"))
        return try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
    }

    @Test func theMedianOutvotesAHospitalSendingMinusTenTimesItsUpdate() throws {
        let dir = try TemporaryDirectory(prefix: "growda-hostile")
        let plain = try Self.run([], in: dir, name: "plain")
        let robust = try Self.run(["--robust", "median", "--max-share", "0.25"], in: dir, name: "median")
        let defence = try #require(robust["robust"] as? [String: Any])
        #expect(defence["hostile"] as? String == "hospital-01: scale=-10")
        #expect(defence["rule"] as? String == "median")
        let suspects = try #require(defence["suspects"] as? [String: [String: Int]])
        let hostileOutliers = suspects["hospital-01"]?["outliers"] ?? 0
        let honestOutliers = ["hospital-02", "hospital-03", "hospital-04"].map { suspects[$0]?["outliers"] ?? 0 }
        let plainAUC = try #require(plain["final_auc"] as? Double)
        let robustAUC = try #require(robust["final_auc"] as? Double)
        print(
            "final AUC plain \(plainAUC), median \(robustAUC); outliers hostile \(hostileOutliers), honest \(honestOutliers)"
        )
        // Each buffer holds one update per hospital (max_share 0.25 of K = 4), so the hostile one is in every
        // buffer: it is the outlier of nearly every step, the honest hospitals of almost none.
        #expect(hostileOutliers >= 18)
        #expect(honestOutliers.allSatisfy { $0 <= 2 })
        // Plain FedBuff steps against the honest direction (−10 + 3 honest updates); the median learns.
        #expect(robustAUC >= 0.6)
        #expect(robustAUC >= plainAUC + 0.1)
    }
}
