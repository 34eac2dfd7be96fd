import GrowdaTensor

/// The buffer both strategies fold into. Plain FedBuff (``RobustRule/none``) keeps S = Σ a·Δ (one
/// model-sized vector), Z = Σ a, k and the bookkeeping a step summary reports: one copy of the model
/// plus a few counts per node. A robust rule keeps each folded delta as well (already scaled by norm
/// clipping), with its weight and node, and computes its coordinate-wise direction at the step: K + 1
/// copies of the model.
final class UpdateBuffer {
    /// How a step turns the buffer into a direction.
    let rule: RobustRule
    /// S, the weighted sum of the folded deltas (plain); a robust rule writes its direction here at a step.
    let sum: FloatBuffer
    /// Z, the total weight.
    private(set) var totalWeight: Double = 0
    /// k, the number of folded updates.
    private(set) var count = 0
    /// How many of the buffer's updates each node sent.
    private(set) var nodeCounts: [NodeID: Int] = [:]
    private var stalenessSum = 0
    private var maxStaleness = 0
    private var clippedCount = 0
    /// Robust rules: the folded deltas (scale · Δ), slots reused from step to step; the first `count` hold
    /// this buffer's updates, in folding order.
    private var slots: [FloatBuffer] = []
    private var slotWeights: [Double] = []
    private var slotNodes: [NodeID] = []

    /// An empty buffer for a model of `parameterCount` values.
    init(parameterCount: Int, rule: RobustRule = .none) {
        precondition(parameterCount > 0, "a model needs at least one parameter")
        sum = FloatBuffer(count: parameterCount)
        self.rule = rule
    }

    /// The nodes whose updates are in the buffer, ascending.
    var nodes: [NodeID] { nodeCounts.keys.sorted() }

    /// The bytes of model-sized vectors the buffer holds: S, and for a robust rule each kept delta's slot.
    var heldBytes: Int { (1 + slots.count) * sum.count * MemoryLayout<Float>.size }

    /// The status reported between steps.
    var status: PendingStatus {
        PendingStatus(count: count, totalWeight: totalWeight, nodes: nodes, nodeCounts: nodeCounts)
    }

    /// Plain: S += (scale · a) · Δ in one axpy pass. Robust: scale · Δ copied into the next slot. Both:
    /// Z += a; k += 1.
    func add(delta: UnsafeBufferPointer<Float>, accepted: Acceptance, scale: Float) -> FoldRecord {
        precondition(delta.count == sum.count, "delta has \(delta.count) values, model \(sum.count)")
        precondition(accepted.weight > 0 && accepted.weight.isFinite, "weight \(accepted.weight) is not positive")
        precondition(scale > 0 && scale <= 1, "delta scale \(scale) is outside (0, 1]")
        if rule.keepsDeltas {
            if slots.count == count { slots.append(FloatBuffer(count: sum.count)) }
            let slot = slots[count]
            slot.pointer.update(from: delta.baseAddress!, count: delta.count)
            if scale < 1 { BLAS.scale(count: slot.count, alpha: scale, slot.pointer) }
            slotWeights.append(accepted.weight)
            slotNodes.append(accepted.node)
        } else {
            let alpha = Float(accepted.weight * Double(scale))
            BLAS.axpy(count: sum.count, alpha: alpha, delta.baseAddress!, sum.pointer)
        }
        totalWeight += accepted.weight
        count += 1
        nodeCounts[accepted.node, default: 0] += 1
        stalenessSum += accepted.staleness
        maxStaleness = max(maxStaleness, accepted.staleness)
        if scale < 1 { clippedCount += 1 }
        return FoldRecord(
            node: accepted.node, staleness: accepted.staleness, weight: accepted.weight, scale: scale,
            pendingCount: count)
    }

    /// Turns the buffer into the step direction in `sum` (plain: S / Z in place; robust: the rule, coordinate
    /// by coordinate), hands it to `body`, then empties the buffer and returns the summary of what it held,
    /// labelled with `newVersion`.
    func drain(newVersion: UInt64, _ body: (UnsafeMutableBufferPointer<Float>) -> Void) -> StepSummary {
        precondition(count > 0, "a step needs at least one folded update")
        var outliers: [NodeID] = []
        if rule.keepsDeltas {
            robustDirection()
            outliers = outlierIndices().map { slotNodes[$0] }
        } else {
            BLAS.scale(count: sum.count, alpha: Float(1 / totalWeight), sum.pointer)
        }
        body(sum.buffer)
        let summary = StepSummary(
            version: newVersion, updateCount: count, totalWeight: totalWeight,
            meanStaleness: Double(stalenessSum) / Double(count), maxStaleness: maxStaleness,
            contributors: nodes, clippedCount: clippedCount, outliers: outliers)
        clear()
        return summary
    }

