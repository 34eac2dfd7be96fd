import Foundation
import GrowdaAggregation
import GrowdaNN
import GrowdaProvisioning
import GrowdaSafetensors
import GrowdaStore
import GrowdaTensor
import GrowdaWire
import Logging

/// The aggregator's federation state and every decision it makes, with no sockets, threads or disk.
///
/// It takes messages that are already opened (authenticated, decrypted, parsed) and the time, and answers
/// with ``Action``s for the shell to carry out: replies and broadcasts to send (the shell seals and sends
/// them), writes to commit (the shell hands them to the committer, in order) and versions to evaluate (the
/// shell hands them to the evaluation worker). So everything that decides admission, replay, staleness,
/// revocation, acknowledgement order and steps is unit-tested by calling it, without tcp.
///
/// It is owned by one thread at a time (the aggregator's processing thread); nothing in it is shared.
/// Time is given to each call (`now`, seconds on a monotonic clock), so tests drive it.
///
/// Acknowledgement rule: an update is folded at once but acknowledged only after the write that holds it
/// has finished (``acknowledge(_:)`` with what the committer reports), so a crash loses nothing a node
/// was told was kept.
final class FederationProcessor {
    /// What the processor asks the shell to do, in the order it was decided.
    enum Action {
        /// Broadcast this model on PUB.
        case broadcast(ModelMessage)
        /// Send this reply to the snapshot ROUTER's `peer`.
        case reply(SnapshotReply, peer: [UInt8])
        /// Send this status reply to the status ROUTER's `peer`.
        case statusReply(StatusReply, peer: [UInt8])
        /// Write this, after every earlier write; once written, these node → seq acknowledgements are true.
        case commit(StoreWrite, acks: [UInt32: UInt64])
        /// Score this version's weights on the evaluation set (off the processing thread).
        case evaluate(EvaluationJob)
    }

    /// Per node: updates accepted and refused, and the local metrics of its last accepted update; since the
    /// aggregator started, its suspect updates (clipped by the norm bound, outliers of a robust rule) and
    /// those held back by `fedbuff.max_share`.
    struct Tally: Equatable {
        var accepted = 0
        var refused = 0
        var metrics: [String: Double] = [:]
        var clipped = 0
        var outliers = 0
        var overShare = 0
        /// Update messages opened from the node, and their bytes on the wire.
        var updatesReceived = 0, updateBytes = 0
    }

    /// Messages whose clear header named a registered node but that failed before they could be
    /// authenticated as it (a wrong or revoked key, a forgery, a damaged message): counted against the id
    /// they claimed, apart from the node's own refusals, since anyone can write any id into a header.
    struct Claims: Equatable {
        /// Since the aggregator started, by reason.
        var byReason: [RejectionReason: Int] = [:]
        /// When each of the last minute's arrived.
        var recent: [Double] = []
    }

    /// What the processor knows of a node from its heartbeats, updates and requests.
    struct Liveness {
        var lastHeard: Double
        var state: NodeState
        var versionHeld: UInt64?
        var unacked: UInt64
    }

    let configuration: AggregatorConfiguration
    let strategy: any AggregationStrategy
    /// The global model (its parameters are w; version t = strategy.version).
    let model: Model
    let logger: Logger
    /// Whether new versions are evaluated (the aggregator has an evaluation set).
    let evaluates: Bool
    /// R = Σ a·Δs beside the strategy's buffer, for a model with running statistics (nil without state):
    /// at each step the global state moves to the weighted mean of the hospitals' statistics.
    let stateAverage: StateAverage?
    private let scratch: FloatBuffer
    private let stateScratch: FloatBuffer
    private let validatorLayout: TensorLayout
    private let stateTensors: Set<String>

