import Dispatch
import Foundation
import GrowdaAggregation
import GrowdaFederation
import GrowdaNN
import GrowdaSafetensors
import GrowdaStore
import GrowdaTensor
import GrowdaTransport
import GrowdaWire

extension Aggregator {
    // MARK: Updates and heartbeats (from the queue)

    /// Checks and acts on one message from PULL (opened by the receiver); every refusal is counted by reason.
    func handle(_ message: Received) throws {
        received += 1
        bytesReceived += message.bytes
        receivedTimes.append(now)
        var result = message.opened
        if case .failure(.unknownSender) = result, let frames = message.frames, now - lastRegistryReload > 1 {
            // A node added since start: read the registry again (at most once a second) and retry.
            reloadRegistry()
            result = WireDecoder.open(frames, keys: keyring, limits: limits)
        }
        if case .success(let opened) = result, let node = opened.nodeSender, keyring.revoked.contains(node) {
            result = .failure(.revokedSender)  // revoked after the receiver opened it
        }
        switch result {
        case .failure(let reason):
            refuse(reason, node: nil, settling: nil)
        case .success(.update(let update)):
            try handle(update: update)
        case .success(.heartbeat(let heartbeat)):
            heard(
                heartbeat.node, state: heartbeat.state.rawValue, version: heartbeat.modelVersion,
                unacked: heartbeat.unackedCount)
            heartbeatBatch[heartbeat.node] = GrowdaStore.Heartbeat(
                node: heartbeat.node, at: Date(), state: heartbeat.state.rawValue, versionHeld: heartbeat.modelVersion)
        case .success:
            refuse(.malformed, node: nil, settling: nil)
        }
    }

    /// Re-reads the node registry when its file changed (a node added or revoked while running).
    func reloadRegistryIfChanged() {
        let modified =
            (try? FileManager.default.attributesOfItem(atPath: federation.registryPath))?[.modificationDate] as? Date
        guard modified != registryModified else { return }
        registryModified = modified
        reloadRegistry()
    }

    func reloadRegistry() {
        lastRegistryReload = now
        do {
            try federation.reloadRegistry()
            keyring = try Aggregator.keyring(of: federation)
            receiverKeyring.value = keyring
            for node in federation.registry.nodes { try store.registerNode(node.id, name: node.name) }
            logger.info("node registry reloaded", metadata: ["nodes": "\(keyring.nodeKeys.count)"])
        } catch {
            logger.error("node registry not reloaded", metadata: ["error": "\(error)"])
        }
    }

    private func handle(update: UpdateMessage) throws {
        heard(update.node, state: "sending", version: nil, unacked: nil)
        admission.handled(node: update.node, seq: update.seq)
        let settledSeq = settled[update.node] ?? 0
        let validator = UpdateValidator(
            layout: validatorLayout, currentVersion: strategy.version,
            maxStaleness: UInt64(max(0, configuration.aggregation.maxStaleness)), maxNorm: configuration.maxUpdateNorm)
        let checked: ValidatedUpdate
        switch validator.validate(update, settledSeq: settledSeq) {
        case .failure(.replay):
            refuse(.replay, node: update.node, settling: nil)  // already settled: the node learns so from its next ack
            return
        case .failure(let reason):
            refuse(reason, node: update.node, settling: update.seq)
            return
        case .success(let v):
            checked = v
        }
        let verdict = strategy.verdict(
            for: UpdateCandidate(node: update.node, baseVersion: update.baseVersion, sampleCount: update.sampleCount))
        guard case .accept(let acceptance) = verdict else {
            let reason: RejectionReason = verdict.refusal == .noSamples ? .malformed : .stale
            refuse(reason, node: update.node, settling: update.seq)
            return
        }
        model.flatten(update.delta, into: scratch.buffer)
        let record = AcceptedUpdate(
            node: update.node, seq: update.seq, baseVersion: update.baseVersion, staleness: checked.staleness,
            weight: acceptance.weight, sampleCount: update.sampleCount,
            metrics: update.metrics.filter { $0.value.isFinite }, norm: checked.norm)
        // Folded now, counted once committed: it is acknowledged only after the batch's group commit.
        strategy.fold(delta: UnsafeBufferPointer(scratch.buffer), accepted: acceptance)
        batch.accepted.append(record)
        settled[update.node] = update.seq
        tallies[update.node, default: (0, 0, [:])].accepted += 1
        tallies[update.node, default: (0, 0, [:])].metrics = record.metrics
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
        try stepIfReady()
    }

    // MARK: Group commit

    /// Hands the batch to the committer when it has finished the previous write (so batches grow with the
    /// load instead of the processor waiting for the disk).
    func commitBatchIfDue() {
        if !batch.isEmpty, committer.isIdle { commitBatch() }
    }

