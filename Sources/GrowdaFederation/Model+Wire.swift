import Foundation
import GrowdaNN
import GrowdaTensor
import GrowdaWire

/// How models and updates travel: a `Model`'s named views as wire tensors and back.
///
/// A model message carries every parameter and state tensor under the model's own view names
/// (`layers.<i>.weight`, …) and the `ModelSpec` as JSON. An update carries the delta of every parameter
/// tensor and, for a model with running statistics (batch norm), the delta of every state tensor too
/// (running statistics after local training minus the base version's), under the state views' names: the
/// aggregator averages the hospitals' statistics with the updates' weights (see Protocol.md, "Batch
/// normalisation"). A model without state sends exactly its parameter deltas.
extension Model {
    /// What every update must carry: the parameter tensors' names and shapes, then the state tensors'.
    public var updateLayout: TensorLayout { modelLayout }

    /// The names of the state tensors (running statistics) in an update: carried and checked, but not
    /// counted in its norm, and folded apart from the parameters.
    public var stateTensorNames: Set<String> { Set(stateViews.map(\.name)) }

    /// Every parameter and state tensor's name and shape: what every model message must carry.
    public var modelLayout: TensorLayout {
        TensorLayout(
            shapes: Dictionary(uniqueKeysWithValues: (parameterViews + stateViews).map { ($0.name, $0.shape) }))
    }

    /// This model as a model message of `version` (weights copied), carrying the federation's privacy
    /// policy when it has one.
    public func modelMessage(
        version: UInt64, created: Date = Date(), privacy: PrivacyPolicy? = nil
    ) throws -> ModelMessage {
        var tensors = Model.tensors(parameterViews, of: parameters)
        tensors += Model.tensors(stateViews, of: state)
        return ModelMessage(
            version: version, created: UInt64(created.timeIntervalSince1970 * 1000),
            spec: String(decoding: try JSONEncoder().encode(spec), as: UTF8.self), weights: try WireTensors(tensors),
            privacy: privacy?.wireText)
    }

    /// A model built from a model message's spec and weights.
    public convenience init(message: ModelMessage) throws {
        let spec: ModelSpec
        do {
            spec = try JSONDecoder().decode(ModelSpec.self, from: Data(message.spec.utf8))
        } catch {
            throw ModelError.badCheckpoint(
                path: "model message v\(message.version)", reason: "its spec does not parse: \(error)")
        }
        try self.init(spec: spec)
        try load(weights: message.weights, origin: "model message v\(message.version)")
    }

    /// Overwrites parameters and state with same-named wire tensors of the same shapes.
    public func load(weights: WireTensors, origin: String) throws {
        for (views, buffer) in [(parameterViews, parameters), (stateViews, state)] {
            for view in views {
                guard weights.shape(view.name) == view.shape else {
                    throw ModelError.badCheckpoint(
                        path: origin, reason: "tensor '\(view.name)' is missing or not of shape \(view.shape)")
                }
                weights.withFloats(view.name) { values in
                    _ = UnsafeMutableBufferPointer(rebasing: buffer.buffer[view.range]).update(fromContentsOf: values)
                }
            }
        }
    }

    /// An update's tensors: the delta w − base of every parameter tensor and s − baseState of every state
    /// tensor (base and baseState have this model's layout; without baseState the state delta is zero).
    public func delta(from base: FloatBuffer, state baseState: FloatBuffer? = nil) throws -> WireTensors {
        precondition(base.count == parameterCount, "base has \(base.count) values, the model \(parameterCount)")
        precondition(
            baseState.map { $0.count == state.count } ?? true,
            "base state has \(baseState?.count ?? 0) values, the model \(state.count)")
        func differences(_ views: [ParameterView], _ now: FloatBuffer, _ then: FloatBuffer) -> [WireTensor] {
            views.map { view in
                WireTensor(
                    name: view.name, shape: view.shape, values: view.range.map { now.pointer[$0] - then.pointer[$0] })
            }
        }
        return try WireTensors(
            differences(parameterViews, parameters, base) + differences(stateViews, state, baseState ?? state))
    }

    /// Copies the parameter tensors of `tensors` (an update's delta, already validated against
    /// `updateLayout`) into one flat vector in parameter order.
    public func flatten(_ tensors: WireTensors, into flat: UnsafeMutableBufferPointer<Float>) {
        precondition(flat.count == parameterCount)
        Model.copy(tensors, parameterViews, into: flat)
    }

    /// Copies the state tensors of `tensors` (an update's, already validated against `updateLayout`) into
    /// one flat vector in state order.
    public func flattenState(_ tensors: WireTensors, into flat: UnsafeMutableBufferPointer<Float>) {
        precondition(flat.count == state.count)
        Model.copy(tensors, stateViews, into: flat)
    }

    /// Copies the tensors named by `views` into their ranges of `flat`.
    private static func copy(
        _ tensors: WireTensors, _ views: [ParameterView], into flat: UnsafeMutableBufferPointer<Float>
    ) {
        for view in views {
            tensors.withFloats(view.name) { values in
                _ = UnsafeMutableBufferPointer(rebasing: flat[view.range]).update(fromContentsOf: values)
            }
        }
    }

    private static func tensors(_ views: [ParameterView], of buffer: FloatBuffer) -> [WireTensor] {
        views.map { WireTensor(name: $0.name, shape: $0.shape, values: Array(buffer.buffer[$0.range])) }
    }
}