    /// The node registry (names, revocations), as the shell last read it.
    private(set) var registry: NodeRegistry
    /// Ids whose keys were revoked.
    private(set) var revoked: Set<UInt32>
    /// Each node's settled seq, counting writes not yet finished (for replay checks).
    private(set) var settled: [UInt32: UInt64]
    /// Each node's durably settled seq: what replies acknowledge.
    private(set) var acknowledged: [UInt32: UInt64]
    /// Leave to send updates.
    var admission: Admission
    /// Snapshot requests asking leave to send that found no room, oldest first (one per node).
    var waitingForLeave: [(request: SnapshotRequest, peer: [UInt8], since: Double)] = []
    /// Accepted (and folded) updates and refusals not yet handed over for a group commit.
    var batch = UpdateBatch()
    /// Heartbeats heard since the last flush (written in one batch per tick).
    private var heartbeatBatch: [UInt32: GrowdaStore.Heartbeat] = [:]
    /// The last heartbeat seq heard from each node (heartbeats must grow).
    private var heartbeatSeqs: [UInt32: UInt64] = [:]
    private(set) var liveness: [UInt32: Liveness] = [:]
    var tallies: [UInt32: Tally]
    /// Whose refusals of which reason a "message refused" log line stands for.
    private struct RefusalLogKey: Hashable {
        var reason: RejectionReason
        var node: UInt32?
        var claimed: UInt32?
    }
    /// When a refusal was last logged for each reason and sender, and how many since went unlogged.
    private var refusalLog: [RefusalLogKey: (last: Double, suppressed: Int)] = [:]
    /// Refusals attributed to the sender their clear header claimed, for registered nodes.
    private(set) var claims: [UInt32: Claims] = [:]
    var cachedModelMessage: (version: UInt64, message: ModelMessage)?
    /// Decided, not yet taken by the shell.
    var actions: [Action] = []

    let rejections = RejectionCounter()
    var lastVersionAt: Double
    var versionTimes: [Double] = []
    var stalenessWindow: [Int] = []
    var receivedTimes: [Double] = []
    var acceptedTimes: [Double] = []
    var refusedTimes: [Double] = []
    /// The evaluation of the last committed versions, oldest first (at most `AggregatorStatus.evalHistoryLimit`).
    var evalHistory: [AggregatorStatus.EvalPoint]
    /// The newest version evaluated (what `versions_since_best` and `stop.plateau` count to).
    var lastEvaluated: UInt64?
    /// The best version by the evaluation metric and its model (with `eval.keep_best` and evaluation; nil
    /// until a version is ranked).
    var best: Best?
    /// A model to build the best version's message and checkpoint in (made at the first best).
    var bestScratch: Model?
    /// Whether the missing-AUC warning was logged (once per run).
    var warnedNoMetric = false
    /// Why the federation stopped making versions (a stop rule fired); nil while it makes them.
    var stopped: String?
    private(set) var received = 0, accepted = 0, bytesReceived = 0
    /// Updates made to wait since start because their node had its share of the buffer (`fedbuff.max_share`).
    var overShareHeld = 0
    /// The last update of each node counted in ``overShareHeld`` (so it counts once).
    var heldForShare: [UInt32: UInt64] = [:]
    /// Socket receive and poll failures other than "nothing to read", counted by the shell and receiver.
    var transportErrors = 0

    /// A processor continuing from recovered state: the strategy at its version with its buffer restored
    /// (and beside it, for a model with state, `stateAverage`, restored too), the settled seqs, per-node
    /// tallies and evaluations the store holds.
    init(
        configuration: AggregatorConfiguration, model: Model, strategy: any AggregationStrategy,
        stateAverage: StateAverage? = nil,
        registry: NodeRegistry, settled: [UInt32: UInt64] = [:], tallies: [UInt32: Tally] = [:],
        evalHistory: [AggregatorStatus.EvalPoint] = [], evaluates: Bool = false, best: Best? = nil,
        logger: Logger, now: Double = 0
    ) {
        self.best = best
        self.lastEvaluated = evalHistory.map(\.version).max()
        self.configuration = configuration
        self.model = model
        self.strategy = strategy
        self.registry = registry
        self.revoked = Set(registry.nodes.filter { !$0.isActive }.map(\.id))
        self.settled = settled
        self.acknowledged = settled
        self.tallies = tallies
        self.evalHistory = Array(evalHistory.suffix(AggregatorStatus.evalHistoryLimit))
        self.evaluates = evaluates
        self.logger = logger
        self.lastVersionAt = now
        precondition(
            stateAverage.map { $0.count == model.state.count } ?? true,
            "the state average has \(stateAverage?.count ?? 0) values, the model's state \(model.state.count)")
        self.stateAverage = model.state.count > 0 ? stateAverage ?? StateAverage(stateCount: model.state.count) : nil
        scratch = FloatBuffer(count: model.parameterCount)
        stateScratch = FloatBuffer(count: model.state.count)
        validatorLayout = model.updateLayout
        stateTensors = model.stateTensorNames
        admission = Admission(
            budgetBytes: configuration.admissionBytes, budgetCount: configuration.queueCapacity,
            updateBytes: (model.parameterCount + model.state.count) * 4 + 64 << 10)
        checkStopRules()  // a rule that fired before a restart holds again
        warnIfShareCapCannotFill()
    }

