import Dispatch
import Foundation
import GrowdaAggregation
import GrowdaCrypto
import GrowdaData
import GrowdaFederation
import GrowdaNN
import GrowdaProvisioning
import GrowdaSafetensors
import GrowdaStore
import GrowdaTensor
import GrowdaTransport
import GrowdaWire
import Logging

/// The aggregator: receives sealed updates, checks them, folds them into the buffered FedAvg (or
/// synchronous FedAvg) strategy, and publishes each new global version.
///
/// Two threads, each owning its sockets (ZeroMQ sockets are not thread-safe):
/// - the receiver owns PULL; it opens each multipart message (authenticates, decrypts and parses it, with
///   a copy of the keyring the processor publishes) and moves the result into a bounded queue (full:
///   dropped and counted; the node resends what was not acknowledged). Opening there puts decryption,
///   the costliest step, on a second core;
/// - the processor owns PUB and the ROUTERs and all federation state: it decrypts and validates queued
///   messages, folds accepted updates, steps the strategy, commits and broadcasts new versions, answers
///   snapshot requests (latest model plus the node's settled sequence number: its acknowledgement) and
///   operators' status requests.
///
/// Group commit: accepted updates and refusals gather in a batch that is made durable at once (the
/// buffer they leave, their rows and settled seqs: GrowdaStore's `commit`). The writes run on a third
/// thread (`Committer`), in order; a new batch is handed over whenever the previous write has finished, so
/// batches grow with the load and the processor never waits for the disk. A step commits a version
/// (with the updates accepted since the last batch) through the same thread. Acknowledgements (`ackedSeq`
/// in snapshot replies) come only from finished writes, so a crash loses nothing a node was told was
/// kept: the unacknowledged rest is resent.
public final class Aggregator: @unchecked Sendable {
    /// The configuration it runs with.
    public let configuration: AggregatorConfiguration
    /// The endpoints actually bound (ports resolved when 0 was asked for).
    public let endpoints: (updates: String, models: String, snapshots: String, status: String)

    var federation: Federation
    let store: StateStore
    let strategy: any AggregationStrategy
    /// The global model (its parameters are w, version t = strategy.version).
    let model: Model
    let scratch: FloatBuffer
    var keyring: AggregatorKeyring
    let signingKey: SigningKey
    let modelKey: SecretBoxKey
    var logger: Logger
    let limits: WireLimits
    let validatorLayout: TensorLayout
    let evalSet: Dataset?
    /// Scores each new version on `evalSet` (its workspaces made once, reused every version).
    lazy var evaluator = Predictor(model: model, threads: 1)

    let queue: BoundedQueue<Received>
    /// The keyring the receiver opens messages with: the processor's, published on each registry reload.
    let receiverKeyring: LockedValue<AggregatorKeyring>
    let rejections = RejectionCounter()
    let stopFlag = NSLock()
    var stopped = false
    var pullSocket: ZMQSocket?
    let context: ZMQContext
    let pub: ZMQSocket
    let router: ZMQSocket
    let statusRouter: ZMQSocket

    // Processor-thread state.
    /// Each node's settled seq, counting the batch not yet committed (for replay checks).
    var settled: [UInt32: UInt64]
    /// Each node's durably settled seq: what snapshot replies acknowledge.
    var acknowledged: [UInt32: UInt64]
    /// Leave to send updates (processor-thread state).
    var admission: Admission
    /// Snapshot requests asking leave to send that found no room, oldest first (one per node).
    var waitingForLeave: [(request: SnapshotRequest, peer: [UInt8], since: Double)] = []
    /// Accepted (and folded) updates and refusals not yet handed to the committer.
    var batch = UpdateBatch()
    /// Runs the store's writes off the processing thread, in order.
    let committer = Committer()
    var liveness: [UInt32: Liveness] = [:]
    /// Heartbeats heard since the last flush to the store (written in one batch per tick).
    var heartbeatBatch: [UInt32: GrowdaStore.Heartbeat] = [:]
    /// Per node: updates accepted and refused, and the local metrics of its last accepted update.
    var tallies: [UInt32: (accepted: Int, refused: Int, metrics: [String: Double])] = [:]
    var cachedModel: (version: UInt64, message: ModelMessage)?
    let clockStart = DispatchTime.now().uptimeNanoseconds
    var lastVersionAt: Double = 0
    var versionTimes: [Double] = []
    var stalenessWindow: [Int] = []
    var receivedTimes: [Double] = []
    var acceptedTimes: [Double] = []
    var refusedTimes: [Double] = []
    /// The evaluation of the last committed versions, oldest first (at most `AggregatorStatus.evalHistoryLimit`).
    var evalHistory: [AggregatorStatus.EvalPoint] = []
    var received = 0, accepted = 0, bytesReceived = 0
    var lastRegistryReload: Double = -10
    var registryModified: Date?
    let statusLock = NSLock()
    var publishedStatus: AggregatorStatus?

