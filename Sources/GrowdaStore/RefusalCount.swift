import Foundation

/// How many messages were refused for one reason, from one node or from no known node.
public struct RefusalCount: Sendable, Equatable {
    /// The reason's stable name (e.g. `bad_mac`, `stale`).
    public var reason: String
    /// The authenticated node the refusals came from; nil for refusals not attributed to a node.
    public var node: UInt32?
    /// How many, since the state was created.
    public var count: Int
    /// When the last one was counted.
    public var lastAt: Date

    /// Makes a refusal count.
    public init(reason: String, node: UInt32?, count: Int, lastAt: Date) {
        self.reason = reason
        self.node = node
        self.count = count
        self.lastAt = lastAt
    }
}

extension Array where Element == RefusalCount {
    /// The counts summed over nodes, by reason.
    public var totalsByReason: [String: Int] {
        reduce(into: [:]) { totals, entry in totals[entry.reason, default: 0] += entry.count }
    }
}
