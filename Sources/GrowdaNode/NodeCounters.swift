import Foundation

/// What a node has done, readable from any thread.
public final class NodeCounters: @unchecked Sendable {
    /// A copy of the counters at one moment.
    public struct Snapshot: Sendable, Equatable {
        /// Updates sent for the first time.
        public var sent = 0
        /// Updates sent again after no acknowledgement came in time.
        public var resent = 0
        /// Updates the aggregator acknowledged.
        public var acknowledged = 0
        /// Verified global models received (broadcasts and snapshots).
        public var models = 0
        /// Messages refused (forged, replayed, malformed, wrong model).
        public var refused = 0
        /// Socket receive failures other than "nothing to read" (each logged).
        public var transportErrors = 0
    }

    private let lock = NSLock()
    private var value = Snapshot()

    func add(
        sent: Int = 0, resent: Int = 0, acknowledged: Int = 0, models: Int = 0, refused: Int = 0,
        transportErrors: Int = 0
    ) {
        lock.withLock {
            value.sent += sent
            value.resent += resent
            value.acknowledged += acknowledged
            value.models += models
            value.refused += refused
            value.transportErrors += transportErrors
        }
    }

    /// The counters now.
    public func snapshot() -> Snapshot { lock.withLock { value } }
}

/// A flag one thread sets and another reads.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
