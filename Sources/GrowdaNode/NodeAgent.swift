import Dispatch
import Foundation
import GrowdaCrypto
import GrowdaData
import GrowdaFederation
import GrowdaNN
import GrowdaProvisioning
import GrowdaTensor
import GrowdaTransport
import GrowdaWire
import Logging

/// The long-lived agent a hospital runs beside its image folder.
///
/// It owns its three sockets on one thread (ZeroMQ sockets are not thread-safe): PUSH for updates and
/// heartbeats, SUB for model broadcasts, DEALER for snapshot requests (the latest model, and how far
/// the aggregator has acknowledged this node's updates). Its cycle:
/// 1. hold a verified global model (from its state folder, a broadcast, or a snapshot);
/// 2. train on the local data from that version for the configured epochs, answering the network
///    between steps (heartbeats, broadcasts: a newer model is kept for the next round);
/// 3. seal the delta as update `seq`, write it to the outbox, and send it once the aggregator gives leave
///    (admission: the next snapshot request asks with `want_send`, the reply's `send_ok` grants it; an
///    aggregator that sends no `send_ok` takes updates without asking);
/// 4. until the aggregator acknowledges `seq` (snapshot replies carry its settled sequence number),
///    ask every `pollInterval` and resend it with backoff; only then train again. So every update
///    counts exactly once, across restarts, network cuts and aggregator crashes.
///
/// Resends back off (`ResendSchedule`): the first comes `resendAfter` after the send, each next one
/// twice as long after the previous, up to `resendMaximum` (8 × `resendAfter` by default), every wait
/// ±20% at random so that many nodes cut off together do not resend in lockstep. The wait returns to
/// `resendAfter` for a new update and when acknowledgements progress. On a slow link an update can
/// take longer than `resendAfter` to drain; backing off lets it arrive instead of queueing copies.
///
/// The decisions live in two socket-free parts, each unit-tested alone: `Outbox` (what is kept until
/// acknowledged, what is due and allowed, backoff) and `TrainingRound` (one round of local training, which
/// produces the true sample count or nothing). The agent owns the sockets, the held model and the timers.
public final class NodeAgent: @unchecked Sendable {
    /// The configuration it runs with.
    public let configuration: NodeConfiguration
    /// The node's identity, keys and endpoints.
    public let bundle: NodeBundle
    /// The node's keys; the model key is replaced when the federation rotates it.
    private var keyring: NodeKeyring
    private let stateFolder: NodeStateFolder
    private var logger: Logger
    private let limits: WireLimits
    private let stopRequested = LockedFlag()
    private let counters = NodeCounters()

    // Conversation state (owned by the agent's thread).
    private var global: Model?
    private var version: UInt64?
    private var pendingModel: ModelMessage?
    private var training = false
    /// Sealed updates until acknowledged (what the state folder kept from the last run, at first).
    private var outbox: Outbox
    /// How the federation runs its rounds, as the aggregator's last reply said (nil: it does not say).
    private var announcedMode: FederationMode?
    /// How updates are compressed, as the aggregator last announced (kept in node.json across restarts).
    private var codec: UpdateCodec
    /// The size of the last update's sealed frames, and of all this run's updates together.
    private var lastUpdateBytes = 0, updateBytes = 0
    private var openRequest: (id: UInt64, sent: UInt64)?
    /// Requests sent and not yet answered (the newest few): a slow aggregator's late answer still counts.
    private var outstandingRequests: [UInt64] = []
    private var lastTrainedBase: UInt64?
    /// The figures of the last local round (status.json's `last_training`).
    private var lastTraining: [String: Double]?
    private var nextRequestID = UInt64.random(in: 1...(UInt64.max / 2))  // random start, as the protocol asks
    private var lastHeartbeat: UInt64 = 0
    private var heartbeatSeq = UInt64(Date().timeIntervalSince1970 * 1000)
    private var data: (spec: ModelSpec, train: Dataset, validation: Dataset?)?
    private var sockets: (push: ZMQSocket, sub: ZMQSocket, dealer: ZMQSocket, poller: ZMQPoller)?
    private var rejections = RejectionCounter()
    /// Set when the aggregator said this node was revoked; the loop throws it.
    private var revocation: NodeError?
    /// Whether the aggregator answers, and the level last reported.
    private var contact: AggregatorContact
    private var reportedContact = AggregatorContact.Level.ok
    private var lastStatusWrite: UInt64 = 0
    /// The best version the aggregator last named (`best_version` of its replies), nil when it keeps none.
    private var bestNamed: UInt64?
    /// Whether the aggregator's last reply said it has stopped making versions.
    private var federationStopped = false
    /// Whether "the aggregator keeps no best version" was logged (once).
    private var warnedNoBest = false
    /// The privacy policy of the held version and the ledger of what this node has spent.
    private var privacy: NodePrivacy

