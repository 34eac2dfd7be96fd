import Foundation
import GrowdaAggregation
import GrowdaFederation
import GrowdaNN
import GrowdaProvisioning
import GrowdaStore
import GrowdaTestKit
import GrowdaWire
import Logging
import Testing

@testable import GrowdaAggregator

/// The processor decides admission, replay, staleness, revocation, acknowledgement order and steps with
/// no sockets: each test drives it with opened messages and the time and reads the actions it returns.
@Suite struct FederationProcessorTests {
    /// A processor for a 2-node federation (ids 1 and 2, node 2 optionally revoked) and a tiny model.
    final class Rig {
        let dir: TemporaryDirectory
        let processor: FederationProcessor
        let model: Model
        let ids: [UInt32]

        init(
            k: Int = 2, maxStaleness: Int = 2, revokeSecond: Bool = false, admissionBytes: Int = 128 << 20,
            version: UInt64 = 0, evaluates: Bool = false, configure: (inout AggregatorConfiguration) -> Void = { _ in }
        ) throws {
            dir = try TemporaryDirectory(prefix: "growda-processor")
            var federation = try Federation.create(directory: dir.path("fed"))
            let first = try federation.addNode(name: "general", bundlePath: dir.path("general.bundle"))
            let second = try federation.addNode(name: "county", bundlePath: dir.path("county.bundle"))
            ids = [first.record.id, second.record.id]
            if revokeSecond { _ = try federation.revokeNode(name: "county") }
            var configuration = try AggregatorConfiguration(federation: federation)
            configuration.model = ModelSpec(
                name: "tiny", inputShape: [1, 2, 2], classes: ["a", "b"], layers: [.flatten, .dense(units: 2)])
            configuration.aggregation = try AggregationConfig(
                settings: ["mode": "async", "fedbuff.k": String(k), "fedbuff.max_staleness": String(maxStaleness)])
            configuration.admissionBytes = admissionBytes
            configure(&configuration)
            model = try Model(spec: configuration.model, seed: 1)
            let strategy = try configuration.aggregation.makeStrategy(
                parameterCount: model.parameterCount, version: version, openedAt: 0)
            processor = FederationProcessor(
                configuration: configuration, model: model, strategy: strategy, registry: federation.registry,
                evaluates: evaluates, logger: Logger(label: "test"))
        }

        /// Hands the processor an evaluation of `version` with the model's current weights (as the evaluator
        /// would, having scored them), and returns the weights.
        @discardableResult
        func evaluated(_ version: UInt64, accuracy: Double = 0.5, auc: Double?) -> [Float] {
            let weights = Array(model.parameters.buffer)
            processor.evaluated(
                EvaluationJob(version: version, parameters: weights, state: Array(model.state.buffer)),
                Evaluation(accuracy: accuracy, auc: auc))
            return weights
        }

        /// Folds one update from the first node at the current version; with k = 1 it makes a version.
        func step(seq: UInt64) throws {
            receive(try update(ids[0], seq: seq, base: processor.version, value: Float(seq) / 10))
        }

        /// The evaluation writes among `actions`: version and the best they record, if any.
        static func evaluations(_ actions: [FederationProcessor.Action]) -> [(UInt64, BestVersion?)] {
            commits(actions).compactMap {
                if case .evaluation(_, let version, let best, _) = $0.0 { (version, best) } else { nil }
            }
        }

        /// An update of `node` with every delta value `value`.
        func update(_ node: UInt32, seq: UInt64, base: UInt64 = 0, value: Float = 0.5) throws -> Message {
            let tensors = try WireTensors(
                model.parameterViews.map {
                    WireTensor(name: $0.name, shape: $0.shape, values: Array(repeating: value, count: $0.range.count))
                })
            return .update(
                UpdateMessage(node: node, seq: seq, baseVersion: base, sampleCount: 10, metrics: [:], delta: tensors))
        }

        func heartbeat(_ node: UInt32, seq: UInt64, state: HeartbeatMessage.State) -> Message {
            .heartbeat(
                HeartbeatMessage(node: node, seq: seq, modelVersion: 0, state: state, unackedCount: 0, unackedSeqs: []))
        }