    /// A message from PULL as the receiver opened it.
    struct Received {
        /// Its size on the wire.
        let bytes: Int
        /// The opened message, or why it was refused.
        let opened: Result<Message, RejectionReason>
        /// The frames, kept only when the sender was unknown: the processor opens them again after
        /// reloading the registry (a node added since the last reload).
        let frames: [[UInt8]]?
    }

    /// What the processor knows of a node from its heartbeats and requests.
    struct Liveness {
        var lastHeard: Double
        var state: String
        var versionHeld: UInt64?
        var unacked: UInt64
    }

    /// Seconds since this aggregator started (monotonic).
    var now: Double { Double(DispatchTime.now().uptimeNanoseconds - clockStart) / 1e9 }

    /// Opens the state (recovering after a crash), loads keys and registry, binds every socket.
    public init(configuration: AggregatorConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        do {
            federation = try Federation.load(directory: configuration.federationPath)
            signingKey = try federation.signingKey()
            modelKey = try federation.modelKey()
            keyring = try Aggregator.keyring(of: federation)
            receiverKeyring = LockedValue(keyring)
        } catch let error as AggregatorError {
            throw error
        } catch {
            throw AggregatorError.configuration("\(error)")
        }
        var limits = WireLimits.standard
        limits.maxMessageBytes = configuration.maxMessageBytes
        self.limits = limits

        do {
            store = try StateStore(
                folder: configuration.statePath,
                options: .init(keepCheckpoints: configuration.keepCheckpoints, mode: configuration.aggregation.modeName)
            )
        } catch {
            throw AggregatorError.state("\(configuration.statePath): \(error)")
        }
        let recovery = store.recovery
        for file in recovery.removedFiles { logger.info("leftover file removed", metadata: ["file": "\(file)"]) }
        for lost in recovery.lostUpdates { logger.error("pending update lost", metadata: ["update": "\(lost)"]) }

        // The global model: the last committed version, or a fresh one (committed as version 0).
        if let path = recovery.checkpointPath {
            model = try Model(checkpoint: path)
        } else if let initial = configuration.initialCheckpoint {
            model = try Model(checkpoint: initial)
        } else {
            model = try Model(spec: configuration.model, seed: configuration.modelSeed)
        }
        if recovery.version == nil {
            try store.commitVersion(0, model: model)
        }
        let version = recovery.version ?? 0
        scratch = FloatBuffer(count: model.parameterCount)
        admission = Admission(
            budgetBytes: configuration.admissionBytes, budgetCount: configuration.queueCapacity,
            updateBytes: model.parameterCount * 4 + 64 << 10)
        validatorLayout = model.updateLayout
        do {
            strategy = try configuration.aggregation.makeStrategy(
                parameterCount: model.parameterCount, version: version, openedAt: 0)
            if let path = recovery.optimizerStatePath {
                let file = try SafetensorsFileLoader.optimizerState(path)
                try strategy.restore(version: version, optimizerState: file, at: 0)
            }
        } catch {
            throw AggregatorError.configuration("\(error)")
        }
        settled = recovery.settledSeqs
        acknowledged = recovery.settledSeqs
        let evaluated = ((try? store.history()) ?? []).compactMap { record in
            record.evaluation.map {
                AggregatorStatus.EvalPoint(version: record.version, accuracy: $0.accuracy, auc: $0.auc)
            }
        }
        evalHistory = Array(evaluated.suffix(AggregatorStatus.evalHistoryLimit))
        for record in (try? store.nodeSnapshot()) ?? [] {
            tallies[record.id] = (record.acceptedCount, record.refusedCount, record.lastMetrics)
        }
        // The buffer of accepted, not yet aggregated updates, as the last group commit left it.
        if let path = recovery.bufferPath {
            let state = try BufferFile.read(path, version: version)
            guard state.count == recovery.pending.count else {
                throw AggregatorError.state(
                    "\(path) sums \(state.count) updates, the database lists \(recovery.pending.count) pending")
            }
            do {
                try strategy.restoreBuffer(state)
            } catch {
                throw AggregatorError.state("\(path): \(error)")
            }
        }
        let spec = model.spec
        evalSet = try configuration.evalPath.map {
            try Dataset.loadFolder(
                $0, height: spec.inputShape[1], width: spec.inputShape[2], classNames: spec.classes,
                skipUnreadable: true
            ).dataset
        }

        queue = BoundedQueue(capacity: configuration.queueCapacity, byteCapacity: configuration.queueBytes)
        var socketConfig = SocketConfiguration()
        socketConfig.maxMessageSize = configuration.maxMessageBytes
        socketConfig.linger = .milliseconds(200)
        socketConfig.receiveHighWaterMark = 16
        socketConfig.sendHighWaterMark = 8
        do {
            context = try ZMQContext()
            let pull = try ZMQSocket(.pull, context: context, configuration: socketConfig)
            pub = try ZMQSocket(.pub, context: context, configuration: socketConfig)
            router = try ZMQSocket(.router, context: context, configuration: socketConfig)
            statusRouter = try ZMQSocket(.router, context: context, configuration: socketConfig)
            let host = configuration.bindHost
            func at(_ h: String, _ port: Int) -> String {
                "tcp://\(h.contains(":") ? "[\(h)]" : h):\(port == 0 ? "*" : String(port))"
            }
            endpoints = (
                try pull.bind(at(host, configuration.updatesPort)),
                try pub.bind(at(host, configuration.modelsPort)),
                try router.bind(at(host, configuration.snapshotsPort)),
                try statusRouter.bind(at(configuration.statusHost, configuration.statusPort))
            )
            pullSocket = pull
        } catch {
            throw AggregatorError.transport("\(error)")
        }
        lastVersionAt = 0
        logger.info(
            "aggregator ready",
            metadata: [
                "model.version": "\(version)", "buffer": "\(strategy.pending.count)", "nodes": "\(keyring.nodeKeys.count)",
                "updates": "\(endpoints.updates)", "models": "\(endpoints.models)",
                "snapshots": "\(endpoints.snapshots)", "status": "\(endpoints.status)",
            ])
    }