    /// Checks the configuration (bundle, data, state folder) and prepares an agent; nothing is sent yet.
    public static func build(_ configuration: NodeConfiguration, logger: Logger) throws -> NodeAgent {
        let bundle: NodeBundle
        do {
            bundle = try NodeBundle.read(path: configuration.bundlePath)
        } catch {
            throw NodeError.bundle(path: configuration.bundlePath, reason: "\(error)")
        }
        try checkData(configuration.dataPath)
        let state = try NodeStateFolder(path: configuration.statePath)
        if state.counters.revoked == true { throw NodeError.revoked(node: bundle.nodeID, name: bundle.nodeName) }
        let rotatedModelKey: SecretBoxKey?
        do {
            rotatedModelKey = try state.loadModelKey()
        } catch {
            throw NodeError.state(path: state.path, reason: "its model.key cannot be read: \(error)")
        }
        let outbox: Outbox
        do {
            outbox = try Outbox(storage: state, schedule: configuration.resendSchedule)
        } catch {
            throw NodeError.state(path: state.path, reason: "its outbox cannot be read: \(error)")
        }
        return NodeAgent(
            configuration: configuration, bundle: bundle, state: state, outbox: outbox,
            modelKey: rotatedModelKey ?? bundle.modelKey, privacy: try NodePrivacy(stateFolder: state.path),
            logger: logger)
    }

    private init(
        configuration: NodeConfiguration, bundle: NodeBundle, state: NodeStateFolder, outbox: Outbox,
        modelKey: SecretBoxKey, privacy: NodePrivacy, logger: Logger
    ) {
        self.privacy = privacy
        self.configuration = configuration
        self.bundle = bundle
        self.stateFolder = state
        self.outbox = outbox
        keyring = NodeKeyring(
            node: bundle.nodeID, nodeKey: bundle.nodeKey, modelKey: modelKey, verifyKey: bundle.aggregatorVerifyKey)
        var logger = logger
        logger[metadataKey: "node.id"] = "\(bundle.nodeID)"
        logger[metadataKey: "node.name"] = "\(bundle.nodeName)"
        self.logger = logger
        var limits = WireLimits.standard
        limits.maxMessageBytes = configuration.maxMessageBytes
        self.limits = limits
        contact = AggregatorContact(
            warningAfter: configuration.noAnswerWarning.seconds, errorAfter: configuration.noAnswerError.seconds)
        codec = state.counters.codec.flatMap(UpdateCodec.init) ?? .none
    }

    /// What the agent has done so far (safe to read from any thread).
    public var statistics: NodeCounters.Snapshot { counters.snapshot() }

    /// Asks the agent to stop: the step in hand ends, unsent work stays in the outbox, `run` returns.
    public func stop() { stopRequested.set() }

    private var stopping: Bool { stopRequested.isSet }

    // MARK: The loop

