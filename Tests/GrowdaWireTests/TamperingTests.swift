import GrowdaCrypto
import Testing

@testable import GrowdaWire

/// Messages altered, truncated, padded, replayed or sent with the wrong key: each refused with the
/// reason the protocol document gives, and each refusal counted.
@Suite struct TamperingTests {
    /// Frames of a valid update from node 7, seq 5.
    static func validUpdate() throws -> [[UInt8]] { try Fixture.frames(.update(Fixture.update())) }

    /// Frames of a valid model broadcast.
    static func validModel() throws -> [[UInt8]] { try Fixture.frames(.model(Fixture.model())) }

    /// Receives `frames` at a fresh aggregator (or node, for aggregator → node types) and checks the
    /// refusal and its count.
    static func expectRefused(
        _ frames: [[UInt8]], as reason: RejectionReason, limits: WireLimits = .standard,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let counter = RejectionCounter()
        let result = Fixture.open(frames, counter: counter, limits: limits)
        #expect(result.failure == reason, sourceLocation: sourceLocation)
        #expect(counter.count(of: reason) == 1, sourceLocation: sourceLocation)
        #expect(counter.total == 1, sourceLocation: sourceLocation)
    }

    @Test(arguments: [12, 20, 35])
    func flippedNonceBitIsBadMAC(offset: Int) throws {
        var frames = try Self.validUpdate()
        frames[0][offset] ^= 0x80
        Self.expectRefused(frames, as: .badMAC)
    }

    @Test(arguments: [0, 7, 15])
    func flippedTagBitIsBadMAC(offset: Int) throws {
        var frames = try Self.validUpdate()
        frames[1][offset] ^= 0x01
        Self.expectRefused(frames, as: .badMAC)
    }

    @Test func flippedBodyBitsAreBadMAC() throws {
        let valid = try Self.validUpdate()
        for offset in stride(from: SecretBox.macByteCount, to: valid[1].count, by: 37) {
            var frames = valid
            frames[1][offset] ^= 0x04
            Self.expectRefused(frames, as: .badMAC)
        }
    }

    @Test func alteredSignedModelIsRefusedBeforeDecrypting() throws {
        for frameIndex in 0..<3 {
            var frames = try Self.validModel()
            frames[frameIndex][frameIndex == 0 ? 30 : 40] ^= 0x10
            Self.expectRefused(frames, as: .badMAC)
        }
    }

    @Test func modelSignedByAnotherKeyIsBadMAC() throws {
        let model = Fixture.model()
        let forged = try WireEncoder.encode(model, modelKey: Fixture.modelKey, signingKey: Fixture.forgerKey)
        Self.expectRefused(forged, as: .badMAC)
    }

    @Test func wrongKeyIsBadMAC() throws {
        let frames = try WireEncoder.encode(Fixture.update(), nodeKey: Fixture.otherNodeKey)
        Self.expectRefused(frames, as: .badMAC)
    }

    @Test func headerRelabelledToAnotherTypeOfTheSameKeyIsBadMAC() throws {
        var frames = try Self.validUpdate()
        frames[0][5] = MessageType.heartbeat.rawValue
        Self.expectRefused(frames, as: .badMAC)
    }

    @Test func headerRelabelledToAnotherNodeIsBadMAC() throws {
        var frames = try Self.validUpdate()
        frames[0][8] = UInt8(Fixture.otherNode)
        Self.expectRefused(frames, as: .badMAC)
    }

    @Test func bodyNamingAnotherSenderIsBadMAC() throws {
        var fields = Crafting.updateFields
        fields["sender"] = "8"
        Self.expectRefused(try Crafting.update(fields: fields), as: .badMAC)
    }

    @Test func replyForAnotherNodeIsBadMAC() throws {
        let reply = SnapshotReply(
            recipient: Fixture.otherNode, requestID: 1, ackedSeq: 0, content: .upToDate(version: 3))
        let frames = try WireEncoder.encode(reply, nodeKey: Fixture.nodeKey, signingKey: Fixture.signingKey)
        Self.expectRefused(frames, as: .badMAC)
    }

