import GrowdaCrypto
import Testing

@testable import GrowdaWire

/// Authenticated bodies that break a rule of their own: fields missing or not canonical, limits passed,
/// tensors where none belong. Built with the safetensors writer, not the wire encoder.
@Suite struct BodyFieldTests {
    static func open(_ frames: [[UInt8]], limits: WireLimits = .standard) -> Result<Message, RejectionReason> {
        WireDecoder.open(frames, keys: Fixture.aggregatorKeys, limits: limits)
    }

    @Test func handBuiltUpdateDecodes() throws {
        let decoded = try Self.open(try Crafting.update(fields: Crafting.updateFields)).get()
        guard case .update(let update) = decoded else {
            Issue.record("expected an update")
            return
        }
        #expect(update.seq == 5 && update.baseVersion == 10 && update.sampleCount == 3 && update.metrics.isEmpty)
        #expect(Fixture.layout.matches(update.delta))
    }

    @Test(arguments: ["type", "sender", "seq", "base_version", "samples", "metrics"])
    func missingFieldIsMalformed(field: String) throws {
        var fields = Crafting.updateFields
        fields[field] = nil
        #expect(Self.open(try Crafting.update(fields: fields)).failure == .malformed)
    }

    @Test(arguments: ["", "007", "+5", " 5", "5 ", "-1", "5.0", "0x10", "18446744073709551616", "٣"])
    func nonCanonicalNumberIsMalformed(text: String) throws {
        var fields = Crafting.updateFields
        fields["seq"] = text
        #expect(Self.open(try Crafting.update(fields: fields)).failure == .malformed)
    }

    @Test func largestNumbersAreRead() throws {
        var fields = Crafting.updateFields
        fields["seq"] = "18446744073709551615"
        fields["samples"] = "0"
        let decoded = try Self.open(try Crafting.update(fields: fields)).get()
        guard case .update(let update) = decoded else { return }
        #expect(update.seq == .max && update.sampleCount == 0)
    }

    @Test func senderOutOfRangeIsMalformed() throws {
        var fields = Crafting.updateFields
        fields["sender"] = "4294967303"  // 2^32 + 7
        #expect(Self.open(try Crafting.update(fields: fields)).failure == .malformed)
    }

    @Test func unknownFieldsAreIgnored() throws {
        var fields = Crafting.updateFields
        fields["x-future"] = "anything"
        #expect(Self.open(try Crafting.update(fields: fields)).failure == nil)
    }

    @Test func metricsAsPythonWritesThemAreRead() throws {
        var fields = Crafting.updateFields
        fields["metrics"] = #" { "loss": 0.25, "val_accuracy" : 1E-3, "caf\u00e9 \ud83d\ude00": -2, "a\/b\n": 0 } "#
        let decoded = try Self.open(try Crafting.update(fields: fields)).get()
        guard case .update(let update) = decoded else { return }
        #expect(update.metrics == ["loss": 0.25, "val_accuracy": 0.001, "café 😀": -2, "a/b\n": 0])
    }

    @Test(arguments: [
        "", "[]", "{", "{}x", #"{"a":NaN}"#, #"{"a":Infinity}"#, #"{"a":1e999}"#, #"{"a":01}"#, #"{"a":.5}"#,
        #"{"a":1.}"#, #"{"a":"1"}"#, #"{"a":1,"a":2}"#, #"{"a":1,}"#, #"{a:1}"#, #"{"\ud800":1}"#, #"{"\x":1}"#,
        "{\"tab\there\":1}", #"{"a":true}"#, #"{"a":-}"#, #"{"a":1e}"#,
    ])
    func badMetricsAreMalformed(text: String) throws {
        var fields = Crafting.updateFields
        fields["metrics"] = text
        #expect(Self.open(try Crafting.update(fields: fields)).failure == .malformed)
    }

    @Test func tooManyMetricsIsOversize() throws {
        var fields = Crafting.updateFields
        fields["metrics"] = "{" + (0..<5).map { "\"m\($0)\":1" }.joined(separator: ",") + "}"
        #expect(Self.open(try Crafting.update(fields: fields), limits: WireLimits(maxMetrics: 4)).failure == .oversize)
        #expect(Self.open(try Crafting.update(fields: fields), limits: WireLimits(maxMetrics: 5)).failure == nil)
    }

