import Foundation

/// What one hospital has spent of its privacy budget: one entry per model update it sent, with the noise that
/// protected it, and the running Rényi DP total over `RDPAccountant.defaultOrders`.
///
/// The guarantee is record-level: adjacent datasets differ by one patient record (added or removed). Each
/// entry's RDP at each order is the smaller of the bounds its mechanisms give (see `Entry.rdp(orders:)`); the
/// ledger's RDP is the sum over entries (composition), kept as a running vector so `epsilon(delta:)` costs
/// O(orders), while the entries stay for audit and are re-summed on load.
///
/// Stored as JSON (`save(to:)`, `load(from:)`) with a `format` field, `PrivacyLedger.format`.
public struct PrivacyLedger: Sendable, Equatable {
    /// The format name written into, and required in, a ledger file.
    public static let format = "growda-privacy-ledger v1"

    /// The Rényi orders the ledger accounts at: always `RDPAccountant.defaultOrders`.
    public var orders: [Double] { RDPAccountant.defaultOrders }

    /// Every update recorded, oldest first.
    public private(set) var entries: [Entry]

    /// The RDP spent so far at each of `orders`: the sum of every entry's RDP, updated by `record(_:)`.
    public private(set) var rdp: [Double]

    /// A ledger with nothing spent.
    public init() {
        entries = []
        rdp = Array(repeating: 0, count: RDPAccountant.defaultOrders.count)
    }

    /// A ledger holding `entries`, their RDP summed in order.
    /// - Throws: `PrivacyAccountingError` if an entry's mechanism parameters are out of range.
    public init(entries: [Entry]) throws {
        self.init()
        var cache = OneStepRDPCache()
        for entry in entries { try append(entry, rdp: entry.rdp(orders: orders, cache: &cache)) }
    }

    /// Records an update that was sent, adding its RDP to the running total. Record it when the update leaves the
    /// node (or before, to be safe): an update sent but not recorded is budget spent and forgotten.
    /// - Throws: `PrivacyAccountingError` if the entry's mechanism parameters are out of range.
    public mutating func record(_ entry: Entry) throws {
        var cache = OneStepRDPCache()
        try append(entry, rdp: entry.rdp(orders: orders, cache: &cache))
    }

    /// The ε spent so far for `delta`; nil when it is unbounded (an update was sent without DP), 0 when nothing
    /// was spent.
    /// - Throws: `PrivacyAccountingError.deltaOutOfRange` if δ is outside (0, 1).
    public func epsilon(delta: Double) throws -> Double? {
        try Self.finite(RDPAccountant.epsilon(rdp: rdp, orders: orders, delta: delta).epsilon)
    }

    /// The ε this ledger would show after also recording `entry`, for `delta`; nil when unbounded. Lets a node
    /// refuse to train and send an update that would take it past its budget, before spending anything.
    /// - Throws: `PrivacyAccountingError` if δ or the entry's parameters are out of range.
    public func epsilonIfAdded(_ entry: Entry, delta: Double) throws -> Double? {
        var cache = OneStepRDPCache()
        let added = try entry.rdp(orders: orders, cache: &cache)
        let total = zip(rdp, added).map { $0 + $1 }
        return try Self.finite(RDPAccountant.epsilon(rdp: total, orders: orders, delta: delta).epsilon)
    }

    /// The RDP at each order summed afresh from `entries`, in O(entries · orders): an audit of the running `rdp`,
    /// which it equals.
    /// - Throws: `PrivacyAccountingError` if an entry's parameters are out of range.
    public func recomputedRDP() throws -> [Double] {
        var total = Array(repeating: 0.0, count: orders.count)
        var cache = OneStepRDPCache()
        for entry in entries {
            let added = try entry.rdp(orders: orders, cache: &cache)
            for index in total.indices { total[index] += added[index] }
        }
        return total
    }

    /// Appends `entry` with its already computed RDP.
    private mutating func append(_ entry: Entry, rdp added: [Double]) {
        entries.append(entry)
        for index in rdp.indices { rdp[index] += added[index] }
    }

    /// `epsilon`, or nil when it is +∞.
    private static func finite(_ epsilon: Double) -> Double? { epsilon.isFinite ? epsilon : nil }
}

extension PrivacyLedger {
    /// One update a hospital sent, and the mechanisms that protected the patient records it was trained on.
    ///
    /// An entry with neither `recordLevel` nor `updateLevel` was sent without differential privacy: its RDP is
    /// +∞ at every order and the ledger's ε is unbounded from then on.
    public struct Entry: Codable, Sendable, Hashable {
        /// The update's sequence number.
        public var seq: UInt64
        /// The model version the update was trained from.
        public var baseVersion: UInt64
        /// When the update was sent, in milliseconds since the Unix epoch.
        public var time: UInt64
        /// The DP-SGD training that made the update, if it was trained with per-record clipping and noise.
        public var recordLevel: RecordLevelNoise?
        /// The Gaussian noise added to the whole clipped update before it was sent, if any.
        public var updateLevel: UpdateLevelNoise?

        /// An entry for update `seq` trained from `baseVersion`, sent at `time` (ms since the epoch).
        public init(
            seq: UInt64, baseVersion: UInt64, time: UInt64, recordLevel: RecordLevelNoise?,
            updateLevel: UpdateLevelNoise?
        ) {
            self.seq = seq
            self.baseVersion = baseVersion
            self.time = time
            self.recordLevel = recordLevel
            self.updateLevel = updateLevel
        }

