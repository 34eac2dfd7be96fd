import GrowdaCrypto
import GrowdaSafetensors
import Testing

@testable import GrowdaWire

/// One test per ``RejectionReason``: each is provoked through the whole receive path and counted once.
/// The switch in ``provoke(_:)`` is exhaustive, so a new reason does not compile until it has a case.
@Suite struct RejectionReasonTests {
    @Test(arguments: RejectionReason.allCases)
    func eachReasonIsReturnedAndCounted(_ reason: RejectionReason) throws {
        var aggregator = MiniAggregator()
        let frames = try Self.provoke(reason, aggregator: &aggregator)
        #expect(aggregator.receive(frames).failure == reason)
        var expected = Dictionary(uniqueKeysWithValues: RejectionReason.allCases.map { ($0, 0) })
        expected[reason] = 1
        #expect(aggregator.counter.snapshot() == expected)
        #expect(aggregator.counter.total == 1)
    }

    @Test func everyReasonHasANameAndAnExplanation() {
        let names = Set(RejectionReason.allCases.map(\.rawValue))
        #expect(names.count == RejectionReason.allCases.count)
        #expect(RejectionReason.allCases.allSatisfy { !$0.explanation.isEmpty && $0.description == $0.rawValue })
        #expect(RejectionReason(rawValue: "bad_mac") == .badMAC)
    }

    /// Frames that the aggregator (set up here as needed) must refuse for `reason`.
    static func provoke(_ reason: RejectionReason, aggregator: inout MiniAggregator) throws -> [[UInt8]] {
        let valid = try Fixture.frames(.update(Fixture.update(seq: 5, baseVersion: 10)))
        switch reason {
        case .malformed:
            let notSafetensors = Array("not a safetensors body".utf8)
            return try Crafting.frames(
                type: .update, sender: Fixture.node, plaintext: notSafetensors, key: Fixture.nodeKey)
        case .unsupportedVersion:
            var frames = valid
            frames[0][4] = 2
            return frames
        case .unknownSender:
            let update = UpdateMessage(
                node: 42, seq: 1, baseVersion: 10, sampleCount: 1, metrics: [:], delta: Fixture.tensors(seed: 1))
            return try WireEncoder.encode(update, nodeKey: Fixture.nodeKey)
        case .revokedSender:
            var update = Fixture.update()
            update.node = Fixture.revokedNode
            return try WireEncoder.encode(update, nodeKey: Fixture.revokedNodeKey)
        case .badMAC:
            var frames = valid
            frames[1][frames[1].count / 2] ^= 0x01
            return frames
        case .replay:
            aggregator.settled[Fixture.node] = 5
            return valid
        case .stale:
            return try Fixture.frames(.update(Fixture.update(baseVersion: 7)))
        case .wrongTensors:
            var tensors = Fixture.tensors(seed: 1).tensors
            tensors.append(WireTensor(name: "extra", shape: [1], values: [0]))
            return try Fixture.frames(.update(Fixture.update(delta: try WireTensors(tensors))))
        case .nonFinite:
            var tensors = Fixture.tensors(seed: 1).tensors
            tensors[0].values[0] = .nan
            return try Fixture.frames(.update(Fixture.update(delta: try WireTensors(tensors))))
        case .normTooLarge:
            let tensors = Fixture.tensors(seed: 1).tensors.map { tensor in
                WireTensor(name: tensor.name, shape: tensor.shape, values: tensor.values.map { _ in 3 })
            }
            return try Fixture.frames(.update(Fixture.update(delta: try WireTensors(tensors))))
        case .oversize:
            aggregator.limits.maxMessageBytes = valid.reduce(0) { $0 + $1.count } - 1
            return valid
        case .stopped:
            aggregator.validator.stopped = true
            return valid
        case .badEncoding:
            // An int8 update whose first tensor's scale is negative.
            var fields = Crafting.updateFields
            fields["codec"] = "int8"
            let tensors = Fixture.layout.shapes.sorted { $0.key < $1.key }.enumerated().map { index, entry in
                let scale: Float = index == 0 ? -1 : 0.01
                let bytes = Crafting.f32([scale]) + [UInt8](repeating: 1, count: entry.value.reduce(1, *))
                return (name: entry.key, dtype: SafetensorsDType.U8, shape: [bytes.count], bytes: bytes)
            }
            return try Crafting.update(fields: fields, tensors: tensors)
        }
    }
}

extension Result {
    /// The failure, or nil on success.
    var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