    /// Runs until `stop()` (or `maxUpdates` acknowledged updates). Blocks the calling thread.
    public func run() throws {
        let context = try transport { try ZMQContext() }
        defer { context.shutdown() }
        var socketConfig = SocketConfiguration()
        socketConfig.maxMessageSize = configuration.maxMessageBytes
        socketConfig.linger = .milliseconds(500)
        socketConfig.sendHighWaterMark = 4
        let push = try transport { try ZMQSocket(.push, context: context, configuration: socketConfig) }
        let sub = try transport { try ZMQSocket(.sub, context: context, configuration: socketConfig) }
        let dealer = try transport { try ZMQSocket(.dealer, context: context, configuration: socketConfig) }
        defer { push.close(); sub.close(); dealer.close() }
        try transport {
            try push.connect(bundle.endpoints.updates)
            try sub.subscribe()
            try sub.connect(bundle.endpoints.models)
            try dealer.connect(bundle.endpoints.snapshots)
        }
        let poller = ZMQPoller()
        _ = poller.add(sub)
        _ = poller.add(dealer)
        sockets = (push, sub, dealer, poller)
        defer { sockets = nil }

        try restoreState()
        logger.info(
            "node started",
            metadata: [
                "model.version": "\(version.map(String.init) ?? "none")", "outbox": "\(outbox.count)",
                "endpoint": "\(bundle.endpoints.snapshots)",
            ])
        while !stopping {
            try pump(timeout: .zero)
            if let revokedAt = revocation { throw revokedAt }
            if global == nil {
                requestSnapshotIfDue()
                try pump(timeout: .milliseconds(200))
                continue
            }
            if !outbox.isEmpty {
                try awaitAcknowledgement()
                continue
            }
            if let max = configuration.maxUpdates, counters.snapshot().acknowledged >= max { break }
            if let pending = pendingModel { pendingModel = nil; adopt(pending) }
            if federationStopped {
                // No more versions: keep the final model, train no more, ask now and then whether they resume.
                requestSnapshotIfDue()
                try pump(timeout: .milliseconds(200))
                continue
            }
            if privacy.refusal != nil, !privacyAdmits() {
                // The privacy budget is spent: keep the model, train no more (a new version may bring a new policy).
                requestSnapshotIfDue()
                try pump(timeout: .milliseconds(200))
                continue
            }
            if waitsForNewModel, let last = lastTrainedBase, let v = version, v <= last {
                // Synchronous rounds: this version has had our update; wait for the next one.
                requestSnapshotIfDue()
                try pump(timeout: .milliseconds(100))
                continue
            }
            try trainAndSend()
        }
        sendHeartbeat(state: .idle)
        writeStatus(now: DispatchTime.now().uptimeNanoseconds)  // what it did last, for growda-node status
        logger.info("node stopped", metadata: ["outbox": "\(outbox.count)"])
    }

    /// Loads the kept model.
    private func restoreState() throws {
        do {
            if let model = try stateFolder.loadModel(), let v = stateFolder.counters.model_version {
                global = model
                version = v
                privacy.policy = try stateFolder.loadPrivacyPolicy()
            }
        } catch {
            throw NodeError.state(path: stateFolder.path, reason: "\(error)")
        }
    }

    // MARK: Training

    private func trainAndSend() throws {
        guard let global, let base = version else { return }
        let (train, validation) = try localData(for: global.spec)
        if let problem = privacy.policy?.problem(for: global) {
            throw NodeError.privacy(problem)
        }
        guard privacyAdmits(count: train.count) else {
            // Refused (or the accountant failed, which is logged): wait, rather than ask again at once.
            requestSnapshotIfDue()
            try pump(timeout: .milliseconds(200))
            return
        }
        let round = TrainingRound(
            configuration: configuration, global: global, baseVersion: base, train: train, validation: validation,
            privacy: privacy.policy)
        training = true
        defer { training = false }
        sendHeartbeat(state: .training)
        // The network is answered between steps. If that fails, the round ends with the failure (which
        // stops the node as any transport failure does); stopped, it is dropped. Nothing is sent for either.
        let result = try round.run(
            interrupt: { [unowned self] in
                try self.pump(timeout: .zero)
                return self.stopping
            },
            step: { [unowned self] seconds in self.stretch(seconds) })
        guard let result else { return }
        let seq = stateFolder.counters.next_seq
        var metrics = result.metrics
        // A hospital that has ever trained under a policy counts every update it sends, so one sent after the
        // policy was dropped makes its ε unbounded, as it is, instead of leaving a finite figure standing.
        if privacy.policy != nil || !privacy.ledger.entries.isEmpty {
            let policy = privacy.policy
            // Counted before the update can leave: a crash from here on over-counts, never forgets.
            let entry = try privacy.plannedEntry(
                seq: seq, baseVersion: base, count: train.count, batchSize: configuration.batchSize,
                localEpochs: configuration.localEpochs,
                steps: policy?.dpSGD == nil ? nil : result.privateSteps)
            do {
                try privacy.record(entry)
            } catch {
                throw NodeError.ledger(
                    path: privacy.path, reason: "cannot be saved (\(error)); the update was not sent: free disk space")
            }
            if let epsilon = privacy.epsilon { metrics["privacy_epsilon"] = epsilon }
            if let norm = result.normBeforeClip { metrics["update_norm_before_clip"] = norm }
        }
        let (update, residual) = try compressed(
            UpdateMessage(
                node: bundle.nodeID, seq: seq, baseVersion: base, sampleCount: UInt64(result.sampleCount),
                metrics: metrics, delta: result.delta))
        let frames = try WireEncoder.encode(update, nodeKey: bundle.nodeKey, limits: limits)
        // The residual is written before node.json moves past seq, and only then does it come into force.
        if let residual { try stateFolder.saveResidual(residual, seq: seq) }
        try outbox.add(seq: seq, frames: frames)
        var c = stateFolder.counters
        c.next_seq = seq + 1
        try stateFolder.save(c)
        stateFolder.pruneResiduals(keeping: residual == nil ? nil : seq)
        lastUpdateBytes = frames.reduce(0) { $0 + $1.count }
        updateBytes += lastUpdateBytes
        lastTrainedBase = base
        lastTraining = result.metrics.merging(["base_version": Double(base), "samples": Double(result.sampleCount)]) { a, _ in a }
        if outbox.maySend(seq) {
            send(seq: seq)
        } else {
            openRequest = nil  // ask for leave now rather than at the next poll
            requestSnapshotIfDue()
        }
        logger.info(
            "update sent",
            metadata: [
                "update.seq": "\(seq)", "model.version": "\(base)", "samples": "\(result.sampleCount)",
                "train.loss": "\(String(format: "%.4f", result.stats.loss))",
                "val.accuracy": "\(result.metrics["val_accuracy"].map { String(format: "%.4f", $0) } ?? "n/a")",
            ])
    }

