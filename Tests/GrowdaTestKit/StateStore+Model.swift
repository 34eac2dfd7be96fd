import GrowdaNN
import GrowdaSafetensors
import GrowdaStore

/// For tests: GrowdaStore knows checkpoints as safetensors writers, not models (it does not depend on the
/// learning engine); this overload makes the writer from a model as the aggregator does.
extension StateStore {
    /// Commits `version` with `model`'s weights: see `commitVersion(_:checkpoint:accepting:evaluation:optimizerState:)`.
    /// The checkpoint carries the fact `growda.version` and loads back with `Model(checkpoint:)`.
    @discardableResult
    public func commitVersion(
        _ version: UInt64, model: Model, accepting accepted: [AcceptedUpdate] = [], evaluation: Evaluation? = nil,
        optimizerState: SafetensorsWriter? = nil
    ) throws -> VersionRecord {
        try commitVersion(
            version, checkpoint: try model.checkpointWriter(facts: ["growda.version": String(version)]),
            accepting: accepted, evaluation: evaluation, optimizerState: optimizerState)
    }
}
