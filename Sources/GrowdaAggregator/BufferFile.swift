import GrowdaAggregation
import GrowdaSafetensors

/// The on-disk form of the aggregator's buffer (`BufferState`), which the store keeps as the pending
/// updates' buffer file: a safetensors file with one F32 tensor `buffer.sum` (S, `parameterCount`
/// values), for a model with running statistics a second one `buffer.state_sum` (R = Σ a·Δs, the state
/// deltas' sum beside S; see `StateAverage`), and, in `__metadata__`, `format` = `growda-buffer`, the
/// version it folds towards, `count` (k), `total_weight` (Z, shortest round-tripping decimal), `nodes`
/// (comma-separated ids), `staleness_sum`, `max_staleness` and `clipped`. Any safetensors tool can read it.
/// A file without `buffer.state_sum` (a model without state, or one written before the state was
/// averaged) reads as having none.
enum BufferFile {
    static let format = "growda-buffer"
    static let sumName = "buffer.sum"
    static let stateSumName = "buffer.state_sum"

    /// Encodes `state`, the buffer of the version after `version`, and the state deltas' sum beside it.
    static func writer(_ state: BufferState, stateSum: [Float]? = nil, version: UInt64) throws -> SafetensorsWriter {
        var writer = SafetensorsWriter(metadata: [
            "format": format, "version": String(version), "count": String(state.count),
            "total_weight": String(state.totalWeight), "nodes": state.nodes.map(String.init).joined(separator: ","),
            "staleness_sum": String(state.stalenessSum), "max_staleness": String(state.maxStaleness),
            "clipped": String(state.clippedCount),
        ])
        try writer.add(name: sumName, shape: [state.sum.count], floats: state.sum)
        if let stateSum { try writer.add(name: stateSumName, shape: [stateSum.count], floats: stateSum) }
        return writer
    }

    /// Decodes a buffer file of version `version`'s buffer and its state deltas' sum (nil when the file has
    /// none), or throws `AggregatorError.state` naming `path`.
    static func read(_ path: String, version: UInt64) throws -> (buffer: BufferState, stateSum: [Float]?) {
        func fail(_ reason: String) -> AggregatorError { .state("\(path): \(reason)") }
        let file = try SafetensorsFile(contentsOf: path)
        let m = file.metadata
        guard m["format"] == format else { throw fail("not a Growda buffer file (format is not '\(format)')") }
        guard m["version"] == String(version) else {
            throw fail("it holds the buffer of version \(m["version"] ?? "?"), the state is at \(version)")
        }
        guard let count = m["count"].flatMap({ Int($0) }), let weight = m["total_weight"].flatMap({ Double($0) }),
            let stalenessSum = m["staleness_sum"].flatMap({ Int($0) }),
            let maxStaleness = m["max_staleness"].flatMap({ Int($0) }), let clipped = m["clipped"].flatMap({ Int($0) })
        else { throw fail("its metadata lacks a count, weight or staleness field") }
        let nodes = try (m["nodes"] ?? "").split(separator: ",").map { text in
            guard let id = NodeID(text) else { throw fail("node id '\(text)' is not a number") }
            return id
        }
        let buffer = BufferState(
            sum: try file.floats(sumName), totalWeight: weight, count: count, nodes: nodes,
            stalenessSum: stalenessSum, maxStaleness: maxStaleness, clippedCount: clipped)
        return (buffer, file.info(stateSumName) == nil ? nil : try file.floats(stateSumName))
    }
}
