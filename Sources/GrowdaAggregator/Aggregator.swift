import Dispatch
import Foundation
import GrowdaAggregation
import GrowdaCrypto
import GrowdaData
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
/// It is a thin socket shell around four parts, each owning its own state on its own thread:
/// - ``Receiver`` (thread `growda-receiver`) owns PULL: it opens each message (authenticate, decrypt,
///   parse) and moves it into a bounded queue (full: dropped and counted);
/// - ``FederationProcessor`` holds all federation state and makes every decision (admission, replay,
///   staleness, revocation, folding, steps, acknowledgements, the status), with no sockets: it is driven
///   by this shell on the processing thread (the thread that calls ``run()``) and answers with actions;
/// - ``Committer`` (its own serial queue) makes the processor's writes durable, in order (group commits,
///   versions, heartbeats, evaluations); acknowledgements come only from finished writes;
/// - ``Evaluator`` (thread `growda-evaluator`, only with `--eval`) scores new versions.
///
/// The shell itself owns the PUB and both ROUTER sockets, the keys and the registry file: it polls the
/// ROUTERs, pops the queue, reloads the registry when its file changes, hands each opened message to the
/// processor, and carries out what the processor returns: it seals and sends replies and broadcasts,
/// submits writes, and hands evaluation jobs over.
public final class Aggregator: @unchecked Sendable {
    /// The configuration it runs with.
    public let configuration: AggregatorConfiguration
    /// The endpoints actually bound (ports resolved when 0 was asked for).
    public let endpoints: (updates: String, models: String, snapshots: String, status: String)

    private var federation: Federation
    private let store: StateStore
    private let processor: FederationProcessor
    private var keyring: AggregatorKeyring
    private let signingKey: SigningKey
    /// The key model broadcasts are sealed with; replaced when `node revoke` rotates it (re-read with the
    /// registry). Each snapshot reply carries it, sealed under the recipient's own key.
    private var modelKey: SecretBoxKey
    /// Revoked nodes' keys, kept only to open their snapshot requests and answer "revoked".
    private var revokedKeys: [UInt32: SecretBoxKey] = [:]
    private let logger: Logger
    private let limits: WireLimits
    private let evaluator: Evaluator?

    private let queue: BoundedQueue<Received>
    /// The keyring the receiver opens messages with: the shell's, published on each registry reload.
    private let receiverKeyring: LockedValue<AggregatorKeyring>
    private let stopFlag = LockedValue(false)
    private let receiver: Receiver
    private var started = false
    private let context: ZMQContext
    private let pub: ZMQSocket
    private let router: ZMQSocket
    private let statusRouter: ZMQSocket
    private let committer = Committer()
    private let clockStart = DispatchTime.now().uptimeNanoseconds
    private var lastRegistryReload: Double = -10
    private var registryModified: Date?
    /// Receive failures on the ROUTERs other than "nothing to read".
    private var routerErrors = 0
    private var lastRouterErrorLog: Double = -10
    private let published = LockedValue<AggregatorStatus?>(nil)

    /// Seconds since this aggregator started (monotonic).
    private var now: Double { Double(DispatchTime.now().uptimeNanoseconds - clockStart) / 1e9 }