    /// The actions decided since the last call, in order.
    func takeActions() -> [Action] {
        defer { actions = [] }
        return actions
    }

    /// The current global version.
    var version: UInt64 { strategy.version }

    // MARK: Registry

    /// Takes a newly read registry: revocations apply to the next message.
    func registryChanged(_ registry: NodeRegistry) {
        self.registry = registry
        revoked = Set(registry.nodes.filter { !$0.isActive }.map(\.id))
        warnIfShareCapCannotFill()
    }

    // MARK: Updates and heartbeats (PULL)

    /// Acts on one message from PULL, as the receiver opened it (`bytes`: its size on the wire). Every
    /// refusal is counted by reason.
    /// A message that failed to open is counted against the sender its clear header claims (`claimedBy`),
    /// so a node whose every message fails (a wrong key in its bundle, a revoked node still sending) shows
    /// in its own row.
    func handle(_ opened: Result<Message, RejectionReason>, bytes: Int, claimedBy: UInt32? = nil, now: Double) {
        received += 1
        bytesReceived += bytes
        receivedTimes.append(now)
        var result = opened
        var claimed = claimedBy
        if case .success(let message) = result, let node = message.nodeSender, revoked.contains(node) {
            result = .failure(.revokedSender)  // revoked after the receiver opened it
            claimed = node
        }
        switch result {
        case .failure(let reason):
            refuse(reason, node: nil, claimedBy: claimed, settling: nil, now: now)
        case .success(.update(let update)):
            tallies[update.node, default: Tally()].updatesReceived += 1
            tallies[update.node, default: Tally()].updateBytes += bytes
            handle(update: update, bytes: bytes, now: now)
        case .success(.heartbeat(let heartbeat)):
            handle(heartbeat: heartbeat, now: now)
        case .success:
            refuse(.malformed, node: nil, settling: nil, now: now)
        }
    }

    /// A heartbeat counts only when its seq grows (a node starts it from the wall clock and adds one per
    /// heartbeat): an old or repeated one is refused as `replay` and changes nothing, so a delayed
    /// heartbeat never overwrites newer state.
    private func handle(heartbeat: HeartbeatMessage, now: Double) {
        if let last = heartbeatSeqs[heartbeat.node], heartbeat.seq <= last {
            refuse(.replay, node: heartbeat.node, settling: nil, now: now)
            return
        }
        heartbeatSeqs[heartbeat.node] = heartbeat.seq
        let state = NodeState(heartbeat.state)
        heard(heartbeat.node, state: state, version: heartbeat.modelVersion, unacked: heartbeat.unackedCount, now: now)
        heartbeatBatch[heartbeat.node] = GrowdaStore.Heartbeat(
            node: heartbeat.node, at: Date(), state: heartbeat.state.rawValue, versionHeld: heartbeat.modelVersion)
    }

