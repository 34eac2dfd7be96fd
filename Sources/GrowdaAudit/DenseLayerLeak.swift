import GrowdaNN
import GrowdaTensor

/// The analytic attack on a model's first dense layer: the inputs of that layer, read off one update.
///
/// For a dense layer y = W·h + b and one sample, ∂L/∂W[i, :] = (∂L/∂b[i]) · h: every row of the weight
/// gradient is the layer's input scaled by that unit's bias gradient. One SGD step moves the parameters by
/// −η times the gradient, so the update's ΔW[i, :] / Δb[i] is h exactly, for any unit i the sample reached
/// (Δb[i] ≠ 0). With B samples, ΔW[i, :] / Δb[i] is a mixture of the samples' inputs weighted by their bias
/// gradients; a unit whose ReLU let only one sample through isolates that sample, and every such unit gives
/// the same h. So the attack groups the rows whose ratios agree (cosine ≥ `agreement`), ranks the groups by
/// how many rows agree (a single sample's input recurs, a mixture seldom does), and fits each group's h by
/// least squares over its rows (h = Σ Δb[i]·ΔW[i, :] / Σ Δb[i]², which averages rounding and noise away).
/// The fit over every row at once is kept too: with noise no rows agree, and it is then the best estimate.
///
/// Before the ratios the update is turned back into a gradient, as an aggregator that knows the node's
/// optimizer can (it sends the global model and the settings): the first step's weight decay −η·λ·θ is
/// added back (exact for SGD's L2 term and AdamW's decoupled one alike), then
/// - SGD (any momentum: the first step has none yet): g = −Δ/η;
/// - Adam: its first step is −η·g / (|g| + ε) (the bias corrections cancel), which hides magnitudes only
///   as far as Float32 rounds: g = ε·u / (1 − |u|) with u = −Δ/η inverts it, exactly where |u| < 1.
/// Only the first step is inverted: an update of several steps mixes them, and the fits degrade.
public struct DenseLayerLeak: Sendable {
    /// The index in `model.layers` of the first dense layer.
    public let layerIndex: Int
    /// Its input features D and units U.
    public let inputFeatures: Int, units: Int
    /// Where its weight (U, D) and bias (U) lie in the flat parameter vector.
    public let weightRange: Range<Int>, biasRange: Range<Int>
    /// The cosine above which two rows' ratios count as the same input.
    public var agreement: Double = 0.995

    /// The attack on `model`'s first dense layer; throws `AuditError.noDenseLayer` if it has none.
    public init(model: Model) throws {
        guard let index = model.layers.firstIndex(where: { $0 is Dense }), let dense = model.layers[index] as? Dense
        else { throw AuditError.noDenseLayer(model: model.spec.name) }
        guard let weight = model.parameterViews.first(where: { $0.name == "layers.\(index).weight" }),
            let bias = model.parameterViews.first(where: { $0.name == "layers.\(index).bias" })
        else { throw AuditError.noDenseLayer(model: model.spec.name) }
        layerIndex = index
        inputFeatures = dense.inputFeatures
        units = dense.units
        weightRange = weight.range
        biasRange = bias.range
    }

    /// One estimate of the dense layer's input h (D values).
    public struct Candidate: Sendable, Equatable {
        /// The estimated input.
        public var features: [Float]
        /// How many rows of the update agree on it (0 for the fit over every row).
        public var rows: Int
    }

    /// The gradient of the dense layer's weight (U·D) and bias (U) that `delta` (trained minus `global`
    /// parameters, the whole flat vector) implies for a first step of `optimizer`.
    public func gradient(delta: [Float], global: Model, optimizer: OptimizerConfig) -> (weight: [Float], bias: [Float])
    {
        (
            Self.gradient(of: weightRange, delta: delta, global: global, optimizer: optimizer),
            Self.gradient(of: biasRange, delta: delta, global: global, optimizer: optimizer)
        )
    }

