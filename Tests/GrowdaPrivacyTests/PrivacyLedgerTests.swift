import Foundation
import Testing

@testable import GrowdaPrivacy

@Suite("Privacy ledger: bounds, budget checks, files")
struct PrivacyLedgerTests {
    /// A DP-SGD entry for update `seq`.
    func dpSGD(
        _ seq: UInt64, q: Double = 0.02, sigma: Double = 1.1, steps: Int = 250, z: Double? = nil
    ) throws
        -> PrivacyLedger.Entry
    {
        try PrivacyLedger.Entry(
            seq: seq, baseVersion: seq / 2, time: 1_700_000_000_000 + seq * 60_000,
            recordLevel: .init(samplingRate: q, noiseMultiplier: sigma, steps: steps),
            updateLevel: z.map { try .init(noiseMultiplier: $0) })
    }

    /// A fresh temporary folder.
    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "growda-privacy-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func emptyLedgerHasSpentNothing() throws {
        #expect(try PrivacyLedger().epsilon(delta: 1e-5) == 0)
    }

    @Test func updateLevelOnlyIsTheGaussianWithHalfTheMultiplier() throws {
        var ledger = PrivacyLedger()
        for seq in 1...12 as ClosedRange<UInt64> {
            try ledger.record(
                .init(seq: seq, baseVersion: 0, time: 0, recordLevel: nil, updateLevel: .init(noiseMultiplier: 6)))
        }
        var gaussian = try RDPAccountant()
        try gaussian.composeGaussian(noiseMultiplier: 3, steps: 12)
        for (a, b) in zip(ledger.rdp, gaussian.rdp) { #expect(relativeError(a, b) < 1e-12) }
        let epsilon = try #require(try ledger.epsilon(delta: 1e-6))
        #expect(relativeError(epsilon, try gaussian.epsilon(delta: 1e-6).epsilon) < 1e-12)
    }

    @Test func bothPartsTakeTheSmallerBoundAtEachOrder() throws {
        let entry = try dpSGD(1, q: 0.01, sigma: 1, steps: 10, z: 10)
        let recordOnly = try RDPAccountant.subsampledGaussianRDP(samplingRate: 0.01, noiseMultiplier: 1, steps: 10)
        let updateOnly = try RDPAccountant.subsampledGaussianRDP(samplingRate: 1, noiseMultiplier: 5)
        let both = try entry.rdp()
        #expect(both == zip(recordOnly, updateOnly).map { min($0, $1) })
        // Here each bound wins at some orders: the minimum is better than either alone.
        #expect(zip(recordOnly, updateOnly).contains { $0 < $1 } && zip(recordOnly, updateOnly).contains { $0 > $1 })
        let epsilons = try [both, recordOnly, updateOnly].map {
            try RDPAccountant.epsilon(rdp: $0, orders: RDPAccountant.defaultOrders, delta: 1e-5).epsilon
        }
        #expect(epsilons[0] <= min(epsilons[1], epsilons[2]))
    }

    @Test func anEntryWithoutDPMakesEpsilonUnbounded() throws {
        var ledger = PrivacyLedger()
        try ledger.record(try dpSGD(1))
        #expect(try ledger.epsilon(delta: 1e-5) != nil)
        let plain = PrivacyLedger.Entry(seq: 2, baseVersion: 1, time: 0, recordLevel: nil, updateLevel: nil)
        #expect(try ledger.epsilonIfAdded(plain, delta: 1e-5) == nil)
        try ledger.record(plain)
        #expect(try ledger.epsilon(delta: 1e-5) == nil)
    }

    @Test func epsilonIfAddedPredictsTheNextEpsilonWithoutRecording() throws {
        var ledger = PrivacyLedger()
        let budget = 4.0
        var seq: UInt64 = 0
        // The loop a node runs: check first, then train and record only if the update fits the budget.
        while true {
            let next = try dpSGD(seq + 1)
            let predicted = try #require(try ledger.epsilonIfAdded(next, delta: 1e-5))
            #expect(ledger.entries.count == Int(seq))
            if predicted > budget { break }
            try ledger.record(next)
            seq += 1
            #expect(try ledger.epsilon(delta: 1e-5) == predicted)
        }
        #expect(seq > 0)
        #expect(try #require(try ledger.epsilon(delta: 1e-5)) <= budget)
    }

    @Test func runningAndRecomputedRDPAgree() throws {
        var ledger = PrivacyLedger()
        let settings: [(Double, Double, Int, Double?)] = [
            (0.01, 1.0, 100, nil), (0.05, 0.7, 30, 4), (0.27, 1.3, 10, nil), (0.01, 1.0, 100, 8), (1, 2, 1, nil),
        ]
        for (index, (q, sigma, steps, z)) in (settings + settings + settings).enumerated() {
            try ledger.record(try dpSGD(UInt64(index), q: q, sigma: sigma, steps: steps, z: z))
        }
        let recomputed = try ledger.recomputedRDP()
        for (a, b) in zip(ledger.rdp, recomputed) { #expect(relativeError(a, b) < 1e-12) }
        let fromEntries = try PrivacyLedger(entries: ledger.entries)
        #expect(try fromEntries.epsilon(delta: 1e-5) == ledger.epsilon(delta: 1e-5))
    }

    @Test func survivesARestart() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("privacy-ledger.json")
        #expect(try PrivacyLedger.load(from: url) == PrivacyLedger())
        var ledger = PrivacyLedger()
        try ledger.record(try dpSGD(1, z: 5))
        try ledger.record(
            .init(seq: 2, baseVersion: 1, time: 9, recordLevel: nil, updateLevel: .init(noiseMultiplier: 3.3)))
        try ledger.record(try dpSGD(3, q: 0.004, sigma: 0.9, steps: 10_000))
        try ledger.save(to: url)
        let restarted = try PrivacyLedger.load(from: url)
        #expect(restarted == ledger)
        #expect(try restarted.epsilon(delta: 1e-5) == ledger.epsilon(delta: 1e-5))
        // Saving again replaces the file and leaves no temporary file behind.
        var more = restarted
        try more.record(try dpSGD(4))
        try more.save(to: url)
        #expect(try PrivacyLedger.load(from: url).entries.count == 4)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["privacy-ledger.json"])
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.contains("\"format\" : \"growda-privacy-ledger v1\""))
        #expect(text.contains("\"baseVersion\""))
    }

    @Test func refusesACorruptFileNamingIt() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("privacy-ledger.json")
        var ledger = PrivacyLedger()
        try ledger.record(try dpSGD(1))
        try ledger.save(to: url)
        let good = try String(contentsOf: url, encoding: .utf8)
        let damaged = [
            String(good.prefix(good.count / 2)),
            "",
            good.replacingOccurrences(of: "growda-privacy-ledger v1", with: "growda-privacy-ledger v2"),
            good.replacingOccurrences(of: "\"samplingRate\" : 0.02", with: "\"samplingRate\" : 2"),
            good.replacingOccurrences(of: "\"steps\" : 250", with: "\"steps\" : -250"),
            good.replacingOccurrences(of: "\"seq\"", with: "\"sequence\""),
        ]
        for text in damaged {
            try text.write(to: url, atomically: false, encoding: .utf8)
            do {
                _ = try PrivacyLedger.load(from: url)
                Issue.record("a damaged ledger was accepted: \(text)")
            } catch let error as PrivacyLedgerError {
                guard case .unreadable(let path, _) = error else {
                    Issue.record("unexpected \(error)")
                    continue
                }
                #expect(path == url.path)
                #expect(error.description.contains(url.path))
                #expect(error.description.contains("restore it from a backup"))
            }
        }
        try text(good, to: url)
        #expect(try PrivacyLedger.load(from: url) == ledger)
    }

    @Test func saveIntoAMissingFolderSaysWhichCallFailed() throws {
        let url = URL(fileURLWithPath: "/nonexistent-growda-folder/privacy-ledger.json")
        do {
            try PrivacyLedger().save(to: url)
            Issue.record("saving into a missing folder succeeded")
        } catch {
            #expect("\(error)".contains("create temporary file"))
            #expect("\(error)".contains("/nonexistent-growda-folder/"))
        }
    }

    /// Writes `text` to `url`.
    private func text(_ text: String, to url: URL) throws {
        try text.write(to: url, atomically: false, encoding: .utf8)
    }
}
