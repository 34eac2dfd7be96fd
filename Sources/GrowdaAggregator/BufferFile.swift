import GrowdaAggregation
import GrowdaSafetensors

/// The on-disk form of the aggregator's buffer (`BufferState`), which the store keeps as the pending
/// updates' buffer file: a safetensors file with, for plain FedBuff, one F32 tensor `buffer.sum` (S,
/// `parameterCount` values); for a robust rule (`fedbuff.robust`) instead one tensor `buffer.delta.i` per
/// update in folding order (i = 0 … k − 1, each scale · Δ as folded) with `delta_weights` (their weights
/// a, shortest round-tripping decimals) and `delta_nodes` (their node ids) in the metadata. For a model
/// with running statistics a tensor `buffer.state_sum` (R = Σ a·Δs, the state deltas' sum beside S; see
/// `StateAverage`); with an adaptive norm bound a tensor `clip.recent_norms` (its window, oldest first).
/// In `__metadata__` too: `format` = `growda-buffer`, the version it folds towards, `count` (k),
/// `total_weight` (Z), `nodes` (comma-separated ids), `node_counts` (`id:count` pairs, comma-separated),
/// `staleness_sum`, `max_staleness` and `clipped`. Any safetensors tool can read it. A file without
/// `buffer.state_sum` (a model without state, or one written before the state was averaged) reads as
/// having none; one without `node_counts` (written before the share cap) as one update per node.
enum BufferFile {
    static let format = "growda-buffer"
    static let sumName = "buffer.sum"
    static let stateSumName = "buffer.state_sum"
    static let deltaPrefix = "buffer.delta."

    /// Encodes `state`, the buffer of the version after `version`, and the state deltas' sum beside it.
    static func writer(_ state: BufferState, stateSum: [Float]? = nil, version: UInt64) throws -> SafetensorsWriter {
        var metadata = [
            "format": format, "version": String(version), "count": String(state.count),
            "total_weight": String(state.totalWeight), "nodes": state.nodes.map(String.init).joined(separator: ","),
            "node_counts": state.nodeCounts.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }
                .joined(separator: ","),
            "staleness_sum": String(state.stalenessSum), "max_staleness": String(state.maxStaleness),
            "clipped": String(state.clippedCount),
        ]
        if !state.deltas.isEmpty {
            metadata["delta_weights"] = state.deltaWeights.map { String($0) }.joined(separator: ",")
            metadata["delta_nodes"] = state.deltaNodes.map(String.init).joined(separator: ",")
        }
        var writer = SafetensorsWriter(metadata: metadata)
        if state.deltas.isEmpty {
            try writer.add(name: sumName, shape: [state.sum.count], floats: state.sum)
        }
        for (i, delta) in state.deltas.enumerated() {
            try writer.add(name: deltaPrefix + String(i), shape: [delta.count], floats: delta)
        }
        if let stateSum { try writer.add(name: stateSumName, shape: [stateSum.count], floats: stateSum) }
        if let norms = state.recentNorms, !norms.isEmpty {
            try writer.add(name: NormClipping.windowTensor, shape: [norms.count], floats: norms)
        }
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
        func list<T>(_ key: String, _ parse: (Substring) -> T?) throws -> [T] {
            try (m[key] ?? "").split(separator: ",").map { text in
                guard let value = parse(text) else { throw fail("\(key) entry '\(text)' is not a number") }
                return value
            }
        }
        let nodes = try list("nodes") { NodeID($0) }
        var nodeCounts: [NodeID: Int]?
        if m["node_counts"] != nil {
            let pairs = try list("node_counts") { text -> (NodeID, Int)? in
                let parts = text.split(separator: ":")
                guard parts.count == 2, let id = NodeID(parts[0]), let n = Int(parts[1]) else { return nil }
                return (id, n)
            }
            nodeCounts = Dictionary(pairs, uniquingKeysWith: +)
        }
        let deltaNames = file.tensors.map(\.name).filter { $0.hasPrefix(deltaPrefix) }
        var deltas: [[Float]] = []
        for i in 0..<deltaNames.count {
            guard file.info(deltaPrefix + String(i)) != nil else { throw fail("\(deltaPrefix)\(i) is missing") }
            deltas.append(try file.floats(deltaPrefix + String(i)))
        }
        let buffer = BufferState(
            sum: deltas.isEmpty ? try file.floats(sumName) : [], totalWeight: weight, count: count, nodes: nodes,
            stalenessSum: stalenessSum, maxStaleness: maxStaleness, clippedCount: clipped, nodeCounts: nodeCounts,
            deltas: deltas, deltaWeights: try list("delta_weights") { Double($0) },
            deltaNodes: try list("delta_nodes") { NodeID($0) },
            recentNorms: file.info(NormClipping.windowTensor) == nil ? nil : try file.floats(NormClipping.windowTensor))
        return (buffer, file.info(stateSumName) == nil ? nil : try file.floats(stateSumName))
    }
}
