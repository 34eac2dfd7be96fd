import Foundation

/// One row of the history: a committed global model version and what went into it.
///
/// Encodes (for `growda history --json`) as an object with these keys, all always present:
/// `version`, `created_at` (ISO 8601, UTC, milliseconds), `updates_folded`, `total_weight`,
/// `mean_staleness` (null for no update), `max_staleness` (null for no update), `contributing_nodes`
/// (ascending node ids), `checkpoint` (path relative to the state folder; null once pruned),
/// `eval_accuracy`, `eval_auc`, `eval_loss` (null until evaluated), `train_metrics` (an object: each
/// local metric's plain mean over the folded updates that reported it), `update_bytes` (the folded
/// updates' sizes on the wire, summed: what the hospitals uploaded for this version; 0 when not recorded).
public struct VersionRecord: Sendable, Equatable, Encodable {
    /// The version number.
    public var version: UInt64
    /// When it was committed.
    public var createdAt: Date
    /// How many updates were folded into it.
    public var updatesFolded: Int
    /// The sum of their aggregation weights.
    public var totalWeight: Double
    /// Their mean staleness, nil when none was folded.
    public var meanStaleness: Double?
    /// Their largest staleness, nil when none was folded.
    public var maxStaleness: UInt64?
    /// The nodes that contributed, ascending.
    public var contributingNodes: [UInt32]
    /// Its checkpoint, relative to the state folder; nil once pruned.
    public var checkpoint: String?
    /// The server-side evaluation, nil until one is recorded.
    public var evaluation: Evaluation?
    /// The mean of each local training metric over the folded updates that reported it.
    public var trainMetrics: [String: Double]
    /// The folded updates' sizes on the wire, summed (0 when not recorded).
    public var updateBytes: Int

    /// Makes a history row.
    public init(
        version: UInt64, createdAt: Date, updatesFolded: Int, totalWeight: Double, meanStaleness: Double?,
        maxStaleness: UInt64?, contributingNodes: [UInt32], checkpoint: String?, evaluation: Evaluation?,
        trainMetrics: [String: Double], updateBytes: Int = 0
    ) {
        self.updateBytes = updateBytes
        self.version = version
        self.createdAt = createdAt
        self.updatesFolded = updatesFolded
        self.totalWeight = totalWeight
        self.meanStaleness = meanStaleness
        self.maxStaleness = maxStaleness
        self.contributingNodes = contributingNodes
        self.checkpoint = checkpoint
        self.evaluation = evaluation
        self.trainMetrics = trainMetrics
    }

    /// The stable JSON keys, in the order the CSV uses for its fixed columns.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case version, createdAt = "created_at", updatesFolded = "updates_folded", totalWeight = "total_weight"
        case meanStaleness = "mean_staleness", maxStaleness = "max_staleness"
        case contributingNodes = "contributing_nodes", checkpoint
        case evalAccuracy = "eval_accuracy", evalAUC = "eval_auc", evalLoss = "eval_loss"
        case trainMetrics = "train_metrics"
        case updateBytes = "update_bytes"
    }

    /// Encodes every key, with null for absent values (see the type's summary).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(HistoryExport.timestamp(createdAt), forKey: .createdAt)
        try container.encode(updatesFolded, forKey: .updatesFolded)
        try container.encode(totalWeight, forKey: .totalWeight)
        try container.encodeOrNull(meanStaleness, forKey: .meanStaleness)
        try container.encodeOrNull(maxStaleness, forKey: .maxStaleness)
        try container.encode(contributingNodes, forKey: .contributingNodes)
        try container.encodeOrNull(checkpoint, forKey: .checkpoint)
        try container.encodeOrNull(evaluation?.accuracy, forKey: .evalAccuracy)
        try container.encodeOrNull(evaluation?.auc, forKey: .evalAUC)
        try container.encodeOrNull(evaluation?.loss, forKey: .evalLoss)
        try container.encode(trainMetrics, forKey: .trainMetrics)
        try container.encode(updateBytes, forKey: .updateBytes)
    }
}

extension KeyedEncodingContainer {
    /// Encodes `value`, or an explicit null when it is nil (Swift's default leaves the key out).
    fileprivate mutating func encodeOrNull<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
}
