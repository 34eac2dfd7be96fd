import GrowdaTensor

@testable import GrowdaNN

/// Finite-difference gradient checking for one layer.
///
/// The scalar checked is L = Σ rᵢ·yᵢ for a fixed random r, summed in Double. Central differences
/// (L(θ + ε) − L(θ − ε)) / 2ε are compared with what `backward` gives for the inputs and every
/// parameter tensor; the largest mismatch is returned (and printed by the tests) as max |diff|,
/// relative to max(1, |analytic|).
struct GradientCheck {
    let layer: any Layer
    let batch: Int
    var epsilon: Float = 1e-2
    /// Input values kept at least this far from zero (away from ReLU's kink).
    var inputMargin: Float = 0
    /// The pass differentiated: training, or inference (with drawn running statistics for batch norm).
    var mode: PassMode = .training

    struct Report {
        var maxInputDiff: Double
        var maxParamDiff: Double
        var checked: Int
    }

    func run(seed: UInt64 = 1) -> Report {
        var rng = SeededGenerator(seed: seed)
        let inCount = batch * layer.inputSize, outCount = batch * layer.outputSize
        var x = (0..<inCount).map { _ -> Float in
            let g = rng.gaussian()
            return inputMargin > 0 ? (g < 0 ? -1 : 1) * (inputMargin + abs(g)) : g
        }
        var params = (0..<layer.parameterCount).map { _ in rng.gaussian() * 0.5 }
        var state = [Float](repeating: 0, count: max(layer.stateCount, 1))
        if layer.stateCount > 0 { for i in (layer.stateCount / 2)..<layer.stateCount { state[i] = 1 } }
        let r = (0..<outCount).map { _ in rng.gaussian() }
        if mode == .inference && layer.stateCount > 0 {
            let half = layer.stateCount / 2  // running means, then running variances
            for i in 0..<half { state[i] = 0.5 * rng.gaussian() }
            for i in half..<layer.stateCount { state[i] = 0.5 + rng.nextUnit() }
        }
        let cache = layer.makeCache(maxBatch: batch)

        func loss() -> Double {
            var y = [Float](repeating: 0, count: outCount)
            var passRng = SeededGenerator(seed: 99)  // the same dropout mask every time
            layer.forward(
                x, &y, batch: batch, params: params, state: &state, cache: cache, mode: mode, rng: &passRng)
            return zip(y, r).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }

        // Analytic gradients.
        var y = [Float](repeating: 0, count: outCount)
        var passRng = SeededGenerator(seed: 99)
        layer.forward(x, &y, batch: batch, params: params, state: &state, cache: cache, mode: mode, rng: &passRng)
        var dx = [Float](repeating: 0, count: inCount)
        var grads = [Float](repeating: 0, count: max(layer.parameterCount, 1))
        layer.backward(x, y, r, &dx, batch: batch, params: params, grads: &grads, cache: cache)

        var report = Report(maxInputDiff: 0, maxParamDiff: 0, checked: 0)
        var pick = SeededGenerator(seed: seed &+ 1)
        for _ in 0..<min(inCount, 40) {
            let i = Int(pick.next() % UInt64(inCount))
            let saved = x[i]
            x[i] = saved + epsilon; let lp = loss()
            x[i] = saved - epsilon; let lm = loss()
            x[i] = saved
            let numeric = (lp - lm) / (2 * Double(epsilon))
            report.maxInputDiff = max(report.maxInputDiff, abs(numeric - Double(dx[i])) / max(1, abs(Double(dx[i]))))
            report.checked += 1
        }
        if layer.parameterCount > 0 {
            for _ in 0..<min(layer.parameterCount, 40) {
                let i = Int(pick.next() % UInt64(layer.parameterCount))
                let saved = params[i]
                params[i] = saved + epsilon; let lp = loss()
                params[i] = saved - epsilon; let lm = loss()
                params[i] = saved
                let numeric = (lp - lm) / (2 * Double(epsilon))
                report.maxParamDiff = max(
                    report.maxParamDiff, abs(numeric - Double(grads[i])) / max(1, abs(Double(grads[i]))))
                report.checked += 1
            }
        }
        return report
    }
}
