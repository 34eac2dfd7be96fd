/// A node's checks on a model it received (broadcast or snapshot), after the decoder has verified the
/// aggregator's signature. Pure: no I/O, no state.
///
/// In order: ``RejectionReason/replay`` for a snapshot reply to another request;
/// ``RejectionReason/stale`` for a version not newer than the one held; ``RejectionReason/wrongTensors``
/// when a layout is given and differs; ``RejectionReason/nonFinite`` for a NaN or infinity.
public struct ModelValidator: Sendable {
    /// The version the node holds, nil when it holds none (any version is then new).
    public var heldVersion: UInt64?
    /// The layout the model must have, nil to accept any (a node that has no model yet).
    public var layout: TensorLayout?

    /// Makes a validator.
    public init(heldVersion: UInt64?, layout: TensorLayout?) {
        self.heldVersion = heldVersion
        self.layout = layout
    }

    /// Validates a model broadcast or the model of a snapshot reply.
    public func validate(_ model: ModelMessage) -> Result<ModelMessage, RejectionReason> {
        if let heldVersion, model.version <= heldVersion { return .failure(.stale) }
        if let layout, !layout.matches(model.weights) { return .failure(.wrongTensors) }
        guard TensorScan.sumOfSquares(model.weights).isFinite else { return .failure(.nonFinite) }
        return .success(model)
    }

    /// Validates a snapshot reply to the request `openRequestID`; its model, when it carries one, as
    /// the model check above does.
    public func validate(_ reply: SnapshotReply, openRequestID: UInt64) -> Result<SnapshotReply, RejectionReason> {
        guard reply.requestID == openRequestID else { return .failure(.replay) }
        guard let model = reply.model else { return .success(reply) }
        return validate(model).map { _ in reply }
    }
}