    /// Opens the state (recovering after a crash), loads keys and registry, binds every socket.
    public init(configuration: AggregatorConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        try configuration.checkStopRules()
        do {
            federation = try Federation.load(directory: configuration.federationPath)
            signingKey = try federation.signingKey()
            modelKey = try federation.modelKey()
            keyring = try Aggregator.keyring(of: federation)
            revokedKeys = try Aggregator.revokedKeys(of: federation)
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
        let recovered = try Self.recover(store: store, configuration: configuration, logger: logger)
        let spec = recovered.model.spec
        let evalSet = try configuration.evalPath.map { try Evaluator.loadSet($0, spec: spec) }
        evaluator = try evalSet.map { try Evaluator(spec: spec, data: $0) }
        processor = FederationProcessor(
            configuration: configuration, model: recovered.model, strategy: recovered.strategy,
            stateAverage: recovered.stateAverage, registry: federation.registry, settled: recovered.settled,
            tallies: recovered.tallies,
            evalHistory: recovered.evalHistory, evaluates: evalSet != nil,
            best: evalSet != nil ? recovered.best : nil, logger: logger)

        queue = BoundedQueue(capacity: configuration.queueCapacity, byteCapacity: configuration.queueBytes)
        var socketConfig = SocketConfiguration()
        socketConfig.maxMessageSize = configuration.maxMessageBytes
        socketConfig.linger = .milliseconds(200)
        socketConfig.receiveHighWaterMark = 16
        socketConfig.sendHighWaterMark = 8
        let pull: ZMQSocket
        do {
            context = try ZMQContext()
            pull = try ZMQSocket(.pull, context: context, configuration: socketConfig)
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
        } catch {
            throw AggregatorError.transport("\(error)")
        }
        let flag = stopFlag
        receiver = Receiver(
            pull: pull, queue: queue, keyring: receiverKeyring, limits: limits, logger: logger,
            stopping: { flag.value })
        logger.info(
            "aggregator ready",
            metadata: [
                "model.version": "\(processor.version)", "buffer": "\(recovered.strategy.pending.count)",
                "nodes": "\(keyring.nodeKeys.count)", "mode": "\(configuration.aggregation.modeName)",
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

    /// The keys kept for revoked nodes (see `Federation.revokedNodeKeyPath(id:)`).
    static func revokedKeys(of federation: Federation) throws -> [UInt32: SecretBoxKey] {
        var keys: [UInt32: SecretBoxKey] = [:]
        for node in federation.registry.nodes where !node.isActive {
            if let key = try federation.revokedNodeKey(id: node.id) { keys[node.id] = key }
        }
        return keys
    }

    /// Asks every thread to stop; `run` returns once they have.
    public func stop() { stopFlag.value = true }

    private var isStopping: Bool { stopFlag.value }

    /// The latest published status (updated by the processing thread about four times a second).
    public func status() -> AggregatorStatus? { published.value }

    /// The current global version (as last published).
    public var currentVersion: UInt64 { status()?.version ?? 0 }

    // MARK: Running

    /// Runs the receiver thread and the processing loop (on the calling thread) until `stop()`; throws
    /// when a durable write failed (what was not written was not acknowledged: nodes resend it).
    public func run() throws {
        guard !started else { return }
        started = true
        let receiverDone = DispatchSemaphore(value: 0)
        receiver.start(done: receiverDone)
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
        processor.broadcastCurrentModel()
        try perform()
        let poller = ZMQPoller()
        poller.add(router)
        poller.add(statusRouter)
        var lastTick = 0.0
        while !isStopping {
            try collect()
            let ready = try poller.poll(timeout: .milliseconds(5))
            if ready[0].contains(.readable) { drainRouter(router, admin: false) }
            if ready[1].contains(.readable) { drainRouter(statusRouter, admin: true) }
            try perform()
            var handled = 0
            while handled < 32, let item = queue.pop() {
                handle(item)
                handled += 1
                // Between updates (13 MB ones take milliseconds each), answer nodes asking for leave or
                // acknowledgements, and hand a batch to an idle committer: neither waits for the queue.
                drainRouter(router, admin: false)
                processor.answerWaiting(queue: queueLoad(), now: now)
                try collect()
                if committer.isIdle { processor.flushBatch() }
                try perform()
            }
            if committer.isIdle { processor.flushBatch() }
            processor.answerWaiting(queue: queueLoad(), now: now)
            let t = now
            if t - lastTick >= 0.25 {
                lastTick = t
                reloadRegistryIfChanged()
                processor.tick(now: t)
                publishStatus()
            }
            try perform()
        }
        processor.finish()
        for scored in evaluator?.finish() ?? [] { processor.evaluated(scored.job, scored.evaluation) }
        try perform()
        committer.waitUntilIdle()
        try collect()
        publishStatus()
        logger.info(
            "aggregator stopping",
            metadata: ["model.version": "\(processor.version)", "buffer": "\(processor.strategy.pending.count)"])
    }

    /// A message from the queue: a sender unknown to the receiver's keyring is tried again after a
    /// registry reload (a node added since; at most once a second), then the processor decides.
    private func handle(_ item: Received) {
        var opened = item.opened
        if case .failure(.unknownSender) = opened, let frames = item.frames, now - lastRegistryReload > 1 {
            reloadRegistry()
            opened = WireDecoder.open(frames, keys: keyring, limits: limits)
        }
        processor.handle(opened, bytes: item.bytes, claimedBy: item.claimedSender, now: now)
    }

    /// Hands every waiting request on a ROUTER to the processor (frame 0 is the peer's routing id).
    private func drainRouter(_ socket: ZMQSocket, admin: Bool) {
        while true {
            let frames: [Frame]
            do {
                guard let received = try socket.tryReceive() else { return }
                frames = received
            } catch {
                routerErrors += 1
                if now - lastRouterErrorLog >= 10 {
                    lastRouterErrorLog = now
                    logger.error(
                        "request socket failed", metadata: ["error": "\(error)", "transport.errors": "\(routerErrors)"])
                }
                return
            }
            guard frames.count >= 2 else {
                processor.refuse(.malformed, node: nil, settling: nil, now: now)
                continue
            }
            let peer = frames[0].bytes
            let body = frames.dropFirst().map(\.bytes)
            var message = WireDecoder.open(body, keys: keyring, limits: limits)
            if case .failure(.unknownSender) = message, now - lastRegistryReload > 1 {
                reloadRegistry()
                message = WireDecoder.open(body, keys: keyring, limits: limits)
            }
            // A revoked node's request is opened with its kept key only to answer "revoked"; the processor
            // counts it as refused all the same.
            if !admin, case .failure(.revokedSender) = message, let id = body.first.flatMap(WireHeader.claimedSender),
                let key = revokedKeys[id],
                case .success(.snapshotRequest(let request)) = WireDecoder.open(
                    body, keys: AggregatorKeyring(nodeKeys: [id: key]), limits: limits)
            {
                message = .success(.snapshotRequest(request))
            }
            let claimed = if case .failure = message { body.first.flatMap(WireHeader.claimedSender) } else { nil as UInt32? }
            processor.handleRequest(
                message, peer: peer, admin: admin, claimedBy: claimed, queue: queueLoad(), now: now,
                residentBytes: residentBytes())
        }
    }

    // MARK: Carrying out the processor's actions

    /// Seals and sends replies and broadcasts, submits writes, hands evaluations over; rethrows nothing
    /// but a failed write reported by the committer (see ``collect()``).
    private func perform() throws {
        for action in processor.takeActions() {
            switch action {
            case .broadcast(let model):
                send(on: pub, what: "model broadcast") {
                    try WireEncoder.encode(model, modelKey: modelKey, signingKey: signingKey, limits: limits)
                }
            case .reply(var reply, let peer):
                guard let key = keyring.nodeKeys[reply.recipient] ?? revokedKeys[reply.recipient] else { continue }
                send(on: router, what: "snapshot reply") {
                    if !reply.revoked { reply.modelKey = try modelKey.wrapped(under: key) }
                    return [peer] + (try WireEncoder.encode(reply, nodeKey: key, signingKey: signingKey, limits: limits))
                }
            case .statusReply(let reply, let peer):
                guard let adminKey = keyring.adminKey else { continue }
                send(on: statusRouter, what: "status reply") {
                    [peer] + (try WireEncoder.encode(reply, adminKey: adminKey, limits: limits))
                }
            case .commit(let write, let acks):
                let (store, logger) = (store, logger)
                committer.submit(acks: acks) {
                    guard write.isEssential else {
                        do { try write.apply(to: store) } catch {
                            logger.warning("write skipped", metadata: ["error": "\(error)"])  // informative only
                        }
                        return
                    }
                    try write.apply(to: store)
                }
            case .evaluate(let job):
                evaluator?.submit(job)
            }
        }
    }

    private func send(on socket: ZMQSocket, what: String, _ frames: () throws -> [[UInt8]]) {
        do {
            try socket.send(try frames(), dontWait: true)
        } catch {
            logger.warning("send failed", metadata: ["message": "\(what)", "error": "\(error)"])
        }
    }

    /// Hands the processor the acknowledgements of finished writes and the finished evaluations;
    /// rethrows a failed write.
    private func collect() throws {
        processor.acknowledge(try committer.collect())
        for scored in evaluator?.collect() ?? [] { processor.evaluated(scored.job, scored.evaluation) }
    }

    private func queueLoad() -> QueueLoad {
        let q = queue.status()
        return QueueLoad(
            count: q.count, bytes: q.bytes,
            oldestSeconds: q.oldest.map { Double(DispatchTime.now().uptimeNanoseconds - $0) / 1e9 },
            dropped: q.dropped, capacity: queue.capacity)
    }

    private func publishStatus() {
        processor.transportErrors = routerErrors + receiver.errors
        published.value = processor.status(now: now, queue: queueLoad(), residentBytes: residentBytes())
    }

    // MARK: Registry

    /// Re-reads the node registry when its file changed (a node added or revoked while running).
    private func reloadRegistryIfChanged() {
        let modified =
            (try? FileManager.default.attributesOfItem(atPath: federation.registryPath))?[.modificationDate] as? Date
        guard modified != registryModified else { return }
        registryModified = modified
        reloadRegistry()
    }

    private func reloadRegistry() {
        lastRegistryReload = now
        do {
            try federation.reloadRegistry()
            keyring = try Aggregator.keyring(of: federation)
            revokedKeys = try Aggregator.revokedKeys(of: federation)
            let currentModelKey = try federation.modelKey()
            if currentModelKey != modelKey {
                modelKey = currentModelKey
                logger.notice(
                    "model key rotated: later models are sealed with the new key, which nodes receive in their snapshot replies",
                    metadata: ["key.fingerprint": "\(modelKey.fingerprint)"])
            }
            receiverKeyring.value = keyring
            processor.registryChanged(federation.registry)
            for node in federation.registry.nodes { try store.registerNode(node.id, name: node.name) }
            logger.info("node registry reloaded", metadata: ["nodes": "\(keyring.nodeKeys.count)"])
        } catch {
            logger.error("node registry not reloaded", metadata: ["error": "\(error)"])
        }
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
