import GrowdaTensor
import Testing

@testable import GrowdaWire

@Suite struct ValidatorTests {
    static let validator = UpdateValidator(layout: Fixture.layout, currentVersion: 12, maxStaleness: 4, maxNorm: 10)

    /// An update whose every value is `value`.
    static func update(seq: UInt64 = 5, baseVersion: UInt64 = 10, value: Float = 0.5) -> UpdateMessage {
        let tensors = Fixture.layout.shapes.map { name, shape in
            WireTensor(name: name, shape: shape, values: Array(repeating: value, count: shape.reduce(1, *)))
        }
        return Fixture.update(seq: seq, baseVersion: baseVersion, delta: try! WireTensors(tensors))
    }

    @Test func acceptedUpdateCarriesStalenessAndNorm() throws {
        let accepted = try Self.validator.validate(Self.update(value: 0.5), settledSeq: 4).get()
        #expect(accepted.staleness == 2)
        #expect(abs(accepted.norm - 0.5 * Double(15).squareRoot()) < 1e-12)
    }

    @Test func stalenessBoundIsInclusive() {
        #expect(Self.validator.validate(Self.update(baseVersion: 8), settledSeq: 0).failure == nil)
        #expect(Self.validator.validate(Self.update(baseVersion: 7), settledSeq: 0).failure == .stale)
        #expect(Self.validator.validate(Self.update(baseVersion: 12), settledSeq: 0).failure == nil)
        #expect(Self.validator.validate(Self.update(baseVersion: 13), settledSeq: 0).failure == .stale)
    }

    @Test func checksRunInTheDocumentedOrder() {
        let everythingWrong = Self.update(seq: 3, baseVersion: 1, value: .infinity)
        #expect(Self.validator.validate(everythingWrong, settledSeq: 3).failure == .replay)
        #expect(Self.validator.validate(everythingWrong, settledSeq: 2).failure == .stale)
        var wrongAndInfinite = Self.update(value: .infinity)
        wrongAndInfinite.delta = try! WireTensors([WireTensor(name: "dense.bias", shape: [3], values: [.nan, 0, 0])])
        #expect(Self.validator.validate(wrongAndInfinite, settledSeq: 0).failure == .wrongTensors)
        #expect(Self.validator.validate(Self.update(value: .infinity), settledSeq: 0).failure == .nonFinite)
        #expect(Self.validator.validate(Self.update(value: -.infinity), settledSeq: 0).failure == .nonFinite)
        #expect(Self.validator.validate(Self.update(value: .nan), settledSeq: 0).failure == .nonFinite)
        #expect(Self.validator.validate(Self.update(value: 3), settledSeq: 0).failure == .normTooLarge)
    }

    @Test func hugeFiniteValuesAreTooLargeNotNonFinite() {
        #expect(
            Self.validator.validate(Self.update(value: .greatestFiniteMagnitude), settledSeq: 0).failure
                == .normTooLarge)
        var unbounded = Self.validator
        unbounded.maxNorm = .infinity
        #expect(unbounded.validate(Self.update(value: .greatestFiniteMagnitude), settledSeq: 0).failure == nil)
    }

    @Test func layoutMismatchesAreWrongTensors() {
        let cases: [[WireTensor]] = [
            [WireTensor(name: "dense.bias", shape: [3], values: [0, 0, 0])],
            [
                WireTensor(name: "dense.bias", shape: [3], values: [0, 0, 0]),
                WireTensor(name: "dense.weight", shape: [4, 3], values: Array(repeating: 0, count: 12)),
            ],
            [
                WireTensor(name: "dense.bias", shape: [3], values: [0, 0, 0]),
                WireTensor(name: "dense.weights", shape: [3, 4], values: Array(repeating: 0, count: 12)),
            ],
        ]
        for tensors in cases {
            var update = Self.update()
            update.delta = try! WireTensors(tensors)
            #expect(Self.validator.validate(update, settledSeq: 0).failure == .wrongTensors)
        }
    }

    @Test func sumOfSquaresMatchesANaiveLoop() {
        var generator = SeededGenerator(seed: 11)
        for count in [0, 1, 3, 4, 5, 1001] {
            let values = (0..<count).map { _ in Float.random(in: -2...2, using: &generator) }
            let naive = values.reduce(0.0) { $0 + Double($1) * Double($1) }
            let fast = values.withUnsafeBufferPointer { TensorScan.sumOfSquares($0) }
            #expect(abs(fast - naive) <= 1e-12 * max(1, naive))
        }
    }

    @Test func modelValidatorRefusesOldForeignAndNonFiniteModels() {
        let model = Fixture.model(version: 11)
        let validator = ModelValidator(heldVersion: 10, layout: Fixture.layout)
        #expect(validator.validate(model).failure == nil)
        #expect(ModelValidator(heldVersion: 11, layout: nil).validate(model).failure == .stale)
        #expect(ModelValidator(heldVersion: nil, layout: nil).validate(model).failure == nil)
        let foreign = TensorLayout(shapes: ["other": [1]])
        #expect(ModelValidator(heldVersion: nil, layout: foreign).validate(model).failure == .wrongTensors)
        var broken = model
        broken.weights = try! WireTensors(
            model.weights.tensors.map {
                WireTensor(name: $0.name, shape: $0.shape, values: $0.values.map { _ in .nan })
            })
        #expect(validator.validate(broken).failure == .nonFinite)
    }

    @Test func snapshotReplyMustAnswerTheOpenRequest() {
        let reply = SnapshotReply(recipient: 7, requestID: 41, ackedSeq: 3, content: .model(Fixture.model(version: 11)))
        let validator = ModelValidator(heldVersion: 10, layout: Fixture.layout)
        #expect(validator.validate(reply, openRequestID: 41).failure == nil)
        #expect(validator.validate(reply, openRequestID: 40).failure == .replay)
        #expect(ModelValidator(heldVersion: 11, layout: nil).validate(reply, openRequestID: 41).failure == .stale)
        let upToDate = SnapshotReply(recipient: 7, requestID: 41, ackedSeq: 3, content: .upToDate(version: 10))
        #expect(validator.validate(upToDate, openRequestID: 41).failure == nil)
    }

    @Test func counterIsSafeAcrossThreads() async {
        let counter = RejectionCounter()
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for step in 0..<1000 {
                        let reasons = RejectionReason.allCases
                        counter.record(reasons[(worker + step) % reasons.count])
                    }
                }
            }
        }
        #expect(counter.total == 8000)
        #expect(counter.snapshot().values.reduce(0, +) == 8000)
        #expect(counter.record(Result<Int, RejectionReason>.success(1)) == .success(1))
        #expect(counter.total == 8000)
    }
}
