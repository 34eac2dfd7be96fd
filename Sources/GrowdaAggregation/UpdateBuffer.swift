import GrowdaTensor

/// The buffer both strategies fold into: S = Σ a·Δ (one model-sized vector), Z = Σ a, k, and the
/// bookkeeping a step summary reports. Its memory is one copy of the model plus a set of node ids.
final class UpdateBuffer {
    /// S, the weighted sum of the folded deltas.
    let sum: FloatBuffer
    /// Z, the total weight.
    private(set) var totalWeight: Double = 0
    /// k, the number of folded updates.
    private(set) var count = 0
    /// The nodes whose updates are in the buffer.
    private(set) var nodes: Set<NodeID> = []
    private var stalenessSum = 0
    private var maxStaleness = 0
    private var clippedCount = 0

    /// An empty buffer for a model of `parameterCount` values.
    init(parameterCount: Int) {
        precondition(parameterCount > 0, "a model needs at least one parameter")
        sum = FloatBuffer(count: parameterCount)
    }

    /// The status reported between steps.
    var status: PendingStatus { PendingStatus(count: count, totalWeight: totalWeight, nodes: nodes.sorted()) }

    /// S += (scale · a) · Δ in one axpy pass; Z += a; k += 1.
    func add(delta: UnsafeBufferPointer<Float>, accepted: Acceptance, scale: Float) -> FoldRecord {
        precondition(delta.count == sum.count, "delta has \(delta.count) values, model \(sum.count)")
        precondition(accepted.weight > 0 && accepted.weight.isFinite, "weight \(accepted.weight) is not positive")
        precondition(scale > 0 && scale <= 1, "delta scale \(scale) is outside (0, 1]")
        let alpha = Float(accepted.weight * Double(scale))
        BLAS.axpy(count: sum.count, alpha: alpha, delta.baseAddress!, sum.pointer)
        totalWeight += accepted.weight
        count += 1
        nodes.insert(accepted.node)
        stalenessSum += accepted.staleness
        maxStaleness = max(maxStaleness, accepted.staleness)
        if scale < 1 { clippedCount += 1 }
        return FoldRecord(
            node: accepted.node, staleness: accepted.staleness, weight: accepted.weight, scale: scale,
            pendingCount: count)
    }

    /// Turns S into the mean delta S / Z in place, hands it to `body`, then empties the buffer and
    /// returns the summary of what it held, labelled with `newVersion`.
    func drain(newVersion: UInt64, _ body: (UnsafeMutableBufferPointer<Float>) -> Void) -> StepSummary {
        precondition(count > 0, "a step needs at least one folded update")
        BLAS.scale(count: sum.count, alpha: Float(1 / totalWeight), sum.pointer)
        body(sum.buffer)
        let summary = StepSummary(
            version: newVersion, updateCount: count, totalWeight: totalWeight,
            meanStaleness: Double(stalenessSum) / Double(count), maxStaleness: maxStaleness,
            contributors: nodes.sorted(), clippedCount: clippedCount)
        clear()
        return summary
    }

    /// The whole buffer, S copied.
    var state: BufferState {
        BufferState(
            sum: Array(sum.buffer), totalWeight: totalWeight, count: count, nodes: nodes.sorted(),
            stalenessSum: stalenessSum, maxStaleness: maxStaleness, clippedCount: clippedCount)
    }

    /// Replaces the buffer with `state`; a state of another model size or with impossible counts is refused
    /// whole, leaving the buffer unchanged.
    func restore(_ state: BufferState) throws(AggregationStateError) {
        guard state.sum.count == sum.count else {
            throw .wrongLength(name: "buffer.sum", expected: sum.count, actual: state.sum.count)
        }
        guard state.count >= 0, state.totalWeight >= 0, state.totalWeight.isFinite,
            (state.count == 0) == state.nodes.isEmpty, state.stalenessSum >= 0, state.maxStaleness >= 0,
            state.clippedCount >= 0, state.clippedCount <= state.count
        else { throw .inconsistentBuffer }
        state.sum.withUnsafeBufferPointer { sum.buffer.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
        totalWeight = state.totalWeight
        count = state.count
        nodes = Set(state.nodes)
        stalenessSum = state.stalenessSum
        maxStaleness = state.maxStaleness
        clippedCount = state.clippedCount
    }

    /// Empties the buffer.
    func clear() {
        sum.zero()
        totalWeight = 0
        count = 0
        nodes = []
        stalenessSum = 0
        maxStaleness = 0
        clippedCount = 0
    }
}