    /// Hands the batch over for one group commit: its accepted updates and refusals, and the buffer they
    /// leave (S copied now; encoded and written on the committer's thread). Acknowledged once written.
    func commitBatch() {
        guard !batch.isEmpty else { return }
        var acks = Self.settledSeqs(of: batch.accepted)
        for refusal in batch.refusals {
            if let node = refusal.node, let seq = refusal.settling { acks[node] = max(acks[node] ?? 0, seq) }
        }
        let buffer = batch.accepted.isEmpty ? nil : strategy.exportBuffer()
        let version = strategy.version
        let handed = batch
        let store = store
        committer.submit(acks: acks) {
            var batch = handed
            batch.buffer = try buffer.map { try BufferFile.writer($0, version: version) }
            try store.commit(batch)
        }
        batch = UpdateBatch()
    }

    /// Each node's highest seq among `updates`.
    static func settledSeqs(of updates: [AcceptedUpdate]) -> [UInt32: UInt64] {
        var seqs: [UInt32: UInt64] = [:]
        for update in updates { seqs[update.node] = max(seqs[update.node] ?? 0, update.seq) }
        return seqs
    }

    /// Raises the acknowledged seqs to those the committer has finished writing; rethrows a failed write.
    func collectAcknowledgements() throws {
        for (node, seq) in try committer.collect() { acknowledged[node] = max(acknowledged[node] ?? 0, seq) }
    }

    /// Counts a refusal; when `settling`, the node's settled sequence number moves past this update so
    /// it is acknowledged and not sent again (a resend could not fix it).
    func refuse(_ reason: RejectionReason, node: UInt32?, settling seq: UInt64?) {
        rejections.record(reason)
        refusedTimes.append(now)
        if let node { tallies[node, default: (0, 0, [:])].refused += 1 }
        if let node, let seq { settled[node] = max(settled[node] ?? 0, seq) }
        batch.refusals.append(RefusedMessage(reason: reason.rawValue, node: node, settling: seq))
        logger.notice(
            "message refused",
            metadata: [
                "reject.reason": "\(reason.rawValue)", "node.id": "\(node.map(String.init) ?? "?")",
                "update.seq": "\(seq.map(String.init) ?? "-")",
            ])
    }

    func heard(_ node: UInt32, state: String?, version: UInt64?, unacked: UInt64?) {
        var entry = liveness[node] ?? Liveness(lastHeard: now, state: "alive", versionHeld: nil, unacked: 0)
        entry.lastHeard = now
        if let state { entry.state = state }
        if let version { entry.versionHeld = version }
        if let unacked { entry.unacked = unacked }
        liveness[node] = entry
    }

    /// Writes the heartbeats heard since the last call in one batch (last heard, state, version held).
    func flushHeartbeats() {
        guard !heartbeatBatch.isEmpty else { return }
        let heartbeats = Array(heartbeatBatch.values)
        let (store, logger) = (store, logger)
        committer.submit {
            do {
                try store.recordHeartbeats(heartbeats)
            } catch {
                logger.warning("heartbeats not recorded", metadata: ["error": "\(error)"])  // liveness only: go on
            }
        }
        heartbeatBatch = [:]
    }

    /// Nodes heard from within the liveness window.
    var aliveNodes: Set<UInt32> {
        let cutoff = now - configuration.lostAfter.secondsValue
        return Set(liveness.filter { $0.value.lastHeard >= cutoff }.keys)
    }

    // MARK: Versions

    /// Takes a step when the strategy says one is due: new weights, a durable version, a broadcast.
    func stepIfReady() throws {
        guard strategy.pending.count > 0,
            strategy.isStepReady(StepContext(now: now, aliveNodes: aliveNodes))
        else { return }
        let summary = strategy.takeStep(weights: model.parameters.buffer, at: now)
        var evaluation: Evaluation? = nil
        if let evalSet {
            let probs = evaluator.probabilities(evalSet)
            let m = ClassificationMetrics(probabilities: probs, labels: evalSet.labels, classes: evalSet.classNames)
            evaluation = Evaluation(accuracy: m.accuracy, auc: m.auc)
        }
        let optimizerState = strategy.exportOptimizerState()
        var optimizerWriter: SafetensorsWriter? = nil
        if !optimizerState.tensors.isEmpty {
            var w = SafetensorsWriter()
            for (name, values) in optimizerState.tensors.sorted(by: { $0.key < $1.key }) {
                try w.add(name: name, shape: [values.count], floats: values)
            }
            optimizerWriter = w
        }
        // The version folds the whole buffer: the pending updates already handed over and this batch's
        // accepted ones. Written after every earlier write, on the committer's thread.
        let checkpoint = try model.checkpointWriter(facts: ["growda.version": String(summary.version)])
        let accepted = batch.accepted
        let store = store
        let (version, evaluated, optimizer) = (summary.version, evaluation, optimizerWriter)
        committer.submit(acks: Self.settledSeqs(of: accepted)) {
            try store.commitVersion(
                version, checkpoint: checkpoint, accepting: accepted, evaluation: evaluated,
                optimizerState: optimizer)
        }
        batch.accepted = []
        lastVersionAt = now
        versionTimes.append(now)
        if let evaluation {
            evalHistory.append(.init(version: summary.version, accuracy: evaluation.accuracy, auc: evaluation.auc))
            if evalHistory.count > AggregatorStatus.evalHistoryLimit { evalHistory.removeFirst() }
        }
        logger.info(
            "new version",
            metadata: [
                "model.version": "\(summary.version)", "updates": "\(summary.updateCount)",
                "staleness.mean": "\(String(format: "%.2f", summary.meanStaleness))",
                "eval.accuracy": "\(evaluation.map { String(format: "%.4f", $0.accuracy) } ?? "-")",
                "eval.auc": "\(evaluation?.auc.map { String(format: "%.4f", $0) } ?? "-")",
            ])
        broadcastCurrentModel()
    }