    /// The node keys of the registry's active nodes, the revoked ids, and the admin key.
    static func keyring(of federation: Federation) throws -> AggregatorKeyring {
        var keys: [UInt32: SecretBoxKey] = [:]
        for node in federation.registry.activeNodes { keys[node.id] = try federation.nodeKey(id: node.id) }
        let revoked = Set(federation.registry.nodes.filter { !$0.isActive }.map(\.id))
        return AggregatorKeyring(nodeKeys: keys, revoked: revoked, adminKey: try federation.adminKey())
    }

    /// Asks both threads to stop; `run` returns once they have.
    public func stop() {
        stopFlag.withLock { stopped = true }
    }

    var isStopping: Bool { stopFlag.withLock { stopped } }

    /// The latest published status (updated by the processor about once a second).
    public func status() -> AggregatorStatus? { statusLock.withLock { publishedStatus } }

    /// The current global version (processor's view, as last published).
    public var currentVersion: UInt64 { status()?.version ?? strategy.version }

    // MARK: Running

    /// Runs the receiver thread and the processing loop (on the calling thread) until `stop()`.
    public func run() throws {
        guard let pull = pullSocket else { return }
        pullSocket = nil
        let receiverDone = DispatchSemaphore(value: 0)
        let handOver = UncheckedSendable(pull)  // the PULL socket moves to the receiver thread for good
        let receiver = Thread { [self] in
            receive(from: handOver.value)
            handOver.value.close()
            receiverDone.signal()
        }
        receiver.name = "growda-receiver"
        receiver.start()
        defer {
            stop()
            receiverDone.wait()
            pub.close()
            router.close()
            statusRouter.close()
            context.shutdown()
            committer.waitUntilIdle()  // no write may run on a closed store
            try? store.close()
        }
        broadcastCurrentModel()
        let poller = ZMQPoller()
        _ = poller.add(router)
        _ = poller.add(statusRouter)
        var lastTick = 0.0
        while !isStopping {
            try collectAcknowledgements()
            let ready = try poller.poll(timeout: .milliseconds(5))
            if ready[0].contains(.readable) { drainRouter(router, admin: false) }
            if ready[1].contains(.readable) { drainRouter(statusRouter, admin: true) }
            var handled = 0
            while handled < 32, let frames = queue.pop() {
                try handle(frames)
                handled += 1
                // Between updates (13 MB ones take milliseconds each), answer nodes asking for leave or
                // acknowledgements, and hand a batch to an idle committer: neither waits for the queue.
                drainRouter(router, admin: false)
                answerWaiting()
                try collectAcknowledgements()
                commitBatchIfDue()
            }
            commitBatchIfDue()
            if !waitingForLeave.isEmpty { answerWaiting() }
            let t = now
            if t - lastTick >= 0.25 {
                lastTick = t
                reloadRegistryIfChanged()
                flushHeartbeats()
                try stepIfReady()
                publishStatus()
            }
        }
        commitBatch()
        flushHeartbeats()
        committer.waitUntilIdle()
        try collectAcknowledgements()
        logger.info(
            "aggregator stopping",
            metadata: ["model.version": "\(strategy.version)", "buffer": "\(strategy.pending.count)"])
    }

