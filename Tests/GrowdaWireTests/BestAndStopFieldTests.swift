import GrowdaCrypto
import Testing

@testable import GrowdaWire

/// The best version and stop rules on the wire: `want` in a snapshot request, `best_version`, `best` and
/// `stopped` in a snapshot reply. Each round-trips, stays absent when not given (as older peers send), and
/// any other form is malformed.
@Suite struct BestAndStopFieldTests {
    static let requestFields = [
        "type": "snapshot_request", "sender": "7", "request_id": "1", "have_version": "3",
    ]

    static func craftedRequest(_ extra: [String: String]) throws -> Result<Message, RejectionReason> {
        let fields = requestFields.merging(extra) { $1 }
        let frames = try Crafting.frames(
            type: .snapshotRequest, sender: Fixture.node, plaintext: try Crafting.body(metadata: fields),
            key: Fixture.nodeKey)
        return WireDecoder.open(frames, keys: Fixture.aggregatorKeys)
    }

    static func craftedReply(_ extra: [String: String]) throws -> Result<Message, RejectionReason> {
        let fields = BodyFieldTests.snapshotReplyFields.merging(extra) { $1 }
        let frames = try Crafting.frames(
            type: .snapshotReply, sender: 0, plaintext: try Crafting.body(metadata: fields), key: Fixture.nodeKey,
            signingKey: Fixture.signingKey)
        return WireDecoder.open(frames, keys: Fixture.nodeKeys)
    }

    @Test(arguments: [SnapshotRequest.Want.latest, .best])
    func wantRoundTrips(want: SnapshotRequest.Want) throws {
        let request = SnapshotRequest(node: Fixture.node, requestID: 5, haveVersion: 9, wantSend: 2, want: want)
        let frames = try WireEncoder.encode(request, nodeKey: Fixture.nodeKey)
        #expect(try WireDecoder.open(frames, keys: Fixture.aggregatorKeys).get() == .snapshotRequest(request))
    }

    @Test func wantAsWrittenAndAbsentMeansLatest() throws {
        for (text, want) in [(String?.none, SnapshotRequest.Want.latest), ("latest", .latest), ("best", .best)] {
            guard case .snapshotRequest(let request) = try Self.craftedRequest(text.map { ["want": $0] } ?? [:]).get()
            else {
                Issue.record("expected a snapshot request")
                continue
            }
            #expect(request.want == want)
        }
    }

    @Test(arguments: ["", "BEST", "Best", "best ", "newest", "true"])
    func unknownWantIsMalformed(text: String) throws {
        #expect(try Self.craftedRequest(["want": text]).failure == .malformed)
    }

    @Test func bestVersionBestAndStoppedRoundTrip() throws {
        let model = ModelMessage(
            version: 612, created: 1_700_000_000_000, spec: "{}", weights: Fixture.tensors(seed: 3))
        let reply = SnapshotReply(
            recipient: 7, requestID: 9, ackedSeq: 2, content: .model(model), sendOK: 3, mode: .async,
            bestVersion: 612, best: true, stopped: true)
        let frames = try WireEncoder.encode(reply, nodeKey: Fixture.nodeKey, signingKey: Fixture.signingKey)
        guard case .snapshotReply(let decoded) = try WireDecoder.open(frames, keys: Fixture.nodeKeys).get() else {
            Issue.record("expected a snapshot reply")
            return
        }
        #expect(decoded == reply)
        #expect(decoded.best && decoded.stopped && decoded.bestVersion == 612 && decoded.model?.version == 612)

        let plain = SnapshotReply(recipient: 7, requestID: 9, ackedSeq: 2, content: .upToDate(version: 2600))
        let plainFrames = try WireEncoder.encode(plain, nodeKey: Fixture.nodeKey, signingKey: Fixture.signingKey)
        guard case .snapshotReply(let old) = try WireDecoder.open(plainFrames, keys: Fixture.nodeKeys).get() else {
            Issue.record("expected a snapshot reply")
            return
        }
        #expect(old.bestVersion == nil && !old.best && !old.stopped)
    }

    /// A model's privacy policy rides in `privacy`, in a broadcast and in a snapshot reply that carries the
    /// model; a model without one has no such field.
    @Test func privacyPolicyRoundTrips() throws {
        let policy = #"{"delta":1e-05,"dp_clip":1,"dp_noise":1.1}"#
        let model = ModelMessage(
            version: 8, created: 1_700_000_000_000, spec: "{}", weights: Fixture.tensors(seed: 2), privacy: policy)
        let broadcast = try WireEncoder.encode(model, modelKey: Fixture.modelKey, signingKey: Fixture.signingKey)
        #expect(try WireDecoder.open(broadcast, keys: Fixture.nodeKeys).get() == .model(model))
        let reply = SnapshotReply(recipient: 7, requestID: 1, ackedSeq: 0, content: .model(model))
        let frames = try WireEncoder.encode(reply, nodeKey: Fixture.nodeKey, signingKey: Fixture.signingKey)
        guard case .snapshotReply(let decoded) = try WireDecoder.open(frames, keys: Fixture.nodeKeys).get() else {
            Issue.record("expected a snapshot reply")
            return
        }
        #expect(decoded.model?.privacy == policy)
        var plain = model
        plain.privacy = nil
        let plainFrames = try WireEncoder.encode(plain, modelKey: Fixture.modelKey, signingKey: Fixture.signingKey)
        #expect(try WireDecoder.open(plainFrames, keys: Fixture.nodeKeys).get() == .model(plain))
    }

    @Test func bestVersionAsWritten() throws {
        guard case .snapshotReply(let reply) = try Self.craftedReply(["best_version": "612", "stopped": "true"]).get()
        else {
            Issue.record("expected a snapshot reply")
            return
        }
        #expect(reply.bestVersion == 612 && reply.stopped && !reply.best && reply.latestVersion == 3)
    }

    @Test(arguments: [
        ("best", "false"), ("best", "TRUE"), ("best", ""), ("stopped", "false"), ("stopped", "1"),
        ("best_version", "-1"), ("best_version", "007"), ("best_version", "none"),
    ])
    func otherFormsAreMalformed(key: String, value: String) throws {
        #expect(try Self.craftedReply([key: value]).failure == .malformed)
    }
}