    /// The current model as a message (built once per version).
    func currentModelMessage() throws -> ModelMessage {
        if let cached = cachedModel, cached.version == strategy.version { return cached.message }
        let message = try model.modelMessage(version: strategy.version)
        cachedModel = (strategy.version, message)
        return message
    }

    func broadcastCurrentModel() {
        do {
            let frames = try WireEncoder.encode(
                try currentModelMessage(), modelKey: modelKey, signingKey: signingKey, limits: limits)
            try pub.send(frames, dontWait: true)
        } catch {
            logger.warning("model broadcast failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Snapshot and status requests (ROUTER)

    /// Answers every waiting request on a ROUTER: frame 0 is the peer's routing id.
    func drainRouter(_ socket: ZMQSocket, admin: Bool) {
        while let frames = try? socket.receive(dontWait: true) {
            guard frames.count >= 2 else { continue }
            let peer = frames[0].bytes
            let body = frames.dropFirst().map(\.bytes)
            var message = WireDecoder.open(body, keys: keyring, limits: limits)
            if case .failure(.unknownSender) = message, now - lastRegistryReload > 1 {
                reloadRegistry()
                message = WireDecoder.open(body, keys: keyring, limits: limits)
            }
            switch message {
            case .success(.snapshotRequest(let request)) where !admin:
                answer(request, peer: peer, on: socket)
            case .success(.statusRequest(let request)) where admin:
                answerStatus(request, peer: peer, on: socket)
            case .success:
                refuse(.malformed, node: nil, settling: nil)
            case .failure(let reason):
                refuse(reason, node: nil, settling: nil)
            }
        }
    }

    /// Answers a snapshot request, unless it asks leave to send and there is no room: then the request
    /// waits (one per node, the newest) and is answered as soon as a permit frees (`answerWaiting`), so
    /// a node sends the moment the aggregator can take its update.
    private func answer(_ request: SnapshotRequest, peer: [UInt8], on socket: ZMQSocket) {
        heard(request.node, state: nil, version: request.haveVersion, unacked: nil)
        let acked = acknowledged[request.node] ?? 0
        let wanted = request.wantSend.flatMap { $0 > acked ? $0 : nil }
        let queued = queue.status()
        let sendOK = admission.answer(
            node: request.node, wanted: wanted, queuedBytes: queued.bytes, queued: queued.count, now: now)
        if let wanted, sendOK < wanted {
            waitingForLeave.removeAll { $0.request.node == request.node }
            waitingForLeave.append((request, peer, now))
            return
        }
        waitingForLeave.removeAll { $0.request.node == request.node }
        reply(to: request, peer: peer, on: socket, sendOK: sendOK)
    }

    /// Answers the requests waiting for leave to send, oldest first, while permits can be granted; drops
    /// those older than a permit's lifetime (their nodes have asked again since, or gone).
    func answerWaiting() {
        let t = now
        waitingForLeave.removeAll { t - $0.since > admission.lifetime }
        while let first = waitingForLeave.first, let wanted = first.request.wantSend {
            let queued = queue.status()
            let sendOK = admission.answer(
                node: first.request.node, wanted: wanted, queuedBytes: queued.bytes, queued: queued.count, now: t)
            guard sendOK >= wanted else { return }
            waitingForLeave.removeFirst()
            reply(to: first.request, peer: first.peer, on: router, sendOK: sendOK)
        }
    }

    private func reply(to request: SnapshotRequest, peer: [UInt8], on socket: ZMQSocket, sendOK: UInt64) {
        do {
            let t = strategy.version
            // A node at or past the latest version needs no model (past it: a state restored from a backup).
            let content: SnapshotReply.Content =
                request.haveVersion.map { $0 >= t } == true ? .upToDate(version: t) : .model(try currentModelMessage())
            let acked = acknowledged[request.node] ?? 0
            let reply = SnapshotReply(
                recipient: request.node, requestID: request.requestID, ackedSeq: acked, content: content,
                sendOK: sendOK)
            guard let key = keyring.nodeKeys[request.node] else { return }
            let frames = try WireEncoder.encode(reply, nodeKey: key, signingKey: signingKey, limits: limits)
            try socket.send([peer] + frames, dontWait: true)
        } catch {
            logger.warning("snapshot reply failed", metadata: ["node.id": "\(request.node)", "error": "\(error)"])
        }
    }

    private func answerStatus(_ request: StatusRequest, peer: [UInt8], on socket: ZMQSocket) {
        do {
            let status = makeStatus()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = String(decoding: try encoder.encode(status), as: UTF8.self)
            guard let adminKey = keyring.adminKey else { return }
            let frames = try WireEncoder.encode(
                StatusReply(requestID: request.requestID, json: json), adminKey: adminKey, limits: limits)
            try socket.send([peer] + frames, dontWait: true)
        } catch {
            logger.warning("status reply failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Status

    func publishStatus() {
        let status = makeStatus()
        statusLock.withLock { publishedStatus = status }
    }

    func makeStatus() -> AggregatorStatus {
        let t = now
        receivedTimes.removeAll { $0 < t - 60 }
        acceptedTimes.removeAll { $0 < t - 60 }
        refusedTimes.removeAll { $0 < t - 60 }
        let window = min(60, max(t, 1))
        let sorted = stalenessWindow.sorted()
        func percentile(_ p: Double) -> Double? {
            sorted.isEmpty ? nil : Double(sorted[min(sorted.count - 1, Int(p * Double(sorted.count - 1)))])
        }
        let q = queue.status()
        let alive = aliveNodes
        var nodes: [AggregatorStatus.Node] = []
        for record in federation.registry.nodes {
            let live = liveness[record.id]
            let state: String
            if !record.isActive {
                state = "revoked"
            } else if let live, alive.contains(record.id) {
                state = live.state == "sending" ? "alive" : live.state
            } else {
                state = live == nil ? "never seen" : "lost"
            }
            nodes.append(
                AggregatorStatus.Node(
                    id: record.id, name: record.name, state: state, last_heard_seconds: live.map { t - $0.lastHeard },
                    version_held: live?.versionHeld, accepted: tallies[record.id]?.accepted ?? 0,
                    refused: tallies[record.id]?.refused ?? 0, settled_seq: acknowledged[record.id] ?? 0,
                    unacked: live?.unacked ?? 0, last_metrics: tallies[record.id]?.metrics ?? [:]))
        }
        let refused = Dictionary(uniqueKeysWithValues: rejections.snapshot().map { ($0.key.rawValue, $0.value) })
        return AggregatorStatus(
            mode: configuration.aggregation.modeName, version: strategy.version,
            seconds_since_version: t - lastVersionAt,
            buffer_count: strategy.pending.count, buffer_target: configuration.aggregation.bufferTarget,
            queue_waiting: q.count, queue_capacity: queue.capacity,
            queue_oldest_seconds: q.oldest.map { Double(DispatchTime.now().uptimeNanoseconds - $0) / 1e9 },
            queue_dropped: q.dropped, received: received, bytes_received: bytesReceived, accepted: accepted,
            received_last_minute: receivedTimes.count, refused_last_minute: refusedTimes.count,
            received_per_second_last_minute: Double(receivedTimes.count) / window,
            accepted_per_second_last_minute: Double(acceptedTimes.count) / window,
            refused: refused, staleness_p50: percentile(0.5), staleness_p95: percentile(0.95),
            staleness_max: sorted.last,
            versions_per_hour: t > 0 ? Double(versionTimes.count) / t * 3600 : 0, uptime_seconds: t,
            resident_bytes: residentBytes(), nodes: nodes, eval_history: evalHistory)
    }
}

extension Duration {
    /// The duration in seconds.
    var secondsValue: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension AggregationConfig {
    /// "async" or "sync".
    var modeName: String {
        if case .sync = mode { return "sync" }
        return "async"
    }

    /// s_max in FedBuff; 0 in synchronous rounds.
    var maxStaleness: Int {
        if case .async(_, let sMax) = mode { return sMax }
        return 0
    }

    /// K in FedBuff; in synchronous rounds, 0 (the round waits for the alive nodes).
    var bufferTarget: Int {
        if case .async(let k, _) = mode { return k }
        return 0
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