        /// The record-level RDP of this update at each of `orders`: at each order, the smaller of the bounds its
        /// mechanisms give, +∞ if it has neither.
        ///
        /// Both are valid upper bounds on the same release, so their minimum is one too: the update-level noise
        /// is post-processing of DP-SGD's output, which cannot weaken DP-SGD's guarantee; and the update-level
        /// bound holds for any change of the hospital's data, of which one record added or removed is a
        /// special case.
        /// - Throws: `PrivacyAccountingError` if a parameter is out of range or an order is out of range.
        public func rdp(orders: [Double] = RDPAccountant.defaultOrders) throws -> [Double] {
            var cache = OneStepRDPCache()
            return try rdp(orders: orders, cache: &cache)
        }

        /// `rdp(orders:)`, reusing one-step values already computed for the same (q, σ).
        func rdp(orders: [Double], cache: inout OneStepRDPCache) throws -> [Double] {
            var bound = Array(repeating: Double.infinity, count: orders.count)
            if let recordLevel {
                let oneStep = try cache.rdp(
                    samplingRate: recordLevel.samplingRate, noiseMultiplier: recordLevel.noiseMultiplier,
                    orders: orders)
                let steps = Double(recordLevel.steps)
                for index in bound.indices { bound[index] = recordLevel.steps == 0 ? 0 : steps * oneStep[index] }
            }
            if let updateLevel {
                let gaussian = try cache.rdp(
                    samplingRate: 1, noiseMultiplier: updateLevel.effectiveNoiseMultiplier, orders: orders)
                for index in bound.indices { bound[index] = min(bound[index], gaussian[index]) }
            }
            return bound
        }
    }

    /// Record-level DP-SGD: every step clips each example's gradient and adds Gaussian noise to their sum, on a
    /// batch where each record is included with probability `samplingRate` (Poisson sampling).
    public struct RecordLevelNoise: Codable, Sendable, Hashable {
        /// The probability q ∈ (0, 1] that a record is in one step's batch.
        public let samplingRate: Double
        /// The noise standard deviation divided by the per-example clip norm, σ ≥ 0.
        public let noiseMultiplier: Double
        /// How many noisy steps training took, ≥ 0.
        public let steps: Int

        /// DP-SGD with sampling rate q, noise multiplier σ and `steps` steps.
        /// - Throws: `PrivacyAccountingError` if q is outside (0, 1], σ is negative or not finite, or steps < 0.
        public init(samplingRate: Double, noiseMultiplier: Double, steps: Int) throws {
            try RDPAccountant.check(samplingRate: samplingRate, noiseMultiplier: noiseMultiplier)
            guard steps >= 0 else { throw PrivacyAccountingError.negativeSteps(steps) }
            self.samplingRate = samplingRate
            self.noiseMultiplier = noiseMultiplier
            self.steps = steps
        }

        /// Decodes the three fields and checks them as `init(samplingRate:noiseMultiplier:steps:)` does.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            do {
                try self.init(
                    samplingRate: container.decode(Double.self, forKey: .samplingRate),
                    noiseMultiplier: container.decode(Double.self, forKey: .noiseMultiplier),
                    steps: container.decode(Int.self, forKey: .steps))
            } catch let error as PrivacyAccountingError {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: error.description))
            }
        }
    }

    /// Update-level noise: Gaussian noise of standard deviation z · C added once to the whole update after it
    /// was clipped to L2 norm C.
    ///
    /// It is accounted as a Gaussian mechanism with noise multiplier z / 2, not z: whatever happens to the
    /// hospital's data, the clipped update stays in the ball of radius C, so replacing the data (any number of
    /// records) can move it from one side of the ball to the other, a distance of up to 2C. The sensitivity is
    /// 2C, and noise z · C is (z / 2) times it.
    public struct UpdateLevelNoise: Codable, Sendable, Hashable {
        /// z: the noise standard deviation divided by the update clip norm C, ≥ 0.
        public let noiseMultiplier: Double

        /// The noise multiplier the accountant uses, z / 2 (the sensitivity of a clipped update is 2C).
        public var effectiveNoiseMultiplier: Double { noiseMultiplier / 2 }

        /// Update-level noise of z times the clip norm.
        /// - Throws: `PrivacyAccountingError.invalidNoiseMultiplier` if z is negative or not finite.
        public init(noiseMultiplier: Double) throws {
            try RDPAccountant.check(samplingRate: 1, noiseMultiplier: noiseMultiplier)
            self.noiseMultiplier = noiseMultiplier
        }

        /// Decodes z and checks it as `init(noiseMultiplier:)` does.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            do {
                try self.init(noiseMultiplier: container.decode(Double.self, forKey: .noiseMultiplier))
            } catch let error as PrivacyAccountingError {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: error.description))
            }
        }
    }
}

/// One-step RDP vectors by (q, σ), so a ledger of many entries with the same settings computes each once.
struct OneStepRDPCache {
    /// The key: one mechanism's parameters.
    private struct Key: Hashable {
        var samplingRate: Double
        var noiseMultiplier: Double
    }

    /// The vectors computed so far (all for the same orders).
    private var vectors: [Key: [Double]] = [:]

    /// The RDP of one step with sampling rate q and noise multiplier σ at each of `orders`.
    mutating func rdp(samplingRate: Double, noiseMultiplier: Double, orders: [Double]) throws -> [Double] {
        let key = Key(samplingRate: samplingRate, noiseMultiplier: noiseMultiplier)
        if let known = vectors[key] { return known }
        let computed = try RDPAccountant.subsampledGaussianRDP(
            samplingRate: samplingRate, noiseMultiplier: noiseMultiplier, steps: 1, orders: orders)
        vectors[key] = computed
        return computed
    }
}
