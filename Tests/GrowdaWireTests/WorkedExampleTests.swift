import Foundation
import GrowdaCrypto
import Testing

@testable import GrowdaWire

/// The protocol document's worked example, checked against the encoder byte for byte, so the document
/// cannot drift from the code. The hex is read from the document itself.
@Suite struct WorkedExampleTests {
    /// The example: node 7 (key 00 01 … 1f), nonce 40 41 … 57, update seq 1 from version 3, 120 samples,
    /// loss 0.5, one tensor `w` = [0.25, -1.0].
    static func example() throws -> (update: UpdateMessage, nonce: SecretBox.Nonce) {
        let delta = try WireTensors([WireTensor(name: "w", shape: [2], values: [0.25, -1.0])])
        let update = UpdateMessage(
            node: 7, seq: 1, baseVersion: 3, sampleCount: 120, metrics: ["loss": 0.5], delta: delta)
        return (update, try SecretBox.Nonce(bytes: (0x40..<0x58).map(UInt8.init)))
    }

    /// The document, read from the source tree.
    static func document() throws -> String {
        let path = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/GrowdaWire/GrowdaWire.docc/Protocol.md")
        return try String(contentsOf: path, encoding: .utf8)
    }

    /// The hex in the first fenced block after the line holding `label`.
    static func hexBlock(after label: String, in document: String) throws -> [UInt8] {
        let lines = document.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex { $0.contains(label) }, "no line holds \(label)")
        let open = try #require(lines[start...].firstIndex { $0.hasPrefix("```") })
        let close = try #require(lines[(open + 1)...].firstIndex { $0.hasPrefix("```") })
        return bytes(hex: lines[(open + 1)..<close].joined())
    }

    @Test func encoderProducesTheDocumentedBytes() throws {
        let (update, nonce) = try Self.example()
        let frames = try WireEncoder.encode(update, nodeKey: Fixture.nodeKey, nonce: nonce)
        let document = try Self.document()
        #expect(
            try Self.hexBlock(after: "Example plaintext body", in: document)
                == SafetensorsBody(
                    metadata: [
                        "type": "update", "sender": "7", "seq": "1", "base_version": "3", "samples": "120",
                        "metrics": #"{"loss":0.5}"#,
                    ], tensors: update.delta
                ).encoded)
        #expect(try Self.hexBlock(after: "Example frame 1", in: document) == frames[0])
        #expect(try Self.hexBlock(after: "Example frame 2", in: document) == frames[1])
    }

    /// The signed example: a snapshot reply to node 7 (request 42, acked seq 1, latest version 3, no model),
    /// nonce 80 81 … 97, signed with the key whose seed is 60 61 … 7f.
    static func signedExample() throws -> (reply: SnapshotReply, nonce: SecretBox.Nonce) {
        let reply = SnapshotReply(recipient: 7, requestID: 42, ackedSeq: 1, content: .upToDate(version: 3))
        return (reply, try SecretBox.Nonce(bytes: (0x80..<0x98).map(UInt8.init)))
    }

    @Test func signedExampleMatchesTheDocument() throws {
        let (reply, nonce) = try Self.signedExample()
        let frames = try WireEncoder.encode(
            reply, nodeKey: Fixture.nodeKey, signingKey: Fixture.signingKey, nonce: nonce)
        let document = try Self.document()
        #expect(
            try Self.hexBlock(after: "Signed example verify key", in: document) == Fixture.signingKey.verifyKey.bytes)
        #expect(try Self.hexBlock(after: "Signed example frame 1", in: document) == frames[0])
        #expect(try Self.hexBlock(after: "Signed example frame 2", in: document) == frames[1])
        #expect(try Self.hexBlock(after: "Signed example frame 3", in: document) == frames[2])
        #expect(WireDecoder.open(frames, keys: Fixture.nodeKeys) == .success(.snapshotReply(reply)))
    }

    @Test func documentedFramesDecodeToTheExample() throws {
        let document = try Self.document()
        let frames = [
            try Self.hexBlock(after: "Example frame 1", in: document),
            try Self.hexBlock(after: "Example frame 2", in: document),
        ]
        #expect(WireDecoder.open(frames, keys: Fixture.aggregatorKeys) == .success(.update(try Self.example().update)))
    }

    /// The compressed example: node 7's second update (seq 2, from version 3, 120 samples, loss 0.5) in
    /// `topk-int8`, tensor `w` of 4 values with k = 2 kept: indices 1 and 3, scale 2⁻⁷, q = 64 and −127.
    /// Nonce 58 59 … 6f.
    static func compressedExample() throws -> (update: UpdateMessage, nonce: SecretBox.Nonce) {
        let bytes: [UInt8] = [2, 0, 0, 0, 0x00, 0x00, 0x00, 0x3c, 1, 0, 0, 0, 3, 0, 0, 0, 0x40, 0x81]
        let coded = try CodedTensors(encoding: .topKInt8, tensors: [("w", bytes)])
        let update = UpdateMessage(node: 7, seq: 2, baseVersion: 3, sampleCount: 120, metrics: ["loss": 0.5], coded: coded)
        return (update, try SecretBox.Nonce(bytes: (0x58..<0x70).map(UInt8.init)))
    }

    @Test func compressedExampleMatchesTheDocument() throws {
        let (update, nonce) = try Self.compressedExample()
        let frames = try WireEncoder.encode(update, nodeKey: Fixture.nodeKey, nonce: nonce)
        let document = try Self.document()
        let body = SafetensorsBody(
            metadata: [
                "type": "update", "sender": "7", "seq": "2", "base_version": "3", "samples": "120",
                "metrics": #"{"loss":0.5}"#, "codec": "topk-int8",
            ], tensors: .empty, coded: update.coded
        ).encoded
        func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }
        #expect(try Self.hexBlock(after: "Compressed example plaintext body", in: document) == body, "\(hex(body))")
        #expect(try Self.hexBlock(after: "Compressed example frame 1", in: document) == frames[0], "\(hex(frames[0]))")
        #expect(try Self.hexBlock(after: "Compressed example frame 2", in: document) == frames[1], "\(hex(frames[1]))")
        // Decoded against the model's layout (w of shape [4]), it is the delta the document states.
        guard case .update(let received) = try WireDecoder.open(frames, keys: Fixture.aggregatorKeys).get() else {
            Issue.record("not an update")
            return
        }
        let validator = UpdateValidator(
            layout: TensorLayout(shapes: ["w": [4]]), currentVersion: 3, maxStaleness: 0, maxNorm: 10)
        let accepted = try validator.validate(received, settledSeq: 1).get()
        #expect(accepted.delta.floats("w") == [0, 0.5, 0, -0.9921875])
    }
}
