import GrowdaNN
import GrowdaTensor
import GrowdaWire
import Testing

@testable import GrowdaFederation

@Suite("Models and deltas on the wire")
struct ModelWireTests {
    static let spec = ModelSpec(
        name: "t", inputShape: [1, 6, 6], classes: ["a", "b"],
        layers: [.conv2d(filters: 2, kernel: 3), .batchNorm, .relu, .flatten, .dense(units: 2)])

    @Test func modelMessageRoundTrip() throws {
        let model = try Model(spec: Self.spec, seed: 1)
        model.state.pointer[0] = 0.5
        let message = try model.modelMessage(version: 7)
        #expect(message.version == 7)
        #expect(model.modelLayout.matches(message.weights))
        let back = try Model(message: message)
        #expect(back.spec == model.spec)
        #expect(back.parameters.array == model.parameters.array)
        #expect(back.state.array == model.state.array)
    }

    @Test func deltaFlattensBackInParameterOrder() throws {
        let model = try Model(spec: Self.spec, seed: 1)
        let base = FloatBuffer(model.parameters.array)
        for i in 0..<model.parameterCount { model.parameters.pointer[i] += Float(i % 7) * 0.01 }
        let delta = try model.delta(from: base)
        #expect(model.updateLayout.matches(delta))
        var flat = [Float](repeating: .nan, count: model.parameterCount)
        flat.withUnsafeMutableBufferPointer { model.flatten(delta, into: $0) }
        for i in 0..<model.parameterCount { #expect(abs(flat[i] - Float(i % 7) * 0.01) < 1e-6) }
    }

    @Test func loadRefusesAnotherArchitecture() throws {
        let model = try Model(spec: Self.spec)
        let other = try Model(reference: "small28", classes: ["a", "b"])
        #expect(throws: ModelError.self) {
            try model.load(weights: try other.modelMessage(version: 1).weights, origin: "x")
        }
    }
}
