@testable import GrowdaAggregation

/// Judges an update and, when accepted, folds `delta`; returns the verdict.
@discardableResult
func offer(
    _ strategy: any AggregationStrategy, node: NodeID, base: UInt64, samples: UInt64, delta: [Float]
) -> Verdict {
    let verdict = strategy.verdict(for: UpdateCandidate(node: node, baseVersion: base, sampleCount: samples))
    if let accepted = verdict.acceptance {
        delta.withUnsafeBufferPointer { _ = strategy.fold(delta: $0, accepted: accepted) }
    }
    return verdict
}

/// Takes a step on `weights` at time `now`.
@discardableResult
func step(_ strategy: any AggregationStrategy, _ weights: inout [Float], at now: Double = 0) -> StepSummary {
    weights.withUnsafeMutableBufferPointer { strategy.takeStep(weights: $0, at: now) }
}

/// The largest |a[i] − b[i]|.
func maxDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// The bit patterns, for bit-for-bit comparisons.
func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }
