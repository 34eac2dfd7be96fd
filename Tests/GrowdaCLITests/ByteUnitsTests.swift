import Foundation
import Testing

@testable import GrowdaCLI

/// Reports give byte counts in MiB (2²⁰ bytes) for people; their --json keeps the raw bytes.
@Suite struct ByteUnitsTests {
    @Test func mibHasAFewSignificantDigits() {
        #expect(mib(400_000) == "0.38 MiB")
        #expect(mib(1 << 20) == "1.00 MiB")
        #expect(mib(50 << 20 + 1 << 19) == "50.5 MiB")
        #expect(mib(1536 << 20) == "1536 MiB")
    }

    @Test func theSimulationReportGivesMiB() {
        let report = SimulateCommand.Report(
            mode: "async", model: "small28", hospitals: 3, wall_seconds: 60, versions: [], accepted: 12,
            rejected: [:], queue_dropped: 0, staleness_p50: 1, staleness_p95: 2, staleness_max: 3,
            bytes_received: 123_456_789, aggregator_resident_bytes: 80 << 20,
            aggregator_peak_resident_bytes: 96 << 20, data: "synthetic", eval_images: 100, reference: nil,
            seconds_to_target_auc: nil, target_auc: 0.9, best_version: nil, best_accuracy: nil, best_auc: nil,
            best_seconds: nil, final_accuracy: 0.8, final_auc: 0.9, final_model: "m.safetensors", node_exits: [:])
        let text = SimulateCommand.text(report)
        #expect(text.contains("received 118 MiB; aggregator process resident 80.0 MiB (peak 96.0 MiB)"), "\(text)")
        #expect(!text.contains("123456789"))
    }

    @Test func theBenchmarkTableGivesTheUpdateSizeInMiB() throws {
        let row = try JSONDecoder().decode(
            BenchAggregate.Row.self,
            from: JSONSerialization.data(withJSONObject: [
                "model": "xray128", "update_bytes": 1_677_776, "senders": 10, "per_sender": 2, "updates": 20,
                "accepted": 20, "settled_unaccepted": 0, "seconds": 1.5, "updates_per_s": 13.3,
                "raw_open_per_s": 900.0, "fraction_of_raw_open": 0.015, "queue_dropped": 0, "resent": 0,
                "replays_refused": 0, "queue_capacity": 64, "aggregator_rss_bytes": 60 << 20,
                "aggregator_peak_rss_bytes": 70 << 20, "aggregator_idle_rss_bytes": 40 << 20,
                "aggregator_sampled_peak_rss_bytes": 65 << 20, "rss_samples": 30,
            ]))
        let line = BenchAggregate.line(row)
        #expect(line.hasPrefix("xray128    1.60 MiB       10       20"), "\(line)")
        #expect(line.hasSuffix("40 MiB    65 MiB   70 MiB"), "\(line)")
        let header = BenchAggregate.header
        #expect(header.range(of: "senders")!.upperBound.utf16Offset(in: header) == 9 + 10 + 2 + 7)
    }
}