    /// The gradient of the parameters in `range` that `delta` implies for a first step of `optimizer` (see the
    /// type's notes: the weight decay added back, then SGD's or Adam's step inverted).
    public static func gradient(
        of range: Range<Int>, delta: [Float], global: Model, optimizer: OptimizerConfig
    ) -> [Float] {
        precondition(
            delta.count == global.parameterCount, "the update has \(delta.count) values, not \(global.parameterCount)")
        let lr = Double(optimizer.learningRate)
        let decay: Double
        switch optimizer {
        case .sgd(_, _, let wd), .adam(_, let wd): decay = lr * Double(wd)
        }
        let theta = global.parameters.pointer
        return range.map { p in
            let step = Double(delta[p]) + decay * Double(theta[p])  // the step without its weight decay
            switch optimizer {
            case .sgd: return Float(-step / lr)
            case .adam:
                let u = max(-1 + 1e-7, min(1 - 1e-7, -step / lr))
                return Float(adamEpsilon * u / (1 - abs(u)))
            }
        }
    }

    /// Adam's ε, as `Optimizer` uses it.
    public static let adamEpsilon = 1e-8

    /// Up to `limit` candidate inputs from one update (see the type's notes): the fit over every row first,
    /// then the groups of agreeing rows, most rows first. Rows whose bias gradient is below 10⁻⁴ of the
    /// largest are left out (no sample reached them, or rounding is all they hold).
    public func candidates(delta: [Float], global: Model, optimizer: OptimizerConfig, limit: Int) -> [Candidate] {
        precondition(limit >= 1, "keep at least one candidate")
        let (gw, gb) = gradient(delta: delta, global: global, optimizer: optimizer)
        let d = inputFeatures
        let largest = gb.reduce(0) { max($0, abs(Double($1))) }
        guard largest > 0 else { return [] }
        let live = (0..<units).filter { abs(Double(gb[$0])) > 1e-4 * largest }
            .sorted { abs(gb[$0]) > abs(gb[$1]) }
        var result = [Candidate(features: fit(rows: live, gw, gb), rows: 0)]

        // Group rows by the direction of their ratio ΔW[i, :] / Δb[i].
        let ratios = live.map { i -> [Double] in
            let scale = 1 / Double(gb[i])
            return (0..<d).map { Double(gw[i * d + $0]) * scale }
        }
        let norms = ratios.map { r in r.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        var groups: [[Int]] = []  // indices into `live`
        for (k, r) in ratios.enumerated() where norms[k] > 0 {
            let home = groups.firstIndex { g in
                let lead = g[0]
                var dot = 0.0
                for j in 0..<d { dot += r[j] * ratios[lead][j] }
                return dot / (norms[k] * norms[lead]) >= agreement
            }
            if let home { groups[home].append(k) } else { groups.append([k]) }
        }
        groups.sort { $0.count > $1.count }
        for g in groups.prefix(limit - 1) {
            result.append(Candidate(features: fit(rows: g.map { live[$0] }, gw, gb), rows: g.count))
        }
        return Array(result.prefix(limit))
    }

    /// The least-squares input for rows that share one: h = Σ gb[i]·gw[i, :] / Σ gb[i]².
    private func fit(rows: [Int], _ gw: [Float], _ gb: [Float]) -> [Float] {
        let d = inputFeatures
        var h = [Double](repeating: 0, count: d)
        var norm = 0.0
        for i in rows {
            let b = Double(gb[i])
            norm += b * b
            for j in 0..<d { h[j] += b * Double(gw[i * d + j]) }
        }
        return h.map { norm > 0 ? Float($0 / norm) : 0 }
    }
}

/// What an audit cannot do, with the reason.
public enum AuditError: Error, CustomStringConvertible, Equatable {
    /// The model has no dense layer for the analytic attack.
    case noDenseLayer(model: String)
    /// The images do not match the model's input.
    case shapeMismatch(String)

    /// The message shown to a person.
    public var description: String {
        switch self {
        case .noDenseLayer(let model):
            return "model '\(model)' has no dense layer, so the analytic attack has nothing to read"
        case .shapeMismatch(let message):
            return message
        }
    }
}
