import GrowdaCrypto
import Testing

@testable import GrowdaWire

@Suite struct RoundTripTests {
    @Test(arguments: Fixture.messages)
    func everyMessageTypeRoundTrips(_ message: Message) throws {
        let frames = try Fixture.frames(message)
        #expect(frames.count == message.type.frameCount)
        #expect(frames[0].count == WireHeader.byteCount)
        #expect(frames[0][5] == message.type.rawValue)
        let decoded = Fixture.open(frames)
        #expect(decoded == .success(message))
    }

    @Test func everyTypeIsCovered() {
        let covered = Set(Fixture.messages.map(\.type))
        #expect(covered == Set(MessageType.allCases))
    }

    @Test func decodedTensorsReadInPlaceAndCopyOut() throws {
        let update = Fixture.update()
        let decoded = try Fixture.open(try Fixture.frames(.update(update))).get()
        guard case .update(let received) = decoded else {
            Issue.record("expected an update, got \(decoded.type)")
            return
        }
        #expect(received.delta.names == ["dense.bias", "dense.weight"])
        #expect(received.delta.shape("dense.weight") == [3, 4])
        #expect(received.delta.floats("dense.bias") == update.delta.floats("dense.bias"))
        #expect(received.delta.tensors == update.delta.tensors)
        #expect(received.delta.floats("missing") == nil)
    }

    @Test func sealingTwiceUsesFreshNonces() throws {
        let first = try Fixture.frames(.update(Fixture.update()))
        let second = try Fixture.frames(.update(Fixture.update()))
        #expect(first[0][12...] != second[0][12...])
        #expect(first[1] != second[1])
    }

    @Test func headerRoundTripsAndIsLittleEndian() throws {
        let nonce = try SecretBox.Nonce(bytes: (0..<24).map(UInt8.init))
        let header = WireHeader(type: .snapshotReply, sender: 0x0102_0304, nonce: nonce)
        let encoded = header.encoded
        #expect(Array(encoded[0..<12]) == [0x47, 0x52, 0x57, 0x44, 1, 5, 0, 0, 4, 3, 2, 1])
        #expect(WireHeader.decode(encoded) == .success(header))
    }
}

extension Message: CustomTestStringConvertible {
    /// The type and sender, enough to tell the parameterised cases apart.
    public var testDescription: String { "\(type.name) from \(sender)" }
}