        /// Sends `message` as if from PULL at time `now`.
        func receive(_ message: Message, now: Double = 1) {
            processor.handle(.success(message), bytes: 100, now: now)
        }

        /// What a restarted aggregator finds: `writes` committed to a state folder in the rig's folder (after
        /// the first start, which commits version 0), reopened and recovered. The store stays open.
        func restart(
            after writes: [(StoreWrite, [UInt32: UInt64])]
        ) throws -> (store: StateStore, recovered: Aggregator.Recovered) {
            let store = try StateStore(folder: dir.path("state"))
            let logger = Logger(label: "test")
            _ = try Aggregator.recover(store: store, configuration: processor.configuration, logger: logger)
            for (write, _) in writes { try write.apply(to: store) }
            try store.close()
            let reopened = try StateStore(folder: dir.path("state"))
            let recovered = try Aggregator.recover(
                store: reopened, configuration: processor.configuration, logger: logger)
            return (reopened, recovered)
        }

        /// The commits among `actions`, with their acknowledgements.
        static func commits(_ actions: [FederationProcessor.Action]) -> [(StoreWrite, [UInt32: UInt64])] {
            actions.compactMap { if case .commit(let write, let acks) = $0 { (write, acks) } else { nil } }
        }

        /// Asks for a snapshot as node `node` would and returns the reply it got, if any.
        func ask(
            _ node: UInt32, want: UInt64? = nil, have: UInt64? = nil, model: SnapshotRequest.Want = .latest,
            now: Double = 1
        ) -> SnapshotReply? {
            processor.handleRequest(
                .success(
                    .snapshotRequest(
                        SnapshotRequest(node: node, requestID: 9, haveVersion: have, wantSend: want, want: model))),
                peer: [1], admin: false, queue: QueueLoad(capacity: 64), now: now)
            return processor.takeActions().compactMap { if case .reply(let r, _) = $0 { r } else { nil } }.last
        }
    }

    @Test func anUpdateIsAcknowledgedOnlyAfterItsWriteFinishes() throws {
        let rig = try Rig(k: 5)
        let node = rig.ids[0]
        rig.receive(try rig.update(node, seq: 1))
        #expect(rig.ask(node)?.ackedSeq == 0)  // folded, not yet written
        rig.processor.flushBatch()
        let commits = Rig.commits(rig.processor.takeActions())
        #expect(commits.count == 1)
        guard case .batch(let batch, let buffer, _, _) = commits[0].0 else { Issue.record("not a batch"); return }
        #expect(batch.accepted.map(\.seq) == [1] && buffer?.count == 1 && commits[0].1 == [node: 1])
        #expect(rig.ask(node)?.ackedSeq == 0)  // handed over, still not written
        rig.processor.acknowledge(commits[0].1)
        #expect(rig.ask(node)?.ackedSeq == 1)
        rig.processor.acknowledge([node: 0])  // an older acknowledgement never lowers it
        #expect(rig.ask(node)?.ackedSeq == 1)
    }

    @Test func aResentOrOlderUpdateIsRefusedAsReplayAndNotFoldedTwice() throws {
        let rig = try Rig(k: 5)
        let node = rig.ids[0]
        rig.receive(try rig.update(node, seq: 2))
        rig.receive(try rig.update(node, seq: 2))
        rig.receive(try rig.update(node, seq: 1))
        #expect(rig.processor.rejections.count(of: .replay) == 2)
        #expect(rig.processor.strategy.pending.count == 1)
        #expect(rig.processor.tallies[node]?.accepted == 1 && rig.processor.tallies[node]?.refused == 2)
    }

    @Test func aStaleUpdateIsRefusedAndSettledSoTheNodeStopsResendingIt() throws {
        let rig = try Rig(k: 1, maxStaleness: 1)
        let node = rig.ids[0]
        for seq in 1...3 { rig.receive(try rig.update(node, seq: UInt64(seq), base: UInt64(seq - 1))) }
        #expect(rig.processor.version == 3)
        rig.receive(try rig.update(node, seq: 4, base: 1))  // staleness 2 > 1
        #expect(rig.processor.rejections.count(of: .stale) == 1)
        rig.processor.flushBatch()
        let acks = Rig.commits(rig.processor.takeActions()).map(\.1)
        #expect(acks.last == [node: 4])  // the refusal settles seq 4: acknowledged once written
    }

