/// Node → aggregator: "I am alive, this is the model I hold, this is what I am doing, and these updates of
/// mine are not yet acknowledged". Sealed with the node's key; carries no tensors.
///
/// Body fields: `seq` (decimal), `version` (decimal or `none`), `state` (`idle`, `training`, `sending`),
/// `unacked` (decimal), `unacked_seqs` (ascending decimals joined by `,`; empty for none).
public struct HeartbeatMessage: Sendable, Equatable {
    /// What a node is doing.
    public enum State: String, Sendable, CaseIterable {
        /// Waiting for a model or for work.
        case idle
        /// Training locally.
        case training
        /// Sending an update, or holding updates not yet acknowledged.
        case sending
    }

    /// The sending node's id.
    public var node: UInt32
    /// The heartbeat counter; it must grow across restarts, so nodes start it from the wall clock in
    /// milliseconds and add one per heartbeat.
    public var seq: UInt64
    /// The model version the node holds, nil when it holds none yet.
    public var modelVersion: UInt64?
    /// What the node is doing.
    public var state: State
    /// How many of the node's updates are not yet acknowledged.
    public var unackedCount: UInt64
    /// The sequence numbers of the oldest unacknowledged updates, ascending; at most
    /// ``WireLimits/maxUnackedSeqs`` and at most ``unackedCount`` of them.
    public var unackedSeqs: [UInt64]

    /// Makes a heartbeat.
    public init(
        node: UInt32,
        seq: UInt64,
        modelVersion: UInt64?,
        state: State,
        unackedCount: UInt64,
        unackedSeqs: [UInt64]
    ) {
        self.node = node
        self.seq = seq
        self.modelVersion = modelVersion
        self.state = state
        self.unackedCount = unackedCount
        self.unackedSeqs = unackedSeqs
    }
}

extension HeartbeatMessage: MessageBody {
    static var type: MessageType { .heartbeat }
    var senderID: UInt32 { node }

    func fields(limits: WireLimits) throws(WireEncodingError) -> [String: String] {
        guard unackedSeqs.count <= limits.maxUnackedSeqs else {
            throw .exceedsLimit(what: "unacked_seqs count", size: unackedSeqs.count, limit: limits.maxUnackedSeqs)
        }
        guard UInt64(unackedSeqs.count) <= unackedCount else {
            throw .invalidField(name: "unacked_seqs", problem: "it lists more sequence numbers than unacked counts")
        }
        guard zip(unackedSeqs, unackedSeqs.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw .invalidField(name: "unacked_seqs", problem: "the sequence numbers are not strictly ascending")
        }
        return [
            "seq": String(seq),
            "version": MetadataFields.versionText(modelVersion),
            "state": state.rawValue,
            "unacked": String(unackedCount),
            "unacked_seqs": unackedSeqs.map(String.init).joined(separator: ","),
        ]
    }

    init(sender: UInt32, fields: MetadataFields, tensors: WireTensors, limits: WireLimits) throws(RejectionReason) {
        guard tensors.count == 0 else { throw .malformed }
        guard let state = State(rawValue: try fields.text("state")) else { throw .malformed }
        let unackedCount = try fields.uint64("unacked")
        let seqs = try Self.parseSeqs(try fields.text("unacked_seqs"), limit: limits.maxUnackedSeqs)
        guard UInt64(seqs.count) <= unackedCount else { throw .malformed }
        self.init(
            node: sender,
            seq: try fields.uint64("seq"),
            modelVersion: try fields.version("version"),
            state: state,
            unackedCount: unackedCount,
            unackedSeqs: seqs
        )
    }

    /// Reads `1,4,9`: canonical decimals, strictly ascending; oversize past `limit` entries, checked as
    /// the list is read, so a long list costs no memory.
    private static func parseSeqs(_ text: String, limit: Int) throws(RejectionReason) -> [UInt64] {
        guard !text.isEmpty else { return [] }
        var seqs: [UInt64] = []
        var rest = Substring(text)
        while true {
            guard seqs.count < limit else { throw .oversize }
            let end = rest.firstIndex(of: ",") ?? rest.endIndex
            guard let seq = MetadataFields.parseDecimal(String(rest[..<end])) else { throw .malformed }
            guard seqs.last.map({ $0 < seq }) ?? true else { throw .malformed }
            seqs.append(seq)
            guard end < rest.endIndex else { return seqs }
            rest = rest[rest.index(after: end)...]
        }
    }
}