    /// `update` compressed with the announced codec (as it is with none), and for top-k the residual it
    /// leaves: the previous update's residual (`next_seq − 1`'s, the one in force) is added first, whatever
    /// the codec now, so a switch away from top-k loses nothing.
    private func compressed(_ update: UpdateMessage) throws -> (UpdateMessage, WireTensors?) {
        var update = update
        var residual = stateFolder.loadResidual(seq: update.seq - 1)
        if !codec.keepsResidual, residual != nil {
            // The federation moved away from top-k: what the last top-k update left goes with this one.
            update.delta = try UpdateCompressor.carrying(residual, into: update.delta)
            residual = nil
        }
        guard codec != .none else { return (update, nil) }
        var random = SeededGenerator(seed: configuration.seed &+ update.seq &* 0x9E37_79B9)
        let coded = try UpdateCompressor.encode(update.delta, codec: codec, residual: &residual, random: &random)
        let message = UpdateMessage(
            node: update.node, seq: update.seq, baseVersion: update.baseVersion, sampleCount: update.sampleCount,
            metrics: update.metrics, coded: coded)
        return (message, codec.keepsResidual ? residual : nil)
    }

    /// Whether the privacy budget lets the next round (over `count` samples, or the held data's) be trained;
    /// a refusal is logged once and shown in the status.
    private func privacyAdmits(count: Int? = nil) -> Bool {
        guard let base = version, let n = count ?? data?.train.count else { return true }
        do {
            let entry = try privacy.plannedEntry(
                seq: stateFolder.counters.next_seq, baseVersion: base, count: n, batchSize: configuration.batchSize,
                localEpochs: configuration.localEpochs)
            let (allowed, changed) = try privacy.admit(entry)
            if changed {
                if let refusal = privacy.refusal {
                    logger.error("training refused", metadata: ["reason": "\(refusal)"])
                } else {
                    logger.notice("privacy budget allows training again", metadata: ["model.version": "\(base)"])
                }
                writeStatus(now: DispatchTime.now().uptimeNanoseconds)
            }
            return allowed
        } catch {
            logger.error("privacy accounting failed", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Sleeps so that a step that took `stepSeconds` appears `slowdown` times slower (stragglers).
    private func stretch(_ stepSeconds: Double) {
        guard configuration.slowdown > 1, stepSeconds > 0 else { return }
        var remaining = stepSeconds * (configuration.slowdown - 1)
        while remaining > 0 && !stopping {
            let nap = min(remaining, 0.05)
            Thread.sleep(forTimeInterval: nap)
            remaining -= nap
            _ = try? pump(timeout: .zero)
        }
    }

    /// The local data at the model's input size, split into training and validation (cached per spec).
    private func localData(for spec: ModelSpec) throws -> (Dataset, Dataset?) {
        if let data, data.spec.inputShape == spec.inputShape, data.spec.classes == spec.classes {
            return (data.train, data.validation)
        }
        let path = configuration.dataPath
        let all: Dataset
        do {
            if path.hasSuffix(".csv") {
                guard spec.inputShape.count == 2 else {
                    throw NodeError.mismatch("the model takes images, \(path) holds signals")
                }
                all = try Dataset.loadCSV(
                    path, sampleLength: spec.inputShape[1], channels: spec.inputShape[0], classNames: spec.classes)
            } else {
                guard spec.inputShape.count == 3 else {
                    throw NodeError.mismatch("the model takes signals, \(path) holds images")
                }
                let (loaded, report) = try Dataset.loadFolder(
                    path, height: spec.inputShape[1], width: spec.inputShape[2], classNames: spec.classes,
                    skipUnreadable: true)
                if report.skippedCount > 0 {
                    logger.warning(
                        "unreadable images skipped", metadata: ["count": "\(report.skippedCount)", "path": "\(path)"])
                }
                all = loaded
            }
        } catch let error as NodeError {
            throw error
        } catch {
            throw NodeError.mismatch("\(error)")
        }
        var validation: Dataset? = nil
        var train = all
        let groupCount = all.groups.map { Set($0).count }
        if configuration.validationFraction > 0, all.count >= 20, groupCount.map({ $0 >= 2 }) ?? true {
            // Records (patients) stay whole: a record is on one side, never both.
            let (t, v) = try TrainValidationSplit.split(
                labels: all.labels, groups: all.groups, validationFraction: configuration.validationFraction,
                seed: configuration.seed)
            train = all.subset(t)
            validation = v.isEmpty ? nil : all.subset(v)
        } else if configuration.validationFraction > 0, groupCount == 1 {
            logger.notice(
                "one record here: training on all of it and validating on nothing (a record is never split)",
                metadata: ["path": "\(path)", "record": "\(all.groups![0])"])
        }
        data = (spec, train, validation)
        logger.info(
            "local data loaded",
            metadata: [
                "train": "\(train.count)", "validation": "\(validation?.count ?? 0)",
                "records": "\(groupCount.map(String.init) ?? "none")",
            ])
        return (train, validation)
    }

    /// Refuses at start a data path that is missing, empty or holds nothing readable.
    private static func checkData(_ path: String) throws {
        do {
            if path.hasSuffix(".csv") {
                _ = try Dataset.loadCSV(path)
            } else {
                _ = try Dataset.loadFolder(path, height: 8, width: 8, skipUnreadable: true)
            }
        } catch {
            throw NodeError.data(path: path, reason: "\(error)")
        }
    }

    // MARK: Acknowledgements

    private func awaitAcknowledgement() throws {
        requestSnapshotIfDue()
        for seq in outbox.due(now: DispatchTime.now().uptimeNanoseconds) { send(seq: seq) }
        try pump(timeout: .milliseconds(100))
    }

    /// Sends an outbox entry and sets its next resend time. A send that fails (aggregator unreachable,
    /// queue full) counts as a try all the same: the entry stays in the outbox and the wait still grows.
    private func send(seq: UInt64) {
        guard let frames = outbox[seq]?.frames, let sockets else { return }
        var delivered = false
        do {
            try sockets.push.send(frames, dontWait: true)
            delivered = true
        } catch {
            logger.debug("update queued for later", metadata: ["update.seq": "\(seq)", "reason": "\(error)"])
        }
        let now = DispatchTime.now().uptimeNanoseconds
        let (again, nextDue) = outbox.sent(seq, at: now)
        if !again {
            if delivered { counters.add(sent: 1) }
        } else {
            counters.add(resent: 1)
            logger.info(
                "update resent",
                metadata: [
                    "update.seq": "\(seq)", "resend.count": "\(outbox[seq]?.timer.resends ?? 0)",
                    "resend.next_seconds": "\(String(format: "%.1f", Double((nextDue ?? now) - now) / 1e9))",
                ])
        }
    }

    private func requestSnapshotIfDue() {
        let now = DispatchTime.now().uptimeNanoseconds
        if let open = openRequest, now - open.sent < UInt64(configuration.pollInterval.seconds * 1e9) { return }
        guard let sockets else { return }
        let request = SnapshotRequest(
            node: bundle.nodeID, requestID: nextRequestID, haveVersion: version, wantSend: outbox.oldest,
            want: wantsBest ? .best : .latest)
        nextRequestID += 1
        do {
            try sockets.dealer.send(
                try WireEncoder.encode(request, nodeKey: bundle.nodeKey, limits: limits), dontWait: true)
        } catch {
            logger.debug("snapshot request not sent", metadata: ["reason": "\(error)"])
        }
        openRequest = (request.requestID, now)
        contact.asked(at: Self.seconds(now))
        outstandingRequests.append(request.requestID)
        if outstandingRequests.count > 32 { outstandingRequests.removeFirst(outstandingRequests.count - 32) }
    }

    // MARK: Receiving

    /// Handles whatever has arrived (waiting up to `timeout`), and sends a heartbeat when one is due.
    private func pump(timeout: Duration) throws {
        guard let sockets else { return }
        let ready = try transport { try sockets.poller.poll(timeout: timeout) }
        if ready[0].contains(.readable) { drain(sockets.sub) }
        if ready[1].contains(.readable) { drain(sockets.dealer) }
        let now = DispatchTime.now().uptimeNanoseconds
        if now - lastHeartbeat >= UInt64(configuration.heartbeatInterval.seconds * 1e9) {
            sendHeartbeat(state: training ? .training : (outbox.isEmpty ? .idle : .sending))
        }
        checkContact(now: now)
    }

    // MARK: Contact with the aggregator

    private static func seconds(_ uptimeNanoseconds: UInt64) -> Double { Double(uptimeNanoseconds) / 1e9 }

    /// Says so, in the log and status.json, when the aggregator stops answering (or answers again), and
    /// rewrites status.json every `statusInterval`.
    private func checkContact(now: UInt64) {
        let level = contact.level(at: Self.seconds(now))
        let changed = level != reportedContact
        if changed {
            let message = contactMessage(now: now)
            var metadata: Logger.Metadata = [
                "seconds_without_answer": "\(Int(contact.silence(at: Self.seconds(now))))",
                "requests_unanswered": "\(contact.unanswered)", "outbox": "\(outbox.count)",
            ]
            switch level {
            case .ok:
                logger.notice("the aggregator answers again", metadata: metadata)
            case .warning:
                metadata["check"] = "\(message ?? "")"
                logger.warning("no answer from the aggregator", metadata: metadata)
            case .error:
                metadata["check"] = "\(message ?? "")"
                logger.error("no answer from the aggregator: no update can be acknowledged", metadata: metadata)
            }
            reportedContact = level
        }
        if changed || now - lastStatusWrite >= UInt64(configuration.statusInterval.seconds * 1e9) {
            lastStatusWrite = now
            writeStatus(now: now)
        }
    }

    /// What to check when the aggregator does not answer (nil while it does).
    private func contactMessage(now: UInt64) -> String? {
        let silent = contact.silence(at: Self.seconds(now))
        guard contact.level(at: Self.seconds(now)) != .ok else { return nil }
        let endpoint = bundle.endpoints.snapshots
        return "no answer from the aggregator at \(endpoint) for \(Int(silent)) s (\(contact.unanswered) requests), "
            + "so no update can be acknowledged (\(outbox.count) waiting). Check that growda serve runs and that "
            + "this host reaches \(endpoint). If it does, this bundle's key is not the one the federation holds "
            + "for \(bundle.nodeName) (node \(bundle.nodeID)): the aggregator refuses every message as bad_mac "
            + "and growda status shows this node as refused. Ask the admin for this node's current bundle."
    }

    private func writeStatus(now: UInt64) {
        let c = counters.snapshot()
        let status = NodeStatus(
            node_id: bundle.nodeID, node_name: bundle.nodeName, written_at: Date().timeIntervalSince1970,
            model_version: version, outbox: outbox.count, sent: c.sent, resent: c.resent,
            acknowledged: c.acknowledged, refused: c.refused, contact: contact.level(at: Self.seconds(now)),
            seconds_without_answer: contact.silence(at: Self.seconds(now)),
            message: revocation.map { "\($0)" } ?? contactMessage(now: now), revoked: revocation != nil,
            last_training: lastTraining, privacy: privacy.status, codec: codec.description,
            last_update_bytes: lastUpdateBytes == 0 ? nil : lastUpdateBytes, update_bytes: updateBytes)
        do {
            try stateFolder.writeStatus(status)
        } catch {
            logger.warning("status.json not written", metadata: ["path": "\(stateFolder.statusPath)", "error": "\(error)"])
        }
    }

    /// Handles every message waiting on `socket`. Only "nothing to read" ends it quietly: another receive
    /// failure is counted and logged, and the next poll tries again.
    private func drain(_ socket: ZMQSocket) {
        while true {
            let frames: [Frame]
            do {
                guard let received = try socket.tryReceive() else { return }
                frames = received
            } catch {
                counters.add(transportErrors: 1)
                let count = counters.snapshot().transportErrors
                if count == 1 || count % 100 == 0 {  // visible, without a line per failed poll
                    logger.error("receive failed", metadata: ["error": "\(error)", "transport.errors": "\(count)"])
                }
                return
            }
            switch rejections.record(WireDecoder.open(frames.map(\.bytes), keys: keyring, limits: limits)) {
            case .success(.model(let model)):
                receive(model: model)
            case .success(.snapshotReply(let reply)):
                receive(reply: reply)
            case .success(let other):
                logger.warning("unexpected message ignored", metadata: ["type": "\(other)"])
            case .failure(let reason):
                counters.add(refused: 1)
                logger.warning("message refused", metadata: ["reject.reason": "\(reason.rawValue)"])
                // A model broadcast this node cannot open: most likely the federation rotated its model key
                // (a node was revoked). The next snapshot reply brings the new key and the model.
                if socket === sockets?.sub, reason == .badMAC {
                    openRequest = nil
                    requestSnapshotIfDue()
                }
            }
        }
    }

    private func receive(model message: ModelMessage) {
        let validator = ModelValidator(heldVersion: version, layout: global?.modelLayout)
        switch rejections.record(validator.validate(message)) {
        case .success:
            counters.add(models: 1)
            if training {
                if (pendingModel?.version ?? 0) < message.version { pendingModel = message }
            } else {
                adopt(message)
            }
        case .failure(.stale):
            break  // an old or repeated broadcast: nothing to do
        case .failure(let reason):
            counters.add(refused: 1)
            logger.warning(
                "model refused",
                metadata: ["reject.reason": "\(reason.rawValue)", "model.version": "\(message.version)"])
        }
    }

    private func receive(reply: SnapshotReply) {
        // An answer to a question we asked (the newest or one of the few before it); anything else is ignored.
        guard let index = outstandingRequests.firstIndex(of: reply.requestID) else { return }
        outstandingRequests.remove(at: index)
        if openRequest?.id == reply.requestID { openRequest = nil }
        contact.answered(at: Self.seconds(DispatchTime.now().uptimeNanoseconds))
        if reply.revoked {
            revoked()
            return
        }
        if let box = reply.modelKey { takeModelKey(box) }
        if let granted = reply.sendOK { outbox.grant(through: granted) }
        if let mode = reply.mode { announcedMode = mode }
        if let announced = reply.codec, announced != codec { adopt(codec: announced) }
        for seq in outbox.acknowledge(through: reply.ackedSeq).retired {
            counters.add(acknowledged: 1)
            logger.info("update acknowledged", metadata: ["update.seq": "\(seq)"])
        }
        noteStopped(reply.stopped)
        bestNamed = reply.bestVersion
        if reply.best {
            if let model = reply.model { keepForDiagnosis(model) }
        } else {
            if let model = reply.model { receive(model: model) }
            if configuration.diagnoseWith == .best, reply.bestVersion == nil, !warnedNoBest {
                warnedNoBest = true
                logger.warning(
                    "the aggregator keeps no best version (it needs an evaluation set and eval.keep_best = true); diagnose with the latest, model.safetensors",
                    metadata: ["path": "\(stateFolder.modelPath)"])
            }
            if wantsBest {
                openRequest = nil  // the best changed: fetch it now rather than at the next poll
                requestSnapshotIfDue()
            }
        }
    }

    /// With `--diagnose-with best`: whether the aggregator names a best version this node does not hold.
    private var wantsBest: Bool {
        guard configuration.diagnoseWith == .best, let bestNamed else { return false }
        return stateFolder.counters.diagnose_version != bestNamed
    }

    /// Keeps a verified best version as `diagnose.safetensors` (never trained from).
    private func keepForDiagnosis(_ message: ModelMessage) {
        let validator = ModelValidator(heldVersion: nil, layout: global?.modelLayout)
        switch rejections.record(validator.validate(message)) {
        case .success:
            do {
                try stateFolder.saveDiagnoseModel(try Model(message: message), version: message.version)
                logger.notice(
                    "best version kept to diagnose with",
                    metadata: ["model.version": "\(message.version)", "path": "\(stateFolder.diagnosePath)"])
            } catch {
                counters.add(refused: 1)
                logger.error(
                    "best version not kept", metadata: ["model.version": "\(message.version)", "error": "\(error)"])
            }
        case .failure(let reason):
            counters.add(refused: 1)
            logger.warning(
                "best version refused",
                metadata: ["reject.reason": "\(reason.rawValue)", "model.version": "\(message.version)"])
        }
    }

    /// Logs when the aggregator stops (or resumes) making versions.
    private func noteStopped(_ stopped: Bool) {
        guard stopped != federationStopped else { return }
        federationStopped = stopped
        if stopped {
            logger.notice(
                "the federation has stopped making versions: training stops, the final model is kept",
                metadata: [
                    "model.version": "\(version.map(String.init) ?? "none")", "path": "\(stateFolder.modelPath)",
                ])
        } else {
            logger.notice("the federation makes versions again: training resumes")
        }
    }

    /// The federation's current model key, from a verified reply: kept when it differs from the one held.
    private func takeModelKey(_ box: SecretBox.SealedBox) {
        do {
            let key = try SecretBoxKey(unwrapping: box, with: bundle.nodeKey)
            guard key != keyring.modelKey else { return }
            try stateFolder.saveModelKey(key)
            keyring.modelKey = key
            logger.notice(
                "model key rotated by the federation: later models are opened with the new key",
                metadata: ["key.fingerprint": "\(key.fingerprint)", "path": "\(stateFolder.modelKeyPath)"])
        } catch {
            counters.add(refused: 1)
            logger.error("the federation's new model key could not be taken", metadata: ["error": "\(error)"])
        }
    }

    /// The aggregator said this node was revoked: remembered in the state folder (the node refuses to start
    /// again), logged, and the loop stops with ``NodeError/revoked(node:name:)``.
    /// Takes the codec the aggregator announced, for the next update on (kept in node.json).
    private func adopt(codec announced: UpdateCodec) {
        logger.notice("update codec changed", metadata: ["codec.from": "\(codec)", "codec.to": "\(announced)"])
        codec = announced
        var c = stateFolder.counters
        c.codec = announced.description
        do {
            try stateFolder.save(c)
        } catch {
            logger.warning("node.json not written", metadata: ["path": "\(stateFolder.path)", "error": "\(error)"])
        }
    }

    private func revoked() {
        let error = NodeError.revoked(node: bundle.nodeID, name: bundle.nodeName)
        logger.critical("revoked by the federation's admin; stopping", metadata: ["reason": "\(error)"])
        var c = stateFolder.counters
        c.revoked = true
        do { try stateFolder.save(c) } catch {
            logger.error("the revocation could not be noted in the state folder", metadata: ["error": "\(error)"])
        }
        revocation = error
        writeStatus(now: DispatchTime.now().uptimeNanoseconds)
    }

    /// Takes a verified model as the one to train from next, and keeps it in the state folder.
    private func adopt(_ message: ModelMessage) {
        guard (version ?? 0) < message.version || version == nil else { return }
        do {
            let model = try Model(message: message)
            let policy = try message.privacy.map(PrivacyPolicy.init(wireText:))
            try stateFolder.saveModel(model, version: message.version, privacy: message.privacy)
            global = model
            version = message.version
            if policy != privacy.policy {
                logger.notice(
                    "privacy policy", metadata: ["policy": "\(message.privacy ?? "none")", "model.version": "\(message.version)"])
            }
            privacy.policy = policy
            logger.info("model adopted", metadata: ["model.version": "\(message.version)"])
        } catch {
            counters.add(refused: 1)
            logger.error("model not usable", metadata: ["model.version": "\(message.version)", "error": "\(error)"])
        }
    }

    private func sendHeartbeat(state: HeartbeatMessage.State) {
        guard let sockets else { return }
        lastHeartbeat = DispatchTime.now().uptimeNanoseconds
        heartbeatSeq += 1
        let unacked = outbox.sequenceNumbers
        let heartbeat = HeartbeatMessage(
            node: bundle.nodeID, seq: heartbeatSeq, modelVersion: version, state: state,
            unackedCount: UInt64(unacked.count), unackedSeqs: Array(unacked.prefix(limits.maxUnackedSeqs)))
        do {
            try sockets.push.send(
                try WireEncoder.encode(heartbeat, nodeKey: bundle.nodeKey, limits: limits), dontWait: true)
        } catch {
            logger.debug("heartbeat not sent", metadata: ["reason": "\(error)"])
        }
    }

    /// Synchronous rounds: one update per model version. The aggregator announces its mode in snapshot
    /// replies; `--wait-for-new-model` decides only with an aggregator that does not.
    private var waitsForNewModel: Bool {
        if let announcedMode { return announcedMode == .sync }
        return configuration.waitForNewModel
    }

    private func transport<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw NodeError.transport("\(error)")
        }
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
