/// The sizes a receiver accepts. Everything is checked before memory proportional to a claimed size is
/// allocated: a message over ``maxMessageBytes`` is refused before it is decrypted.
///
/// Refusals under these limits are ``RejectionReason/oversize``. Senders check the same limits (their
/// own copy) so that they fail early instead of being refused.
public struct WireLimits: Sendable, Hashable {
    /// The most bytes a whole message (all frames together) may have.
    public var maxMessageBytes: Int
    /// The most bytes the safetensors JSON header of a body may have.
    public var maxHeaderBytes: Int
    /// The most UTF-8 bytes all `__metadata__` keys and values of a body may have together.
    public var maxMetadataBytes: Int
    /// The most tensors a body may carry.
    public var maxTensors: Int
    /// The most entries in a heartbeat's `unacked_seqs` list.
    public var maxUnackedSeqs: Int
    /// The most entries in an update's `metrics` object.
    public var maxMetrics: Int

    /// Makes limits; the defaults fit the reference models (the largest, `xray128`, is about 13 MB).
    public init(
        maxMessageBytes: Int = 64 << 20,
        maxHeaderBytes: Int = 1 << 20,
        maxMetadataBytes: Int = 256 << 10,
        maxTensors: Int = 1024,
        maxUnackedSeqs: Int = 64,
        maxMetrics: Int = 64
    ) {
        self.maxMessageBytes = maxMessageBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxMetadataBytes = maxMetadataBytes
        self.maxTensors = maxTensors
        self.maxUnackedSeqs = maxUnackedSeqs
        self.maxMetrics = maxMetrics
    }

    /// The default limits.
    public static let standard = WireLimits()
}
