import GrowdaAggregation
import GrowdaWire

extension FederationProcessor {
    // MARK: A hospital's share of one buffer (fedbuff.max_share)

    /// The most updates one node may have in the current buffer (nil: no cap, or synchronous rounds).
    var maxPerNode: Int? {
        let k = configuration.aggregation.bufferTarget
        return k > 0 ? configuration.aggregation.maxPerNode(bufferSize: k) : nil
    }

    /// The hospitals a buffer needs under the share cap, ⌈K / ⌈share·K⌉⌉, when fewer active nodes are
    /// registered (buffers could never fill); nil when enough are, or without a cap.
    var hospitalsNeededForShare: Int? {
        guard let limit = maxPerNode else { return nil }
        let k = configuration.aggregation.bufferTarget
        let needed = (k + limit - 1) / limit
        return registry.nodes.filter(\.isActive).count < needed ? needed : nil
    }

    /// Warns, at start and whenever the registry changes, when the share cap leaves buffers unfillable.
    func warnIfShareCapCannotFill() {
        guard let needed = hospitalsNeededForShare else { return }
        logger.warning(
            "fedbuff.max_share needs more hospitals than are registered: no buffer can fill",
            metadata: [
                "buffer.k": "\(configuration.aggregation.bufferTarget)", "nodes.needed": "\(needed)",
                "nodes.active": "\(registry.nodes.filter(\.isActive).count)",
            ])
    }

    /// Whether `node` already holds its most updates in the current buffer.
    func isAtShareCap(_ node: UInt32) -> Bool {
        guard let limit = maxPerNode else { return false }
        return (strategy.pending.nodeCounts[node] ?? 0) >= limit
    }

    /// Counts an update of `node` made to wait for a later buffer by its share: once per update, whether its
    /// leave to send was deferred or the update itself held (resends and repeated requests count no more).
    func countOverShare(node: UInt32, seq: UInt64) {
        guard heldForShare[node] != seq else { return }
        heldForShare[node] = seq
        tallies[node, default: Tally()].overShare += 1
        overShareHeld += 1
    }

    /// An update over the node's share of the buffer: not folded and not settled, so the node keeps it and
    /// resends it (with its backoff) once a step has emptied the buffer; it is judged afresh then, a version
    /// staler. Counted per node; not a refusal (nothing is wrong with the update, and nothing is written).
    func holdOverShare(_ update: UpdateMessage, held: Int, limit: Int) {
        countOverShare(node: update.node, seq: update.seq)
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