    private func handle(update: UpdateMessage, bytes: Int, now: Double) {
        heard(update.node, state: .alive, version: nil, unacked: nil, now: now)
        admission.handled(node: update.node, seq: update.seq)
        let validator = UpdateValidator(
            layout: validatorLayout, currentVersion: strategy.version,
            maxStaleness: UInt64(max(0, configuration.aggregation.maxStaleness)), maxNorm: configuration.maxUpdateNorm,
            stopped: stopped != nil, stateTensors: stateTensors)
        let checked: ValidatedUpdate
        switch validator.validate(update, settledSeq: settled[update.node] ?? 0) {
        case .failure(.replay):
            refuse(.replay, node: update.node, settling: nil, now: now)  // the node learns from its next ack
            return
        case .failure(let reason):
            refuse(reason, node: update.node, settling: update.seq, now: now)
            return
        case .success(let v):
            checked = v
        }
        let verdict = strategy.verdict(
            for: UpdateCandidate(node: update.node, baseVersion: update.baseVersion, sampleCount: update.sampleCount))
        guard case .accept(let acceptance) = verdict else {
            if case .overShare(let held, let limit) = verdict.refusal {
                holdOverShare(update, held: held, limit: limit)  // not settled: the node resends it later
                return
            }
            let reason: RejectionReason = verdict.refusal == .noSamples ? .malformed : .stale
            refuse(reason, node: update.node, settling: update.seq, now: now)
            return
        }
        model.flatten(checked.delta, into: scratch.buffer)
        let record = AcceptedUpdate(
            node: update.node, seq: update.seq, baseVersion: update.baseVersion, staleness: checked.staleness,
            weight: acceptance.weight, sampleCount: update.sampleCount,
            metrics: update.metrics.filter { $0.value.isFinite }, norm: checked.norm, bytes: bytes)
        // Folded now, counted once committed: it is acknowledged only after the write that holds it.
        let folded = strategy.fold(delta: UnsafeBufferPointer(scratch.buffer), accepted: acceptance)
        if folded.scale < 1 { tallies[update.node, default: Tally()].clipped += 1 }
        if let stateAverage {  // the running statistics' deltas, with the same weight a
            model.flattenState(checked.delta, into: stateScratch.buffer)
            stateAverage.fold(delta: UnsafeBufferPointer(stateScratch.buffer), weight: acceptance.weight)
        }
        batch.accepted.append(record)
        settled[update.node] = update.seq
        tallies[update.node, default: Tally()].accepted += 1
        tallies[update.node, default: Tally()].metrics = record.metrics
        accepted += 1
        acceptedTimes.append(now)
        stalenessWindow.append(acceptance.staleness)
        if stalenessWindow.count > 1000 { stalenessWindow.removeFirst(stalenessWindow.count - 1000) }
        logger.debug(
            "update accepted",
            metadata: [
                "node.id": "\(update.node)", "update.seq": "\(update.seq)",
                "update.staleness": "\(acceptance.staleness)", "buffer": "\(strategy.pending.count)",
            ])
        stepIfReady(now: now)
    }

    /// Counts a refusal; when `settling`, the node's settled sequence number moves past this update so
    /// it is acknowledged and not sent again (a resend could not fix it).
    /// A refusal of a message that could not be authenticated names no `node`; `claimedBy`, the id its
    /// clear header gave, is counted in ``claims`` when it is a registered node.
    func refuse(_ reason: RejectionReason, node: UInt32?, claimedBy: UInt32? = nil, settling seq: UInt64?, now: Double)
    {
        rejections.record(reason)
        refusedTimes.append(now)
        if let node { tallies[node, default: Tally()].refused += 1 }
        // A claim counts only for a registered id (so forged ids grow neither table below).
        let claimed = node == nil ? claimedBy.flatMap { registry.node(id: $0) != nil ? $0 : nil } : nil
        if let claimedBy = claimed {
            var entry = claims[claimedBy] ?? Claims()
            entry.byReason[reason, default: 0] += 1
            entry.recent.removeAll { $0 < now - Self.claimWindow }
            entry.recent.append(now)
            claims[claimedBy] = entry
        }
        if let node, let seq { settled[node] = max(settled[node] ?? 0, seq) }
        batch.refusals.append(RefusedMessage(reason: reason.rawValue, node: node, settling: seq))
        // One line per reason and sender, then at most one per 10 s with how many it stands for: a node
        // with a wrong key sends many messages a minute, and each would otherwise be a line.
        let key = RefusalLogKey(reason: reason, node: node, claimed: claimed)
        var entry = refusalLog[key] ?? (last: -.infinity, suppressed: 0)
        guard now - entry.last >= Self.refusalLogInterval else {
            entry.suppressed += 1
            refusalLog[key] = entry
            return
        }
        logger.notice(
            "message refused",
            metadata: [
                "reject.reason": "\(reason.rawValue)", "node.id": "\(node.map(String.init) ?? "?")",
                "claimed.by": "\(node == nil ? claimedBy.map(String.init) ?? "-" : "-")",
                "update.seq": "\(seq.map(String.init) ?? "-")",
                "refused.unlogged": "\(entry.suppressed)",
            ])
        refusalLog[key] = (now, 0)
    }

