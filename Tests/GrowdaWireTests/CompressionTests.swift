import GrowdaSafetensors
import GrowdaTensor
import Testing

@testable import GrowdaWire

/// Compressed updates: the codecs' text forms, each encoding's round trip and error, error feedback, the
/// decoder's totality, and compressed updates through the real encoder, decoder and validator.
@Suite struct CompressionTests {
    /// A model layout of a few thousand values, enough for top-k to choose among.
    static let layout = TensorLayout(shapes: ["conv.weight": [8, 1, 3, 3], "dense.bias": [10], "dense.weight": [10, 300]])

    /// Seeded values in [-scale, scale] with `layout`'s shapes.
    static func delta(seed: UInt64, scale: Float = 0.05) -> WireTensors {
        var generator = SeededGenerator(seed: seed)
        return try! WireTensors(
            layout.shapes.map { name, shape in
                WireTensor(
                    name: name, shape: shape,
                    values: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -scale...scale, using: &generator) })
            })
    }

    static func encode(_ delta: WireTensors, _ codec: UpdateCodec, residual: inout WireTensors?, seed: UInt64 = 1)
        throws -> CodedTensors
    {
        var random = SeededGenerator(seed: seed)
        return try UpdateCompressor.encode(delta, codec: codec, residual: &residual, random: &random)
    }

    static func encode(_ delta: WireTensors, _ codec: UpdateCodec, seed: UInt64 = 1) throws -> CodedTensors {
        var none: WireTensors? = nil
        return try encode(delta, codec, residual: &none, seed: seed)
    }

    static func values(_ tensors: WireTensors) -> [Float] { tensors.tensors.flatMap(\.values) }

    @Test func codecTextFormsRoundTrip() {
        for text in ["none", "fp16", "int8", "topk:0.01", "topk-int8:0.03", "topk:1.0"] {
            #expect(UpdateCodec(text)?.description == text)
        }
        #expect(UpdateCodec("topk") == .topK(fraction: UpdateCodec.defaultFraction, int8Values: false))
        #expect(UpdateCodec("topk-int8") == .topK(fraction: UpdateCodec.defaultFraction, int8Values: true))
        for bad in ["", "gzip", "topk:0", "topk:1.5", "topk:-0.1", "topk:x", "int8:2", "topk:0.1:3", "FP16", "topk:nan"] {
            #expect(UpdateCodec(bad) == nil, "\(bad) should not parse")
        }
    }

    @Test func sizesFollowTheDocumentedLayouts() throws {
        let delta = Self.delta(seed: 3)
        let n = Self.values(delta).count
        #expect(try Self.encode(delta, .fp16).byteCount == 2 * n)
        #expect(try Self.encode(delta, .int8).byteCount == 3 * 4 + n)
        let k = Int((0.02 * Double(n)).rounded(.up))
        #expect(try Self.encode(delta, .topK(fraction: 0.02, int8Values: false)).byteCount == 3 * 4 + 8 * k)
        #expect(try Self.encode(delta, .topK(fraction: 0.02, int8Values: true)).byteCount == 3 * 8 + 5 * k)
    }

    @Test func fp16AndInt8DecodeWithinTheirRoundingError() throws {
        let delta = Self.delta(seed: 4)
        let original = Self.values(delta)
        let half = Self.values(try UpdateDecompressor.decode(Self.encode(delta, .fp16), layout: Self.layout))
        #expect(zip(original, half).allSatisfy { abs($0 - $1) <= abs($0) * 0x1p-10 + 0x1p-24 })
        let coded = try Self.encode(delta, .int8)
        let bytes = try UpdateDecompressor.decode(coded, layout: Self.layout)
        for name in delta.names {
            let x = delta.floats(name)!, y = bytes.floats(name)!
            let step = x.map { abs($0) }.max()! / 127
            #expect(zip(x, y).allSatisfy { abs($0 - $1) <= step * 1.0001 }, "\(name): off by more than one step")
        }
    }

    @Test func int8RoundingIsUnbiased() throws {
        // One value between two steps, encoded many times: its mean decodes to it (stochastic rounding),
        // where rounding to nearest would always give the lower step.
        let tensor = try WireTensors([WireTensor(name: "w", shape: [2], values: [1.27, 0.0031])])
        let layout = TensorLayout(of: tensor)
        var sum = 0.0
        let draws = 4000
        for seed in 0..<UInt64(draws) {
            sum += Double(try UpdateDecompressor.decode(Self.encode(tensor, .int8, seed: seed), layout: layout).floats("w")![1])
        }
        // step 0.01; 0.0031 rounds up with probability 0.31: the mean's standard error is about 0.0001.
        #expect(abs(sum / Double(draws) - 0.0031) < 0.0006)
    }

    @Test func topKSendsTheLargestAndKeepsTheRestExactly() throws {
        let delta = Self.delta(seed: 5)
        var residual: WireTensors? = nil
        let coded = try Self.encode(delta, .topK(fraction: 0.05, int8Values: false), residual: &residual)
        let sent = try UpdateDecompressor.decode(coded, layout: Self.layout)
        let x = Self.values(delta), y = Self.values(sent), r = Self.values(try #require(residual))
        let k = Int((0.05 * Double(x.count)).rounded(.up))
        #expect(y.filter { $0 != 0 }.count == k)
        let smallestSent = zip(x, y).filter { $0.1 != 0 }.map { abs($0.0) }.min()!
        let largestKept = zip(x, y).filter { $0.1 == 0 }.map { abs($0.0) }.max()!
        #expect(smallestSent >= largestKept)
        // Sent values are exact, and what was not sent is in the residual, exactly.
        for i in x.indices { #expect(y[i] + r[i] == x[i] && (y[i] == 0 || r[i] == 0)) }
    }

    @Test func errorFeedbackDeliversEveryValueEventually() throws {
        // Over many updates, what the aggregator decoded plus what the node still holds is what was trained.
        var residual: WireTensors? = nil
        var trained = [Float](repeating: 0, count: Self.values(Self.delta(seed: 0)).count)
        var delivered = trained
        for round in 0..<30 {
            let delta = Self.delta(seed: UInt64(100 + round))
            for (i, v) in Self.values(delta).enumerated() { trained[i] += v }
            let coded = try Self.encode(delta, .topK(fraction: 0.02, int8Values: true), residual: &residual, seed: UInt64(round))
            for (i, v) in Self.values(try UpdateDecompressor.decode(coded, layout: Self.layout)).enumerated() {
                delivered[i] += v
            }
        }
        let held = Self.values(try #require(residual))
        for i in trained.indices { #expect(abs(delivered[i] + held[i] - trained[i]) < 1e-5) }
        // And the residual stays bounded: no value starves for ever.
        #expect(held.map { abs($0) }.max()! < 0.5)
    }

    @Test func aResidualIsCarriedIntoTheNextDelta() throws {
        let delta = Self.delta(seed: 10), left = Self.delta(seed: 11)
        let sum = Self.values(try UpdateCompressor.carrying(left, into: delta))
        for (i, (d, r)) in zip(Self.values(delta), Self.values(left)).enumerated() { #expect(sum[i] == d + r) }
        #expect(try UpdateCompressor.carrying(nil, into: delta) == delta)
        let stranger = try WireTensors([WireTensor(name: "other", shape: [2], values: [1, 2])])
        #expect(try UpdateCompressor.carrying(stranger, into: delta) == delta)
    }

    @Test func aResidualOfAnotherLayoutIsIgnored() throws {
        let delta = Self.delta(seed: 6)
        var stranger: WireTensors? = try WireTensors([WireTensor(name: "other", shape: [2], values: [100, 100])])
        var fresh: WireTensors? = nil
        let codec = UpdateCodec.topK(fraction: 0.1, int8Values: false)
        #expect(try Self.encode(delta, codec, residual: &stranger) == Self.encode(delta, codec, residual: &fresh))
        #expect(try #require(stranger).names == delta.names)
    }

    // MARK: The decoder is total

    /// One tensor `w` of `n` values encoded as `bytes`.
    static func decode(_ bytes: [UInt8], _ encoding: UpdateEncoding, n: Int = 4) -> Result<WireTensors, RejectionReason> {
        let coded = try! CodedTensors(encoding: encoding, tensors: [("w", bytes)])
        return Result { () throws(RejectionReason) in try UpdateDecompressor.decode(coded, layout: TensorLayout(shapes: ["w": [n]])) }
    }

    static func le(_ values: [UInt32]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } }
    static func le(_ value: Float) -> [UInt8] { le([value.bitPattern]) }

    @Test func malformedEncodingsAreRefusedWithAReason() throws {
        let good = Self.le([2]) + Self.le([1, 3]) + Self.le(0.5) + Self.le(-0.25)
        #expect(try Self.decode(good, .topK).get().floats("w") == [0, 0.5, 0, -0.25])
        let cases: [(String, [UInt8], UpdateEncoding)] = [
            ("fp16 one byte short", [0, 0, 0, 0, 0, 0, 0], .fp16),
            ("int8 one byte long", Self.le(0.1) + [1, 2, 3, 4, 5], .int8),
            ("int8 negative scale", Self.le(-0.1) + [1, 2, 3, 4], .int8),
            ("int8 NaN scale", Self.le(.nan) + [1, 2, 3, 4], .int8),
            ("int8 infinite scale", Self.le(.infinity) + [1, 2, 3, 4], .int8),
            ("topk empty", [], .topK),
            ("topk count above n", Self.le([5]) + Self.le([0, 1, 2, 3, 4]) + Array(repeating: 0, count: 20), .topK),
            ("topk truncated", Array(good.dropLast()), .topK),
            ("topk indices descending", Self.le([2]) + Self.le([3, 1]) + Self.le(0.5) + Self.le(0.5), .topK),
            ("topk index repeated", Self.le([2]) + Self.le([1, 1]) + Self.le(0.5) + Self.le(0.5), .topK),
            ("topk index out of range", Self.le([1]) + Self.le([4]) + Self.le(0.5), .topK),
            ("topk-int8 without scale", Self.le([0]), .topKInt8),
            ("topk-int8 negative scale", Self.le([1]) + Self.le(-1) + Self.le([0]) + [1], .topKInt8),
            ("topk-int8 length", Self.le([1]) + Self.le(1) + Self.le([0]) + [1, 1], .topKInt8),
        ]
        for (what, bytes, encoding) in cases {
            #expect(Self.decode(bytes, encoding).failure == .badEncoding, "\(what)")
        }
        // An empty top-k tensor is fine (k = 0: nothing of it was among the largest).
        #expect(try Self.decode(Self.le([0]), .topK).get().floats("w") == [0, 0, 0, 0])
    }

    @Test func namesThatDifferFromTheLayoutAreWrongTensors() throws {
        let coded = try Self.encode(Self.delta(seed: 7), .int8)
        var shapes = Self.layout.shapes
        shapes["dense.bias"] = nil
        #expect(Result { () throws(RejectionReason) in try UpdateDecompressor.decode(coded, layout: TensorLayout(shapes: shapes)) }.failure == .wrongTensors)
        shapes["extra"] = [3]
        #expect(Result { () throws(RejectionReason) in try UpdateDecompressor.decode(coded, layout: TensorLayout(shapes: shapes)) }.failure == .wrongTensors)
    }

    @Test func randomBytesNeverCrashTheDecoder() {
        var generator = SeededGenerator(seed: 42)
        var outcomes: [String: Int] = [:]
        for _ in 0..<3000 {
            let encoding = UpdateEncoding.allCases.randomElement(using: &generator)!
            let length = Int.random(in: 0...40, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if length >= 4, Bool.random(using: &generator) { bytes.replaceSubrange(0..<4, with: Self.le([UInt32.random(in: 0...4, using: &generator)])) }
            switch Self.decode(bytes, encoding) {
            case .success(let t): outcomes["ok", default: 0] += 1; #expect(t.floats("w")?.count == 4)
            case .failure(let reason): outcomes[reason.rawValue, default: 0] += 1; #expect(reason == .badEncoding)
            }
        }
        #expect(outcomes["bad_encoding", default: 0] > 0)
    }

    // MARK: On the wire

    @Test func compressedUpdatesCrossTheWireAndDecodeAsTheyWereSent() throws {
        let delta = Self.delta(seed: 8)
        let validator = UpdateValidator(layout: Self.layout, currentVersion: 10, maxStaleness: 4, maxNorm: 100)
        for codec in [UpdateCodec.fp16, .int8, .topK(fraction: 0.01, int8Values: false), .topK(fraction: 0.03, int8Values: true)] {
            let coded = try Self.encode(delta, codec)
            let update = UpdateMessage(node: Fixture.node, seq: 3, baseVersion: 9, sampleCount: 40, metrics: [:], coded: coded)
            let frames = try WireEncoder.encode(update, nodeKey: Fixture.nodeKey)
            let raw = try WireEncoder.encode(Fixture.update(delta: delta), nodeKey: Fixture.nodeKey)
            guard case .update(let received) = try WireDecoder.open(frames, keys: Fixture.aggregatorKeys).get() else {
                Issue.record("\(codec): not an update")
                continue
            }
            #expect(received == update)
            let accepted = try validator.validate(received, settledSeq: 2).get()
            #expect(accepted.delta == (try UpdateDecompressor.decode(coded, layout: Self.layout)))
            let ratio = Double(frames.reduce(0) { $0 + $1.count }) / Double(raw.reduce(0) { $0 + $1.count })
            #expect(ratio < 0.6, "\(codec): \(ratio) of the raw update")
        }
    }

    @Test func theDecoderChecksCompressedBodies() throws {
        let coded = try Self.encode(Self.delta(seed: 9), .int8)
        var mini = MiniAggregator()
        mini.validator = UpdateValidator(layout: Self.layout, currentVersion: 12, maxStaleness: 4, maxNorm: 100)
        var u8: [(name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8])] = []
        coded.forEach { name, bytes in u8.append((name, .U8, [bytes.count], Array(bytes))) }
        var fields = Crafting.updateFields
        fields["codec"] = "int8"
        #expect(mini.receive(try Crafting.update(fields: fields, tensors: u8)).failure == nil)
        // F32 tensors under a codec, U8 tensors without one, an unknown codec, a rank-2 U8 tensor.
        #expect(mini.receive(try Crafting.update(fields: fields.merging(["seq": "6"]) { $1 })).failure == .wrongTensors)
        #expect(mini.receive(try Crafting.update(fields: Crafting.updateFields.merging(["seq": "7"]) { $1 }, tensors: u8)).failure == .wrongTensors)
        #expect(mini.receive(try Crafting.update(fields: fields.merging(["seq": "8", "codec": "zip"]) { $1 }, tensors: u8)).failure == .malformed)
        var square = u8
        square[0].shape = [1, square[0].bytes.count]
        #expect(mini.receive(try Crafting.update(fields: fields.merging(["seq": "9"]) { $1 }, tensors: square)).failure == .wrongTensors)
        // A damaged encoding is decoded by the validator and refused as bad_encoding; explicit "none" is F32.
        var damaged = u8
        damaged[1].bytes.removeLast()
        damaged[1].shape = [damaged[1].bytes.count]
        #expect(mini.receive(try Crafting.update(fields: fields.merging(["seq": "10"]) { $1 }, tensors: damaged)).failure == .badEncoding)
        #expect(mini.counter.count(of: .badEncoding) == 1)
    }

    @Test func snapshotRepliesAnnounceTheCodec() throws {
        let reply = SnapshotReply(
            recipient: Fixture.node, requestID: 4, ackedSeq: 2, content: .upToDate(version: 3),
            codec: .topK(fraction: 0.02, int8Values: true))
        let frames = try WireEncoder.encode(reply, nodeKey: Fixture.nodeKey, signingKey: Fixture.signingKey)
        guard case .snapshotReply(let back) = try WireDecoder.open(frames, keys: Fixture.nodeKeys).get() else {
            Issue.record("not a reply")
            return
        }
        #expect(back.codec == .topK(fraction: 0.02, int8Values: true))
    }
}
