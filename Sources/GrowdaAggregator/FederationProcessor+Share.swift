import GrowdaAggregation
import GrowdaWire

extension FederationProcessor {
    // MARK: A hospital's share of one buffer (fedbuff.max_share)

    /// The most updates one node may have in the current buffer (nil: no cap, or synchronous rounds).
    var maxPerNode: Int? {
        let k = configuration.aggregation.bufferTarget
        return k > 0 ? configuration.aggregation.maxPerNode(bufferSize: k) : nil
    }

    /// Whether `node` already holds its most updates in the current buffer.
    func isAtShareCap(_ node: UInt32) -> Bool {
        guard let limit = maxPerNode else { return false }
        return (strategy.pending.nodeCounts[node] ?? 0) >= limit
    }

    /// An update over the node's share of the buffer: not folded and not settled, so the node keeps it and
    /// resends it (with its backoff) once a step has emptied the buffer; it is judged afresh then, a version
    /// staler. Counted per node; not a refusal (nothing is wrong with the update, and nothing is written).
    func holdOverShare(_ update: UpdateMessage, held: Int, limit: Int) {
        tallies[update.node, default: Tally()].overShare += 1
        overShareHeld += 1
        logger.info(
            "update over its hospital's share of the buffer, not settled",
            metadata: [
                "node.id": "\(update.node)", "update.seq": "\(update.seq)", "buffer.held": "\(held)",
                "buffer.limit": "\(limit)",
            ])
    }

    /// Counts a step's outliers against their nodes.
    func countOutliers(_ summary: StepSummary) {
        for node in summary.outliers { tallies[node, default: Tally()].outliers += 1 }
    }
}