    /// The least time between two "message refused" lines for one reason and sender.
    static let refusalLogInterval = 10.0

    func heard(_ node: UInt32, state: NodeState?, version: UInt64?, unacked: UInt64?, now: Double) {
        var entry = liveness[node] ?? Liveness(lastHeard: now, state: .alive, versionHeld: nil, unacked: 0)
        entry.lastHeard = now
        if let state { entry.state = state }
        if let version { entry.versionHeld = version }
        if let unacked { entry.unacked = unacked }
        liveness[node] = entry
    }

    /// Nodes heard from within the liveness window.
    func aliveNodes(now: Double) -> Set<UInt32> {
        let cutoff = now - configuration.lostAfter.secondsValue
        return Set(liveness.filter { $0.value.lastHeard >= cutoff }.keys)
    }

    // MARK: Group commit and acknowledgements

    /// Hands the batch over for one group commit (call it when the committer is idle, so batches grow
    /// with the load): its accepted updates and refusals, and the buffer they leave (S copied now, and R
    /// for a model with state).
    func flushBatch() {
        guard !batch.isEmpty else { return }
        var acks = Self.settledSeqs(of: batch.accepted)
        for refusal in batch.refusals {
            if let node = refusal.node, let seq = refusal.settling { acks[node] = max(acks[node] ?? 0, seq) }
        }
        let buffer = batch.accepted.isEmpty ? nil : strategy.exportBuffer()
        let stateSum = buffer == nil ? nil : stateAverage?.values
        actions.append(
            .commit(.batch(batch, buffer: buffer, stateSum: stateSum, version: strategy.version), acks: acks))
        batch = UpdateBatch()
    }

    /// Hands over the heartbeats heard since the last call, in one write (liveness only).
    func flushHeartbeats() {
        guard !heartbeatBatch.isEmpty else { return }
        actions.append(.commit(.heartbeats(Array(heartbeatBatch.values)), acks: [:]))
        heartbeatBatch = [:]
    }

    /// Raises the acknowledged seqs to those of finished writes (never lowers one).
    func acknowledge(_ acks: [UInt32: UInt64]) {
        for (node, seq) in acks { acknowledged[node] = max(acknowledged[node] ?? 0, seq) }
    }

    /// Each node's highest seq among `updates`.
    static func settledSeqs(of updates: [AcceptedUpdate]) -> [UInt32: UInt64] {
        var seqs: [UInt32: UInt64] = [:]
        for update in updates { seqs[update.node] = max(seqs[update.node] ?? 0, update.seq) }
        return seqs
    }

    /// The periodic work (about four times a second): heartbeats to the store, a step when one is due
    /// (synchronous rounds close on a deadline or a quorum of the alive nodes).
    func tick(now: Double) {
        flushHeartbeats()
        stepIfReady(now: now)
    }

    /// Before stopping: everything folded or refused is handed over for writing.
    func finish() {
        flushBatch()
        flushHeartbeats()
    }
}

extension Message {
    /// The node that sent an update or heartbeat (nil for other messages).
    var nodeSender: UInt32? {
        switch self {
        case .update(let update): update.node
        case .heartbeat(let heartbeat): heartbeat.node
        default: nil
        }
    }
}
