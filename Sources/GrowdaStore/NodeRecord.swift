import Foundation

/// What the state knows of one node: its acknowledgement watermark, liveness and counters.
public struct NodeRecord: Sendable, Equatable {
    /// The node id given at provisioning.
    public var id: UInt32
    /// The name given at provisioning, nil when the node was never registered by name.
    public var name: String?
    /// The highest sequence number settled for this node (accepted, or refused for good); 0 for none.
    /// The node takes it as the acknowledgement of every update up to it.
    public var settledSeq: UInt64
    /// When the store first heard of the node.
    public var firstSeenAt: Date
    /// Its last heartbeat, nil before the first.
    public var lastHeartbeatAt: Date?
    /// The state its last heartbeat reported (`idle`, `training`, `sending`, …).
    public var reportedState: String?
    /// The model version its last heartbeat said it holds.
    public var versionHeld: UInt64?
    /// How many of its updates were accepted.
    public var acceptedCount: Int
    /// How many of its messages were refused (all reasons).
    public var refusedCount: Int
    /// When its last update was accepted.
    public var lastUpdateAt: Date?
    /// The local metrics of its last accepted update.
    public var lastMetrics: [String: Double]

    /// Makes a node record.
    public init(
        id: UInt32, name: String?, settledSeq: UInt64, firstSeenAt: Date, lastHeartbeatAt: Date?,
        reportedState: String?, versionHeld: UInt64?, acceptedCount: Int, refusedCount: Int, lastUpdateAt: Date?,
        lastMetrics: [String: Double]
    ) {
        self.id = id
        self.name = name
        self.settledSeq = settledSeq
        self.firstSeenAt = firstSeenAt
        self.lastHeartbeatAt = lastHeartbeatAt
        self.reportedState = reportedState
        self.versionHeld = versionHeld
        self.acceptedCount = acceptedCount
        self.refusedCount = refusedCount
        self.lastUpdateAt = lastUpdateAt
        self.lastMetrics = lastMetrics
    }
}

/// A node's liveness report, as the store records it.
public struct Heartbeat: Sendable, Equatable {
    /// The node id.
    public var node: UInt32
    /// When the heartbeat arrived.
    public var at: Date
    /// What the node says it is doing (`idle`, `training`, `sending`).
    public var state: String
    /// The model version the node holds, nil for none.
    public var versionHeld: UInt64?

    /// Makes a heartbeat record.
    public init(node: UInt32, at: Date, state: String, versionHeld: UInt64?) {
        self.node = node
        self.at = at
        self.state = state
        self.versionHeld = versionHeld
    }
}
