/// An update that passed validation, with what aggregation needs to weigh it.
public struct ValidatedUpdate: Sendable, Equatable {
    /// The update.
    public let update: UpdateMessage
    /// Its delta as F32 tensors: the update's own, or a compressed update's decoded.
    public let delta: WireTensors
    /// Its staleness s = t − base version (0 when trained from the current model).
    public let staleness: UInt64
    /// The L2 norm of its delta over the parameter tensors (state tensors are not counted).
    public let norm: Double
}

/// Checks a decoded update against the federation's current view. Pure: no I/O, no state; the caller
/// supplies the node's settled sequence number and records the outcome.
///
/// The checks run in this order, and the first that fails is the reason:
/// 1. ``RejectionReason/replay``: `seq` ≤ the highest sequence number settled from this node;
/// 2. ``RejectionReason/stopped``: the federation has stopped making versions (``stopped``);
/// 3. ``RejectionReason/stale``: base version newer than t, or t − base version > s_max;
/// 4. ``RejectionReason/wrongTensors``: names or shapes differ from the layout (dtype is F32 by then), or
///    for a compressed update its names differ; ``RejectionReason/badEncoding``: a compressed tensor's
///    bytes do not follow its encoding (``UpdateDecompressor``, which decodes it);
/// 5. ``RejectionReason/nonFinite``: a NaN or infinity anywhere;
/// 6. ``RejectionReason/normTooLarge``: the L2 norm over the parameter tensors (all but ``stateTensors``)
///    above the bound.
/// Checks 5 and 6 share one pass over the floats, read in place.
public struct UpdateValidator: Sendable {
    /// The tensors every update must carry.
    public var layout: TensorLayout
    /// The current global model version t.
    public var currentVersion: UInt64
    /// The largest staleness accepted, s_max.
    public var maxStaleness: UInt64
    /// The largest L2 norm accepted (`.infinity` for no bound).
    public var maxNorm: Double
    /// The layout's state tensors (running statistics' deltas): checked for names, shapes and finite
    /// values like the rest, but left out of the norm, which bounds the parameter delta only.
    public var stateTensors: Set<String>
    /// Whether the federation has stopped making versions (a stop rule fired): then every update not
    /// already settled is refused as ``RejectionReason/stopped``.
    public var stopped: Bool

    /// Makes a validator.
    public init(
        layout: TensorLayout, currentVersion: UInt64, maxStaleness: UInt64, maxNorm: Double, stopped: Bool = false,
        stateTensors: Set<String> = []
    ) {
        self.stopped = stopped
        self.stateTensors = stateTensors
        self.layout = layout
        self.currentVersion = currentVersion
        self.maxStaleness = maxStaleness
        self.maxNorm = maxNorm
    }

    /// Validates `update`, whose node's highest settled sequence number is `settledSeq` (0 for none).
    public func validate(_ update: UpdateMessage, settledSeq: UInt64) -> Result<ValidatedUpdate, RejectionReason> {
        guard update.seq > settledSeq else { return .failure(.replay) }
        guard !stopped else { return .failure(.stopped) }
        guard update.baseVersion <= currentVersion else { return .failure(.stale) }
        let staleness = currentVersion - update.baseVersion
        guard staleness <= maxStaleness else { return .failure(.stale) }
        let delta: WireTensors
        if let coded = update.coded {
            do {
                delta = try UpdateDecompressor.decode(coded, layout: layout)
            } catch {
                return .failure(error)
            }
        } else {
            guard layout.matches(update.delta) else { return .failure(.wrongTensors) }
            delta = update.delta
        }
        let (parameters, state) = TensorScan.sumsOfSquares(delta, apart: stateTensors)
        guard parameters.isFinite, state.isFinite else { return .failure(.nonFinite) }
        let norm = parameters.squareRoot()
        guard norm <= maxNorm else { return .failure(.normTooLarge) }
        return .success(ValidatedUpdate(update: update, delta: delta, staleness: staleness, norm: norm))
    }
}
