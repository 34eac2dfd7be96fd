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

@Suite("Updates of models with and without state")
struct UpdateLayoutTests {
    /// A model without state sends exactly its parameter deltas: the same tensors, in the same order, as
    /// before updates carried state.
    @Test func statelessUpdatesAreUnchanged() throws {
        for name in ModelSpec.statelessReferenceNames {
            let model = try Model(reference: name, classes: ["a", "b"], seed: 1)
            let base = FloatBuffer(model.parameters.array)
            for i in stride(from: 0, to: model.parameterCount, by: 97) { model.parameters.pointer[i] += 0.25 }
            let delta = try model.delta(from: base, state: model.state)
            let parameterLayout = Dictionary(uniqueKeysWithValues: model.parameterViews.map { ($0.name, $0.shape) })
            #expect(model.updateLayout == TensorLayout(shapes: parameterLayout))
            let before = try WireTensors(
                model.parameterViews.map { view in
                    WireTensor(
                        name: view.name, shape: view.shape,
                        values: view.range.map { model.parameters.pointer[$0] - base.pointer[$0] })
                })
            // The same tensors in the same order with the same values: the same safetensors body.
            #expect(delta.names == before.names, "\(name)")
            for tensorName in before.names {
                #expect(delta.shape(tensorName) == before.shape(tensorName))
                let a = delta.withFloats(tensorName) { Array($0) }, b = before.withFloats(tensorName) { Array($0) }
                #expect(a == b, "\(name) \(tensorName)")
            }
        }
    }

    /// A model with running statistics sends their deltas too, under the state views' names; the parameter
    /// and state parts flatten back apart.
    @Test func statefulUpdatesCarryStateDeltas() throws {
        let model = try Model(spec: ModelWireTests.spec, seed: 1)
        let base = FloatBuffer(model.parameters.array), baseState = FloatBuffer(model.state.array)
        model.state.pointer[0] += 0.5  // running_mean of channel 0
        model.state.pointer[3] -= 0.25  // running_var of channel 1
        let delta = try model.delta(from: base, state: baseState)
        #expect(model.updateLayout.matches(delta))
        #expect(Set(delta.names) == Set((model.parameterViews + model.stateViews).map(\.name)))
        #expect(model.stateTensorNames == ["layers.1.running_mean", "layers.1.running_var"])
        var state = [Float](repeating: .nan, count: model.state.count)
        state.withUnsafeMutableBufferPointer { model.flattenState(delta, into: $0) }
        #expect(state == [0.5, 0, 0, -0.25])
        // Without a base state the state delta is zero.
        let zero = try model.delta(from: base)
        var none = [Float](repeating: .nan, count: model.state.count)
        none.withUnsafeMutableBufferPointer { model.flattenState(zero, into: $0) }
        #expect(none == [0, 0, 0, 0])
    }
}