    @Test func nonF32TensorIsWrongTensors() throws {
        var tensors = Crafting.layoutTensors()
        tensors[0].dtype = .I32
        #expect(
            Self.open(try Crafting.update(fields: Crafting.updateFields, tensors: tensors)).failure == .wrongTensors)
    }

    @Test func tensorsInAHeartbeatAreMalformed() throws {
        let body = try Crafting.body(metadata: Crafting.heartbeatFields, tensors: Crafting.layoutTensors())
        let frames = try Crafting.frames(type: .heartbeat, sender: 7, plaintext: body, key: Fixture.nodeKey)
        #expect(Self.open(frames).failure == .malformed)
    }

    @Test(arguments: [
        ("state", "asleep", RejectionReason.malformed), ("version", "", .malformed), ("version", "None", .malformed),
        ("unacked", "1", .malformed), ("unacked_seqs", "3,2", .malformed), ("unacked_seqs", "3,3", .malformed),
        ("unacked_seqs", "1,", .malformed), ("unacked_seqs", ",1", .malformed), ("unacked_seqs", "1, 2", .malformed),
        ("unacked_seqs", "1,2,3,4,5", .oversize),
    ])
    func badHeartbeatFieldsAreRefused(field: String, value: String, reason: RejectionReason) throws {
        var fields = Crafting.heartbeatFields
        fields["unacked"] = "9"
        fields["unacked_seqs"] = "1,2"
        fields[field] = value
        let body = try Crafting.body(metadata: fields)
        let frames = try Crafting.frames(type: .heartbeat, sender: 7, plaintext: body, key: Fixture.nodeKey)
        #expect(Self.open(frames, limits: WireLimits(maxUnackedSeqs: 4)).failure == reason)
    }

    @Test func snapshotReplyWithoutModelMustCarryNoTensors() throws {
        let fields = [
            "type": "snapshot_reply", "sender": "0", "recipient": "7", "request_id": "1", "version": "3",
            "acked_seq": "0", "has_model": "false",
        ]
        let body = try Crafting.body(metadata: fields, tensors: Crafting.layoutTensors())
        let frames = try Crafting.frames(
            type: .snapshotReply, sender: 0, plaintext: body, key: Fixture.nodeKey, signingKey: Fixture.signingKey)
        #expect(WireDecoder.open(frames, keys: Fixture.nodeKeys).failure == .malformed)
        let bare = try Crafting.frames(
            type: .snapshotReply, sender: 0, plaintext: try Crafting.body(metadata: fields), key: Fixture.nodeKey,
            signingKey: Fixture.signingKey)
        #expect(WireDecoder.open(bare, keys: Fixture.nodeKeys).failure == nil)
    }

    /// `mode` round-trips as `async`/`sync` and stays absent (nil) when not given, as older aggregators send.
    @Test(arguments: [FederationMode?.none, .async, .sync])
    func snapshotReplyModeRoundTrips(mode: FederationMode?) throws {
        let reply = SnapshotReply(
            recipient: 7, requestID: 9, ackedSeq: 2, content: .upToDate(version: 4), sendOK: 3, mode: mode)
        let frames = try WireEncoder.encode(reply, nodeKey: Fixture.nodeKey, signingKey: Fixture.signingKey)
        let decoded = try WireDecoder.open(frames, keys: Fixture.nodeKeys).get()
        #expect(decoded == .snapshotReply(reply))
        guard case .snapshotReply(let body) = decoded else { return }
        #expect(body.mode == mode)
    }

    static let snapshotReplyFields = [
        "type": "snapshot_reply", "sender": "0", "recipient": "7", "request_id": "1", "version": "3",
        "acked_seq": "0", "has_model": "false",
    ]

    static func craftedReply(mode: String?) throws -> Result<Message, RejectionReason> {
        var fields = snapshotReplyFields
        fields["mode"] = mode
        let frames = try Crafting.frames(
            type: .snapshotReply, sender: 0, plaintext: try Crafting.body(metadata: fields), key: Fixture.nodeKey,
            signingKey: Fixture.signingKey)
        return WireDecoder.open(frames, keys: Fixture.nodeKeys)
    }

    /// A hand-built reply: `mode` absent reads as nil, `async`/`sync` as themselves.
    @Test func snapshotReplyModeAsWritten() throws {
        for (text, mode) in [(String?.none, FederationMode?.none), ("async", .async), ("sync", .sync)] {
            guard case .snapshotReply(let reply) = try Self.craftedReply(mode: text).get() else {
                Issue.record("expected a snapshot reply")
                continue
            }
            #expect(reply.mode == mode)
        }
    }

    @Test(arguments: ["", "SYNC", "Async", "synchronous", " sync", "sync ", "none", "0"])
    func unknownSnapshotReplyModeIsMalformed(text: String) throws {
        #expect(try Self.craftedReply(mode: text).failure == .malformed)
    }

    /// Revocation: `model_key` (the new model key sealed under the recipient's key) and `revoked`
    /// round-trip; only the recipient opens the key; any other form of either field is malformed.
    @Test func snapshotReplyModelKeyAndRevokedRoundTrip() throws {
        let modelKey = try SecretBoxKey.generate()
        let box = try modelKey.wrapped(under: Fixture.nodeKey)
        let reply = SnapshotReply(
            recipient: 7, requestID: 9, ackedSeq: 2, content: .upToDate(version: 4), modelKey: box)
        let frames = try WireEncoder.encode(reply, nodeKey: Fixture.nodeKey, signingKey: Fixture.signingKey)
        guard case .snapshotReply(let decoded) = try WireDecoder.open(frames, keys: Fixture.nodeKeys).get() else {
            Issue.record("expected a snapshot reply")
            return
        }
        #expect(decoded == reply && !decoded.revoked)
        #expect(try SecretBoxKey(unwrapping: try #require(decoded.modelKey), with: Fixture.nodeKey) == modelKey)
        #expect(throws: CryptoError.authenticationFailure) {
            _ = try SecretBoxKey(unwrapping: box, with: try SecretBoxKey.generate())
        }

        let notice = SnapshotReply(recipient: 7, requestID: 9, ackedSeq: 0, content: .upToDate(version: 4), revoked: true)
        let noticeFrames = try WireEncoder.encode(notice, nodeKey: Fixture.nodeKey, signingKey: Fixture.signingKey)
        #expect(try WireDecoder.open(noticeFrames, keys: Fixture.nodeKeys).get() == .snapshotReply(notice))

        for (key, value) in [
            ("revoked", "false"), ("revoked", "TRUE"), ("model_key", "00"),
            ("model_key", String(repeating: "g", count: 144)), ("model_key", String(repeating: "A", count: 144)),
        ] {
            var fields = Self.snapshotReplyFields
            fields[key] = value
            let crafted = try Crafting.frames(
                type: .snapshotReply, sender: 0, plaintext: try Crafting.body(metadata: fields), key: Fixture.nodeKey,
                signingKey: Fixture.signingKey)
            #expect(WireDecoder.open(crafted, keys: Fixture.nodeKeys).failure == .malformed, "\(key) = \(value)")
        }
    }

    @Test func bodyLimitsAreOversize() throws {
        let frames = try Crafting.update(fields: Crafting.updateFields)
        #expect(Self.open(frames, limits: WireLimits(maxTensors: 1)).failure == .oversize)
        #expect(Self.open(frames, limits: WireLimits(maxHeaderBytes: 64)).failure == .oversize)
        #expect(Self.open(frames, limits: WireLimits(maxMetadataBytes: 40)).failure == .oversize)
        #expect(Self.open(frames).failure == nil)
    }

    @Test func headerLengthPastTheBodyIsMalformed() throws {
        var body = try Crafting.body(metadata: Crafting.updateFields)
        body[0...7] = [0xFF, 0xFF, 0, 0, 0, 0, 0, 0]
        let frames = try Crafting.frames(type: .update, sender: 7, plaintext: body, key: Fixture.nodeKey)
        #expect(Self.open(frames).failure == .malformed)
    }

    @Test func encoderRefusesWhatReceiversWouldRefuse() throws {
        let nan = UpdateMessage(node: 7, seq: 1, baseVersion: 0, sampleCount: 1, metrics: ["loss": .nan], delta: .empty)
        #expect(throws: WireEncodingError.self) { try WireEncoder.encode(nan, nodeKey: Fixture.nodeKey) }
        let heartbeat = HeartbeatMessage(
            node: 7, seq: 1, modelVersion: nil, state: .idle, unackedCount: 1, unackedSeqs: [1, 2])
        #expect(throws: WireEncodingError.self) { try WireEncoder.encode(heartbeat, nodeKey: Fixture.nodeKey) }
        let tight = WireLimits(maxMessageBytes: 200)
        #expect(throws: WireEncodingError.self) {
            try WireEncoder.encode(Fixture.update(), nodeKey: Fixture.nodeKey, limits: tight)
        }
        #expect(throws: WireEncodingError.self) { try WireTensors([WireTensor(name: "a", shape: [2], values: [1])]) }
        #expect(throws: WireEncodingError.self) {
            try WireTensors([
                WireTensor(name: "a", shape: [1], values: [1]), WireTensor(name: "a", shape: [], values: [2]),
            ])
        }
        #expect(throws: WireEncodingError.self) {
            try WireTensors([WireTensor(name: "__metadata__", shape: [], values: [1])])
        }
    }
}

/// The admission fields are optional both ways: absent, they decode as nil (an older peer); present, they
/// must be canonical decimals like every other integer field.
@Suite struct AdmissionFieldTests {
    @Test func absentFieldsDecodeAsNilAndBadOnesAreMalformed() throws {
        let request = SnapshotRequest(node: Fixture.node, requestID: 1, haveVersion: nil)
        let frames = try Fixture.frames(.snapshotRequest(request))
        guard case .success(.snapshotRequest(let decoded)) = Fixture.open(frames) else {
            Issue.record("not decoded")
            return
        }
        #expect(decoded.wantSend == nil)
        let fields = try #require(MetadataFields(fields: ["want_send": "007"]) as MetadataFields?)
        #expect(throws: RejectionReason.malformed) { try fields.optionalUInt64("want_send") }
        #expect(try MetadataFields(fields: [:]).optionalUInt64("send_ok") == nil)
        #expect(try MetadataFields(fields: ["send_ok": "0"]).optionalUInt64("send_ok") == 0)
    }
}
