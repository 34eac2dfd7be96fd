/// How the aggregator runs its rounds, as it announces them in ``SnapshotReply/mode``.
///
/// On the wire it is the `mode` field's text: `async` or `sync`.
public enum FederationMode: String, Sendable, CaseIterable {
    /// Buffered asynchronous FedAvg (FedBuff): a node trains again at once from the newest model it holds.
    case async
    /// Synchronous FedAvg rounds: a node sends one update per model version, then waits for a newer one.
    case sync
}