    @Test func aStepCommitsTheVersionWithItsUpdatesAndBroadcastsIt() throws {
        let rig = try Rig(k: 2)
        let (a, b) = (rig.ids[0], rig.ids[1])
        let before = Array(rig.model.parameters.buffer)
        rig.receive(try rig.update(a, seq: 1, value: 0.5))
        #expect(rig.processor.version == 0)
        rig.receive(try rig.update(b, seq: 1, value: 1.5))
        #expect(rig.processor.version == 1)
        let actions = rig.processor.takeActions()
        let commits = Rig.commits(actions)
        guard case .version(let version, _, let accepted, _) = commits.first?.0 else {
            Issue.record("no version commit")
            return
        }
        #expect(version == 1 && accepted.count == 2 && commits[0].1 == [a: 1, b: 1])
        let broadcasts = actions.compactMap { if case .broadcast(let m) = $0 { m.version } else { nil } }
        #expect(broadcasts == [1])
        // Equal sample counts and staleness 0: w += η · mean(Δ) = w + 0.5 · 1.0 (server.lr defaults to 0.5).
        let after = Array(rig.model.parameters.buffer)
        let moved = zip(after, before).map { $0 - $1 }
        #expect(moved.allSatisfy { abs($0 - 0.5) < 1e-6 }, "max |diff| \(moved.map { abs($0 - 0.5) }.max() ?? 0)")
        #expect(rig.processor.batch.accepted.isEmpty)
    }

    @Test func aRevokedNodeIsRefusedWhateverItSends() throws {
        let rig = try Rig(revokeSecond: true)
        let revoked = rig.ids[1]
        rig.receive(try rig.update(revoked, seq: 1))
        rig.receive(rig.heartbeat(revoked, seq: 10, state: .idle))
        // Its request is refused too, and answered with a notice that carries nothing but "revoked".
        let notice = try #require(rig.ask(revoked))
        #expect(notice.revoked && notice.model == nil && notice.sendOK == nil && notice.recipient == revoked)
        #expect(rig.processor.rejections.count(of: .revokedSender) == 3)
        #expect(rig.processor.strategy.pending.count == 0)
        let row = rig.processor.status(now: 2, queue: QueueLoad(), residentBytes: 0).nodes.first { $0.id == revoked }
        #expect(row?.state == .revoked)
    }

    @Test func aHeartbeatThatDoesNotGrowIsRefusedAndChangesNothing() throws {
        let rig = try Rig()
        let node = rig.ids[0]
        rig.receive(rig.heartbeat(node, seq: 100, state: .training), now: 1)
        rig.receive(rig.heartbeat(node, seq: 99, state: .idle), now: 2)  // delayed: older
        rig.receive(rig.heartbeat(node, seq: 100, state: .idle), now: 2)  // repeated
        #expect(rig.processor.rejections.count(of: .replay) == 2)
        let row = rig.processor.status(now: 2, queue: QueueLoad(), residentBytes: 0).nodes.first { $0.id == node }
        #expect(row?.state == .training)
        rig.receive(rig.heartbeat(node, seq: 101, state: .idle), now: 3)
        #expect(rig.processor.status(now: 3, queue: QueueLoad(), residentBytes: 0).nodes.first { $0.id == node }?.state == .idle)
    }

    @Test func leaveToSendWaitsForRoomAndIsGrantedWhenAPermitFrees() throws {
        // Room for one update on the way: the second node waits until the first's update is handled.
        let rig = try Rig(k: 5, admissionBytes: 1)
        let (a, b) = (rig.ids[0], rig.ids[1])
        #expect(rig.ask(a, want: 1)?.sendOK == 1)
        #expect(rig.ask(b, want: 1) == nil)  // waits, unanswered
        #expect(rig.processor.waitingForLeave.count == 1)
        rig.processor.answerWaiting(queue: QueueLoad(capacity: 64), now: 1)
        #expect(rig.processor.takeActions().isEmpty)
        rig.receive(try rig.update(a, seq: 1))  // a's update arrives: its permit ends
        _ = rig.processor.takeActions()
        rig.processor.answerWaiting(queue: QueueLoad(capacity: 64), now: 2)
        let replies = rig.processor.takeActions().compactMap { if case .reply(let r, _) = $0 { r } else { nil } }
        #expect(replies.map(\.recipient) == [b] && replies.first?.sendOK == 1)
    }