    /// The receiver thread: PULL → bounded queue, until stopped.
    private func receive(from pull: ZMQSocket) {
        var droppedSinceLog = 0
        var lastDropLog: UInt64 = 0
        let poller = ZMQPoller()
        _ = poller.add(pull)
        while !isStopping {
            guard let ready = try? poller.poll(timeout: .milliseconds(100)), ready[0].contains(.readable) else {
                continue
            }
            while let message = try? pull.receive(dontWait: true) {
                let bytes = message.reduce(0) { $0 + $1.count }
                let opened: Result<Message, RejectionReason>
                if message.count == 2 || message.count == 3, bytes <= limits.maxMessageBytes {
                    // Opened straight from ZeroMQ's memory: the ciphertext is never copied.
                    opened = message[1].withUnsafeBytes { body in
                        WireDecoder.open(
                            header: message[0].bytes, body: body, signature: message.count == 3 ? message[2].bytes : nil,
                            keys: receiverKeyring.value, limits: limits)
                    }
                } else {
                    opened = WireDecoder.open(message.map(\.bytes), keys: receiverKeyring.value, limits: limits)
                }
                let unknown = if case .failure(.unknownSender) = opened { true } else { false }
                let item = Received(bytes: bytes, opened: opened, frames: unknown ? message.map(\.bytes) : nil)
                let arrived = DispatchTime.now().uptimeNanoseconds
                if !queue.push(item, size: bytes, now: arrived) {
                    droppedSinceLog += 1
                    if arrived - lastDropLog >= 10_000_000_000 {  // one line per 10 s, not one per message
                        logger.warning(
                            "queue full: messages dropped (their nodes resend them)",
                            metadata: ["dropped": "\(droppedSinceLog)", "last.bytes": "\(bytes)"])
                        droppedSinceLog = 0
                        lastDropLog = arrived
                    }
                }
            }
        }
    }
}

/// Reads the server optimizer's state that the store committed beside a checkpoint.
enum SafetensorsFileLoader {
    static func optimizerState(_ path: String) throws -> OptimizerState {
        let file = try SafetensorsFile(contentsOf: path)
        var tensors: [String: [Float]] = [:]
        for info in file.tensors { tensors[info.name] = try file.floats(info.name) }
        return OptimizerState(tensors)
    }
}

/// A value shared between threads behind a lock.
final class LockedValue<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    /// The current value (a copy).
    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