    /// The rule's value in every coordinate, written to `sum`.
    private func robustDirection() {
        let k = count, trim = rule.trimCount(bufferSize: k)
        var values = [Float](repeating: 0, count: k), weights = [Double](repeating: 0, count: k)
        let pointers = slots.prefix(k).map { UnsafePointer($0.pointer) }
        let out = sum.pointer
        for j in 0..<sum.count {
            for i in 0..<k {
                values[i] = pointers[i][j]
                weights[i] = slotWeights[i]
            }
            switch rule {
            case .trimmedMean:
                // A buffer restored or stepped with fewer updates than K trims what its own k allows.
                out[j] =
                    k - 2 * trim >= 1
                    ? CoordinateRule.trimmedMean(&values, &weights, count: k, trim: trim)
                    : CoordinateRule.median(&values, &weights, count: k)
            case .median, .none:
                out[j] = CoordinateRule.median(&values, &weights, count: k)
            }
        }
    }

    /// The updates far from the step's direction: ‖δᵢ − d‖ more than ``outlierFactor`` times the median of
    /// those distances over the buffer (with K ≥ 3; a smaller buffer has no majority to be far from).
    private func outlierIndices() -> [Int] {
        let k = count
        guard k >= 3 else { return [] }
        let scratch = FloatBuffer(count: sum.count)
        let distances = (0..<k).map { i -> Float in
            scratch.pointer.update(from: slots[i].pointer, count: sum.count)
            BLAS.axpy(count: sum.count, alpha: -1, sum.pointer, scratch.pointer)
            return BLAS.norm2(count: sum.count, scratch.pointer)
        }
        let sorted = distances.sorted()
        let middle = k % 2 == 1 ? sorted[k / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2
        return (0..<k).filter { distances[$0] > Self.outlierFactor * middle }
    }

    /// How many times the buffer's median distance to the direction makes an update an outlier.
    static let outlierFactor: Float = 3

    /// The whole buffer: S copied (plain) or each kept delta copied (robust).
    var state: BufferState {
        BufferState(
            sum: rule.keepsDeltas ? [] : Array(sum.buffer), totalWeight: totalWeight, count: count, nodes: nodes,
            stalenessSum: stalenessSum, maxStaleness: maxStaleness, clippedCount: clippedCount,
            nodeCounts: nodeCounts, deltas: slots.prefix(count).map { Array($0.buffer) }, deltaWeights: slotWeights,
            deltaNodes: slotNodes)
    }

    /// Replaces the buffer with `state`; a state of another model size or with impossible counts is refused
    /// whole, leaving the buffer unchanged. A robust buffer's state restores into a plain buffer (S is
    /// recomputed from the kept deltas); a plain one's cannot restore into a robust buffer (its deltas are
    /// gone), unless it is empty.
    func restore(_ state: BufferState) throws(AggregationStateError) {
        let n = sum.count
        let kept = !state.deltas.isEmpty
        guard state.count >= 0, state.totalWeight >= 0, state.totalWeight.isFinite,
            (state.count == 0) == state.nodes.isEmpty, state.stalenessSum >= 0, state.maxStaleness >= 0,
            state.clippedCount >= 0, state.clippedCount <= state.count,
            state.nodeCounts.values.reduce(0, +) == state.count, state.nodeCounts.keys.sorted() == state.nodes,
            state.nodeCounts.values.allSatisfy({ $0 >= 1 })
        else { throw .inconsistentBuffer }
        if kept {
            guard state.deltas.count == state.count, state.deltaWeights.count == state.count,
                state.deltaNodes.count == state.count, Set(state.deltaNodes).sorted() == state.nodes,
                state.deltaWeights.allSatisfy({ $0 > 0 && $0.isFinite })
            else { throw .inconsistentBuffer }
            for (i, delta) in state.deltas.enumerated() where delta.count != n {
                throw .wrongLength(name: "buffer.delta.\(i)", expected: n, actual: delta.count)
            }
        } else if state.count > 0 || !state.sum.isEmpty {
            guard state.sum.count == n else {
                throw .wrongLength(name: "buffer.sum", expected: n, actual: state.sum.count)
            }
            if rule.keepsDeltas && state.count > 0 { throw .deltasNeeded(count: state.count) }
        }
        clear()
        if rule.keepsDeltas {
            for (i, delta) in state.deltas.enumerated() {
                if slots.count == i { slots.append(FloatBuffer(count: n)) }
                delta.withUnsafeBufferPointer { slots[i].pointer.update(from: $0.baseAddress!, count: n) }
            }
            slotWeights = state.deltaWeights
            slotNodes = state.deltaNodes
        } else if kept {
            for (delta, weight) in zip(state.deltas, state.deltaWeights) {
                delta.withUnsafeBufferPointer {
                    BLAS.axpy(count: n, alpha: Float(weight), $0.baseAddress!, sum.pointer)
                }
            }
        } else if !state.sum.isEmpty {
            state.sum.withUnsafeBufferPointer { sum.buffer.baseAddress!.update(from: $0.baseAddress!, count: n) }
        }
        totalWeight = state.totalWeight
        count = state.count
        nodeCounts = state.nodeCounts
        stalenessSum = state.stalenessSum
        maxStaleness = state.maxStaleness
        clippedCount = state.clippedCount
    }

    /// Empties the buffer (a robust buffer keeps its slots' memory for the next one).
    func clear() {
        sum.zero()
        totalWeight = 0
        count = 0
        nodeCounts = [:]
        stalenessSum = 0
        maxStaleness = 0
        clippedCount = 0
        slotWeights = []
        slotNodes = []
    }
}
