import Foundation
import GrowdaAggregator
import GrowdaCharts
import GrowdaStore
import Synchronization

/// What the dashboard shows, read from the running aggregator (its published status) and its state folder
/// (history, checkpoints). The history and its chart are read again only when a version is committed.
final class DashboardData: Sendable {
    let status: @Sendable () -> AggregatorStatus?
    let stateFolder: String
    private let cache = Mutex<Cached?>(nil)

    struct Cached: Sendable {
        var version: UInt64
        var mode: String
        var history: [VersionRecord]
        var nodes: [NodeRecord]
        var chartSVG: String
    }

    init(status: @escaping @Sendable () -> AggregatorStatus?, stateFolder: String) {
        self.status = status
        self.stateFolder = stateFolder
    }

    /// The history and chart as of `version` (read again when it moved on).
    func history(asOf version: UInt64?) throws -> Cached {
        if let cached = cache.withLock({ $0 }), version == nil || cached.version == version { return cached }
        let reader = try StateReader(folder: stateFolder)
        defer { try? reader.close() }
        let federation = try reader.federation()
        let history = try reader.history()
        let nodes = try reader.nodes()
        var chart = FederationChart.report(mode: federation.mode, history: history, nodes: nodes)
        chart.title = "Learning by version and over time"
        let fresh = Cached(
            version: federation.currentVersion ?? 0, mode: federation.mode, history: history, nodes: nodes,
            chartSVG: ChartDrawing(chart).svg())
        cache.withLock { $0 = fresh }
        return fresh
    }

    /// A checkpoint from the state folder.
    func checkpoint(_ choice: CheckpointChoice) throws -> KeptCheckpoint {
        let reader = try StateReader(folder: stateFolder)
        defer { try? reader.close() }
        return try reader.checkpoint(choice)
    }
}
