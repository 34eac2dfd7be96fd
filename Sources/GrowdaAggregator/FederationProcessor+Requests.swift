import Foundation
import GrowdaWire

/// What the update queue holds, for admission decisions and the status.
struct QueueLoad: Equatable, Sendable {
    /// Messages waiting.
    var count = 0
    /// Their bytes.
    var bytes = 0
    /// Age of the oldest waiting message, in seconds.
    var oldestSeconds: Double? = nil
    /// Messages dropped because the queue was full, since start.
    var dropped = 0
    /// The queue's capacity in messages.
    var capacity = 0
}

extension FederationProcessor {
    // MARK: Snapshot and status requests (ROUTERs)

    /// Acts on one request from a ROUTER (`admin`: the operators' status ROUTER), as the shell opened it.
    /// A snapshot request is answered (or waits for leave to send); a status request gets the whole status.
    /// A refused request is counted against the sender its clear header claims (`claimedBy`), as
    /// ``handle(_:bytes:claimedBy:now:)`` does.
    func handleRequest(
        _ opened: Result<Message, RejectionReason>, peer: [UInt8], admin: Bool, claimedBy: UInt32? = nil,
        queue: QueueLoad, now: Double, residentBytes: Int = 0
    ) {
        receivedTimes.append(now)  // the last minute's messages on every socket, as its refusals are
        switch opened {
        case .success(.snapshotRequest(let request)) where !admin:
            if revoked.contains(request.node) {
                // Refused, and told so: a signed reply saying "revoked", so the node stops instead of asking
                // forever (the shell seals it with the key kept for the revoked node, when there is one).
                refuse(.revokedSender, node: nil, claimedBy: request.node, settling: nil, now: now)
                actions.append(
                    .reply(
                        SnapshotReply(
                            recipient: request.node, requestID: request.requestID,
                            ackedSeq: acknowledged[request.node] ?? 0, content: .upToDate(version: strategy.version),
                            revoked: true),
                        peer: peer))
            } else {
                answer(request, peer: peer, queue: queue, now: now)
            }
        case .success(.statusRequest(let request)) where admin:
            let json = statusJSON(now: now, queue: queue, residentBytes: residentBytes)
            actions.append(.statusReply(StatusReply(requestID: request.requestID, json: json), peer: peer))
        case .success:
            refuse(.malformed, node: nil, settling: nil, now: now)
        case .failure(let reason):
            refuse(reason, node: nil, claimedBy: claimedBy, settling: nil, now: now)
        }
    }

    /// Answers a snapshot request, unless it asks leave to send and there is no room: then the request
    /// waits (one per node, the newest) and is answered as soon as a permit frees (``answerWaiting``), so
    /// a node sends the moment the aggregator can take its update.
    private func answer(_ request: SnapshotRequest, peer: [UInt8], queue: QueueLoad, now: Double) {
        heard(request.node, state: nil, version: request.haveVersion, unacked: nil, now: now)
        let acked = acknowledged[request.node] ?? 0
        let wanted = request.wantSend.flatMap { $0 > acked ? $0 : nil }
        waitingForLeave.removeAll { $0.request.node == request.node }
        if let wanted, isAtShareCap(request.node) {  // fedbuff.max_share: leave only after the next step
            countOverShare(node: request.node, seq: wanted)
            waitingForLeave.append((request, peer, now))
            return
        }
        let sendOK = admission.answer(
            node: request.node, wanted: wanted, queuedBytes: queue.bytes, queued: queue.count, now: now)
        if let wanted, sendOK < wanted {
            waitingForLeave.append((request, peer, now))
            return
        }
        reply(to: request, peer: peer, sendOK: sendOK)
    }

    /// Answers the requests waiting for leave to send, oldest first, while permits can be granted; drops
    /// those older than a permit's lifetime (their nodes have asked again since, or gone). A node at its
    /// share of the buffer (`fedbuff.max_share`) keeps waiting, without holding up the others.
    func answerWaiting(queue: QueueLoad, now: Double) {
        waitingForLeave.removeAll { now - $0.since > admission.lifetime }
        var index = 0
        while index < waitingForLeave.count {
            let entry = waitingForLeave[index]
            guard let wanted = entry.request.wantSend, !isAtShareCap(entry.request.node) else {
                index += 1
                continue
            }
            let sendOK = admission.answer(
                node: entry.request.node, wanted: wanted, queuedBytes: queue.bytes, queued: queue.count, now: now)
            guard sendOK >= wanted else { return }
            waitingForLeave.remove(at: index)
            reply(to: entry.request, peer: entry.peer, sendOK: sendOK)
        }
    }

    /// The reply: the durable acknowledgement, leave to send, the federation's mode, the best version's
    /// number, whether versions have stopped, and the latest model unless the node holds it (or a newer one:
    /// a state restored from a backup). A request for the best version (`want` = `best`) gets the best
    /// version's model instead, marked `best`, when there is one; otherwise the latest as usual.
    private func reply(to request: SnapshotRequest, peer: [UInt8], sendOK: UInt64) {
        let t = strategy.version
        let content: SnapshotReply.Content
        let sendsBest = request.want == .best && best != nil
        if sendsBest, let best {
            content = .model(best.message)
        } else if request.haveVersion.map({ $0 >= t }) == true {
            content = .upToDate(version: t)
        } else {
            do {
                content = .model(try currentModelMessage())
            } catch {
                logger.warning("snapshot reply failed", metadata: ["node.id": "\(request.node)", "error": "\(error)"])
                return
            }
        }
        let reply = SnapshotReply(
            recipient: request.node, requestID: request.requestID, ackedSeq: acknowledged[request.node] ?? 0,
            content: content, sendOK: sendOK, mode: configuration.aggregation.federationMode,
            bestVersion: best?.record.version, best: sendsBest, stopped: stopped != nil, codec: configuration.codec)
        actions.append(.reply(reply, peer: peer))
    }
}