    @Test func replayedSequenceNumberIsRefusedAndCounted() throws {
        var aggregator = MiniAggregator()
        let frames = try Self.validUpdate()
        #expect(aggregator.receive(frames).failure == nil)
        #expect(aggregator.receive(frames).failure == .replay)
        let older = try Fixture.frames(.update(Fixture.update(seq: 4)))
        #expect(aggregator.receive(older).failure == .replay)
        let newer = try Fixture.frames(.update(Fixture.update(seq: 6)))
        #expect(aggregator.receive(newer).failure == nil)
        #expect(aggregator.counter.count(of: .replay) == 2)
        #expect(aggregator.counter.total == 2)
    }

    @Test func revokedNodeIsRefusedAndCounted() throws {
        var update = Fixture.update()
        update.node = Fixture.revokedNode
        Self.expectRefused(try WireEncoder.encode(update, nodeKey: Fixture.revokedNodeKey), as: .revokedSender)
    }

    @Test func oversizeFramesAreRefusedBeforeDecrypting() throws {
        var frames = try Self.validUpdate()
        frames[1][20] ^= 0xFF
        let size = frames.reduce(0) { $0 + $1.count }
        Self.expectRefused(frames, as: .oversize, limits: WireLimits(maxMessageBytes: size - 1))
        Self.expectRefused(frames, as: .badMAC, limits: WireLimits(maxMessageBytes: size))
    }

    @Test func oversizeCountsEveryFrame() throws {
        var frames = try Self.validUpdate()
        let size = frames.reduce(0) { $0 + $1.count }
        frames += Array(repeating: [UInt8](repeating: 0, count: 1000), count: 3)
        Self.expectRefused(frames, as: .oversize, limits: WireLimits(maxMessageBytes: size + 2999))
    }

    @Test func truncatedFramesAreRefused() throws {
        let update = try Self.validUpdate()
        Self.expectRefused([Array(update[0].dropLast()), update[1]], as: .malformed)
        Self.expectRefused([update[0], Array(update[1].dropLast())], as: .badMAC)
        Self.expectRefused([update[0], Array(update[1].prefix(15))], as: .malformed)
        Self.expectRefused([update[0]], as: .malformed)
        let model = try Self.validModel()
        Self.expectRefused([model[0], model[1], Array(model[2].dropLast())], as: .malformed)
        Self.expectRefused([model[0], model[1]], as: .malformed)
    }

    @Test func extraFramesAreRefused() throws {
        let update = try Self.validUpdate()
        Self.expectRefused(update + [[]], as: .malformed)
        Self.expectRefused(update + [[1, 2, 3], [4]], as: .malformed)
        Self.expectRefused([], as: .malformed)
        let model = try Self.validModel()
        Self.expectRefused(model + [model[2]], as: .malformed)
    }

    @Test func wrongMagicFlagsOrTypeAreMalformed() throws {
        for (offset, value) in [(0, UInt8(ascii: "X")), (3, 0), (5, 0), (5, 8), (6, 1), (7, 0x80)] {
            var frames = try Self.validUpdate()
            frames[0][offset] = value
            Self.expectRefused(frames, as: .malformed)
        }
    }

    @Test func unsupportedVersionIsNamed() throws {
        for version: UInt8 in [0, 2, 255] {
            var frames = try Self.validUpdate()
            frames[0][4] = version
            Self.expectRefused(frames, as: .unsupportedVersion)
        }
    }

    @Test func senderOutsideItsRoleIsUnknown() throws {
        var frames = try Self.validUpdate()
        frames[0][8...11] = [0, 0, 0, 0]
        Self.expectRefused(frames, as: .unknownSender)
        var model = try Self.validModel()
        model[0][8] = 7
        Self.expectRefused(model, as: .unknownSender)
        let status = try Fixture.frames(.statusRequest(StatusRequest(requestID: 1, what: "summary")))
        let counter = RejectionCounter()
        let refused = WireDecoder.open(status, keys: AggregatorKeyring(nodeKeys: [:]), counter: counter)
        #expect(refused.failure == .unknownSender)
        #expect(counter.count(of: .unknownSender) == 1)
    }

    @Test func aggregatorRefusesAggregatorMessagesAndNodesRefuseNodeMessages() throws {
        let model = try Self.validModel()
        #expect(WireDecoder.open(model, keys: Fixture.aggregatorKeys).failure == .unknownSender)
        let update = try Self.validUpdate()
        #expect(WireDecoder.open(update, keys: Fixture.nodeKeys).failure == .unknownSender)
        #expect(WireDecoder.open(update, keys: Fixture.operatorKeys).failure == .unknownSender)
    }
}
