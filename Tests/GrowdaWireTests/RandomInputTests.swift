import GrowdaCrypto
import GrowdaSafetensors
import GrowdaTensor
import Testing

@testable import GrowdaWire

/// Seeded random and mutated inputs: every one must give a message or a reason, every reason must be
/// counted, and a mutated message that still decodes must be the original (nothing else authenticates).
@Suite struct RandomInputTests {
    /// Decodes `frames` with every receiver's keys; returns the results.
    static func openEverywhere(_ frames: [[UInt8]], counter: RejectionCounter) -> [Result<Message, RejectionReason>] {
        let resolvers: [any KeyResolver] = [Fixture.aggregatorKeys, Fixture.nodeKeys, Fixture.operatorKeys]
        let limits = WireLimits(maxMessageBytes: 1 << 16, maxHeaderBytes: 4096, maxTensors: 8, maxUnackedSeqs: 4)
        return resolvers.map { WireDecoder.open(frames, keys: $0, limits: limits, counter: counter) }
    }

    @Test func randomByteStringsAreRefused() {
        var generator = SeededGenerator(seed: 2024)
        let counter = RejectionCounter()
        var refusals = 0
        for _ in 0..<3000 {
            let frameCount = Int.random(in: 0...4, using: &generator)
            var frames: [[UInt8]] = (0..<frameCount).map { _ in
                (0..<Int.random(in: 0...120, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator)
                }
            }
            if frameCount > 0, Bool.random(using: &generator) {
                // A plausible header, so the checks past the magic and version run too.
                var header = WireHeader.magic + [1, UInt8.random(in: 0...8, using: &generator), 0, 0]
                header += (0..<28).map { _ in UInt8.random(in: 0...255, using: &generator) }
                frames[0] = header
            }
            for result in Self.openEverywhere(frames, counter: counter) {
                #expect(result.failure != nil)
                refusals += 1
            }
        }
        #expect(counter.total == refusals)
    }

    @Test func mutatedMessagesAreRefusedOrUnchanged() throws {
        var generator = SeededGenerator(seed: 7)
        let originals = try Fixture.messages.map { ($0, try Fixture.frames($0)) }
        let counter = RejectionCounter()
        var refusals = 0
        var reasons: Set<RejectionReason> = []
        for round in 0..<3000 {
            let (message, valid) = originals[round % originals.count]
            let frames = Self.mutate(valid, others: originals.map(\.1), using: &generator)
            for result in Self.openEverywhere(frames, counter: counter) {
                switch result {
                case .success(let decoded): #expect(decoded == message)
                case .failure(let reason):
                    refusals += 1
                    reasons.insert(reason)
                }
            }
        }
        #expect(counter.total == refusals)
        #expect(reasons.isSuperset(of: [.malformed, .unsupportedVersion, .unknownSender, .badMAC]))
    }

    @Test func sealedRandomBodiesAreMessagesOrReasons() throws {
        var generator = SeededGenerator(seed: 99)
        let counter = RejectionCounter()
        var outcomes: [String: Int] = [:]
        for _ in 0..<1500 {
            let type = MessageType.allCases.randomElement(using: &generator)!
            let plaintext = try Self.randomBody(for: type, using: &generator)
            let sender: UInt32 = type.sender == .node ? 7 : (type.sender == .admin ? SenderID.admin : 0)
            let key: SecretBoxKey =
                switch type {
                case .model: Fixture.modelKey
                case .statusRequest, .statusReply: Fixture.adminKey
                default: Fixture.nodeKey
                }
            let frames = try Crafting.frames(
                type: type, sender: sender, plaintext: plaintext, key: key,
                signingKey: type.isSigned ? Fixture.signingKey : nil)
            let result = WireDecoder.open(frames, keys: Fixture.receiverKeys(for: type), counter: counter)
            outcomes[result.failure?.rawValue ?? "accepted", default: 0] += 1
        }
        #expect(counter.total == 1500 - outcomes["accepted", default: 0])
        #expect(outcomes["accepted", default: 0] > 0)
        #expect(outcomes[RejectionReason.malformed.rawValue, default: 0] > 0)
        #expect(outcomes[RejectionReason.badMAC.rawValue, default: 0] > 0)
    }

    /// One random change: flip bits, cut, extend, splice bytes or frames from another message, drop or
    /// duplicate a frame.
    static func mutate(
        _ frames: [[UInt8]], others: [[[UInt8]]], using generator: inout SeededGenerator
    ) -> [[UInt8]] {
        var frames = frames
        let index = Int.random(in: 0..<frames.count, using: &generator)
        switch Int.random(in: 0..<7, using: &generator) {
        case 0:
            for _ in 0..<Int.random(in: 1...4, using: &generator) where !frames[index].isEmpty {
                let at = Int.random(in: 0..<frames[index].count, using: &generator)
                frames[index][at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &generator)
            }
        case 1:
            frames[index] = Array(frames[index].prefix(Int.random(in: 0...frames[index].count, using: &generator)))
        case 2:
            frames[index] += (0..<Int.random(in: 1...64, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
        case 3:
            let other = others.randomElement(using: &generator)!
            if index < other.count { frames[index] = other[index] }
        case 4:
            frames.remove(at: index)
        case 5:
            frames.insert(frames[index], at: index)
        default:
            // Header bytes 4…11 (version, type, flags, sender) set to a random value.
            let at = Int.random(in: 4...11, using: &generator)
            frames[0][at] = UInt8.random(in: 0...255, using: &generator)
        }
        return frames
    }

    /// A safetensors body whose metadata draws each field of `type` (and some others) from valid and
    /// invalid values, with zero to two tensors of random dtype and shape.
    static func randomBody(for type: MessageType, using generator: inout SeededGenerator) throws -> [UInt8] {
        let keys = [
            "type", "sender", "recipient", "seq", "base_version", "samples", "metrics", "version", "state", "unacked",
            "unacked_seqs", "created", "spec", "request_id", "have_version", "acked_seq", "has_model", "what", "json",
        ]
        let values = [
            type.name, "0", "7", "8", "4294967295", "none", "true", "false", "idle", "1,2", "3", "{}", #"{"loss":0.5}"#,
            "", "-1", "01", "99999999999999999999", "{", "1,1", "update", "model",
        ]
        var metadata: [String: String] = ["type": type.name]
        for key in keys where Int.random(in: 0..<10, using: &generator) < 8 {
            metadata[key] = values.randomElement(using: &generator)!
        }
        if Int.random(in: 0..<4, using: &generator) > 0 { metadata["type"] = type.name }
        var writer = SafetensorsWriter(metadata: metadata)
        for index in 0..<Int.random(in: 0...2, using: &generator) {
            let dtype: SafetensorsDType = Bool.random(using: &generator) ? .F32 : .U8
            let shape = [Int.random(in: 0...3, using: &generator)]
            let bytes = (0..<(shape[0] * dtype.byteSize)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try writer.add(name: "t\(index)", dtype: dtype, shape: shape, bytes: bytes)
        }
        var body = writer.encoded()
        if Int.random(in: 0..<10, using: &generator) == 0, !body.isEmpty {
            body[Int.random(in: 0..<body.count, using: &generator)] ^= 0x20
        }
        return body
    }
}
