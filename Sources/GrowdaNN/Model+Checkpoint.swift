import Foundation
import GrowdaSafetensors

/// Checkpoints: a model's spec, parameters and state in one safetensors file.
///
/// Layout: one F32 tensor per parameter and state view, named as in `parameterViews` /
/// `stateViews` (`layers.<i>.weight`, … in PyTorch's shapes), and in `__metadata__`:
/// `format` = "growda-checkpoint", `format_version` = "1", `growda.spec` = the `ModelSpec` as JSON,
/// `growda.classes` = the class names comma-joined (for a quick look), plus any training facts the
/// caller adds (epoch, validation metrics, decision threshold, …), and `growda.temperature` when the model
/// has a fitted softmax temperature other than 1. Python's `safetensors` loads it.
extension Model {
    /// The metadata key that holds the spec.
    public static let specKey = "growda.spec"
    /// The metadata key that holds the softmax temperature (absent: 1).
    public static let temperatureKey = "growda.temperature"

    /// A writer holding this model's tensors and metadata (with `facts` merged in).
    public func checkpointWriter(facts: [String: String] = [:]) throws -> SafetensorsWriter {
        var metadata = facts
        metadata["format"] = "growda-checkpoint"
        metadata["format_version"] = "1"
        metadata[Model.specKey] = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        metadata["growda.classes"] = spec.classes.joined(separator: ",")
        metadata[Model.temperatureKey] = temperature == 1 ? nil : String(temperature)
        var writer = SafetensorsWriter(metadata: metadata)
        for view in parameterViews {
            try writer.add(
                name: view.name, shape: view.shape,
                floats: UnsafeBufferPointer(rebasing: parameters.buffer[view.range]))
        }
        for view in stateViews {
            try writer.add(
                name: view.name, shape: view.shape, floats: UnsafeBufferPointer(rebasing: state.buffer[view.range]))
        }
        return writer
    }

    /// Writes a checkpoint atomically (temp file, fsync, rename) to `path`.
    public func save(to path: String, facts: [String: String] = [:]) throws {
        try checkpointWriter(facts: facts).write(to: path)
    }

    /// A model rebuilt from a checkpoint file: its spec from the metadata, then every tensor.
    public convenience init(checkpoint path: String) throws {
        try self.init(checkpoint: try SafetensorsFile(contentsOf: path), origin: path)
    }

    /// A model rebuilt from parsed checkpoint bytes; `origin` names the source in errors.
    public convenience init(checkpoint file: SafetensorsFile, origin: String) throws {
        guard let json = file.metadata[Model.specKey] else {
            throw ModelError.badCheckpoint(
                path: origin, reason: "no '\(Model.specKey)' in its metadata: not a Growda checkpoint")
        }
        let spec: ModelSpec
        do {
            spec = try JSONDecoder().decode(ModelSpec.self, from: Data(json.utf8))
        } catch {
            throw ModelError.badCheckpoint(path: origin, reason: "its model spec does not parse: \(error)")
        }
        try self.init(spec: spec)
        try load(from: file, origin: origin)
        if let text = file.metadata[Model.temperatureKey] {
            guard let t = Float(text), Calibration.temperatureRange.contains(t) else {
                throw ModelError.badCheckpoint(
                    path: origin,
                    reason: "its '\(Model.temperatureKey)' is '\(text)', not a temperature in "
                        + "\(Calibration.temperatureRange.lowerBound)…\(Calibration.temperatureRange.upperBound)")
            }
            temperature = t
        }
    }

    /// Overwrites parameters and state with the tensors of a checkpoint of the same architecture.
    public func load(from file: SafetensorsFile, origin: String) throws {
        for (views, buffer) in [(parameterViews, parameters), (stateViews, state)] {
            for view in views {
                guard let info = file.info(view.name) else {
                    throw ModelError.badCheckpoint(path: origin, reason: "tensor '\(view.name)' is missing")
                }
                guard info.shape == view.shape else {
                    throw ModelError.badCheckpoint(
                        path: origin,
                        reason: "tensor '\(view.name)' has shape \(info.shape), the model needs \(view.shape)")
                }
                do {
                    try file.copyFloats(
                        view.name, into: UnsafeMutableBufferPointer(rebasing: buffer.buffer[view.range]))
                } catch {
                    throw ModelError.badCheckpoint(path: origin, reason: "tensor '\(view.name)': \(error)")
                }
            }
        }
    }

    /// The training facts stored with a checkpoint (its metadata without the spec).
    public static func facts(of file: SafetensorsFile) -> [String: String] {
        file.metadata.filter { $0.key != specKey }
    }
}
