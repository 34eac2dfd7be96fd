import Foundation
import GrowdaNN
import GrowdaTensor
import GrowdaWire

/// How models and updates travel: a `Model`'s named views as wire tensors and back.
///
/// A model message carries every parameter and state tensor under the model's own view names
/// (`layers.<i>.weight`, …) and the `ModelSpec` as JSON; an update's delta carries the parameter
/// tensors only (state such as batch-norm statistics stays at each hospital).
extension Model {
    /// The parameter tensors' names and shapes: what every update's delta must carry.
    public var updateLayout: TensorLayout {
        TensorLayout(shapes: Dictionary(uniqueKeysWithValues: parameterViews.map { ($0.name, $0.shape) }))
    }

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

    /// The delta w − base of every parameter tensor, as wire tensors (base has this model's layout).
    public func delta(from base: FloatBuffer) throws -> WireTensors {
        precondition(base.count == parameterCount, "base has \(base.count) values, the model \(parameterCount)")
        let tensors = parameterViews.map { view in
            WireTensor(
                name: view.name, shape: view.shape, values: view.range.map { parameters.pointer[$0] - base.pointer[$0] }
            )
        }
        return try WireTensors(tensors)
    }

    /// Copies the parameter tensors of `tensors` (an update's delta, already validated against
    /// `updateLayout`) into one flat vector in parameter order.
    public func flatten(_ tensors: WireTensors, into flat: UnsafeMutableBufferPointer<Float>) {
        precondition(flat.count == parameterCount)
        for view in parameterViews {
            tensors.withFloats(view.name) { values in
                _ = UnsafeMutableBufferPointer(rebasing: flat[view.range]).update(fromContentsOf: values)
            }
        }
    }

    private static func tensors(_ views: [ParameterView], of buffer: FloatBuffer) -> [WireTensor] {
        views.map { WireTensor(name: $0.name, shape: $0.shape, values: Array(buffer.buffer[$0.range])) }
    }
}