    @Test func aNodeThatHoldsTheLatestVersionGetsNoModel() throws {
        let rig = try Rig()
        #expect(rig.ask(rig.ids[0], have: nil)?.model != nil)
        #expect(rig.ask(rig.ids[0], have: 0)?.model == nil)
    }

    /// A node whose bundle holds a wrong key: every message fails as bad_mac. Its refusals are counted
    /// against the id its clear header claims, its row says so with what to do, and a node that also
    /// sends authenticated messages in the same minute is not flagged (one forged message proves nothing).
    @Test func messagesFailingAuthenticationAreCountedAgainstTheIdTheyClaim() throws {
        let rig = try Rig()
        let (wrong, good) = (rig.ids[0], rig.ids[1])
        for i in 0..<5 {
            rig.processor.handle(.failure(.badMAC), bytes: 100, claimedBy: wrong, now: 10 + Double(i))
            rig.processor.handle(.failure(.badMAC), bytes: 100, claimedBy: good, now: 10 + Double(i))
        }
        rig.processor.handleRequest(
            .failure(.badMAC), peer: [1], admin: false, claimedBy: wrong, queue: QueueLoad(capacity: 64), now: 15)
        rig.receive(rig.heartbeat(good, seq: 1, state: .idle), now: 15)
        rig.processor.handle(.failure(.badMAC), bytes: 100, claimedBy: 999, now: 15)  // no such node: not kept

        let status = rig.processor.status(now: 16, queue: QueueLoad(), residentBytes: 0)
        // Requests count as received as their refusals count as refused: the health ratio stays ≤ 1.
        #expect(status.received_last_minute == 13 && status.refused_last_minute == 12)
        let rows = status.nodes
        let bad = try #require(rows.first { $0.id == wrong })
        #expect(bad.state == .refused && bad.refused == 0 && bad.refused_claimed == ["bad_mac": 6])
        #expect(bad.problem?.contains("bad_mac") == true && bad.problem?.contains("growda node add") == true)
        let fine = try #require(rows.first { $0.id == good })
        #expect(fine.state == .idle && fine.problem == nil && fine.refused_claimed == ["bad_mac": 5])
        #expect(rig.processor.claims[999] == nil)
        // A minute later the window is empty: the row keeps its counts but no longer says "refused".
        let later = rig.processor.status(now: 16 + 61, queue: QueueLoad(), residentBytes: 0).nodes
        #expect(later.first { $0.id == wrong }.map { $0.problem == nil && $0.state == .neverSeen } == true)
    }

    /// A revoked node that keeps sending shows in its row (refusals claimed by it, a problem), so health
    /// does not read healthy while its traffic still arrives.
    @Test func aRevokedNodeStillSendingIsAProblemInItsRow() throws {
        let rig = try Rig(revokeSecond: true)
        let revoked = rig.ids[1]
        for i in 0..<3 { rig.receive(rig.heartbeat(revoked, seq: UInt64(i + 1), state: .idle), now: 1 + Double(i)) }
        rig.processor.handleRequest(
            .success(.snapshotRequest(SnapshotRequest(node: revoked, requestID: 1, haveVersion: nil, wantSend: nil))),
            peer: [1], admin: false, queue: QueueLoad(capacity: 64), now: 4)
        let row = try #require(rig.processor.status(now: 5, queue: QueueLoad(), residentBytes: 0).nodes.first { $0.id == revoked })
        #expect(row.state == .revoked && row.refused_claimed == ["revoked_sender": 4])
        #expect(row.problem?.hasPrefix("revoked, yet still sending: 4 messages") == true)
        #expect(rig.processor.liveness[revoked] == nil)  // never counted as heard
    }
}
