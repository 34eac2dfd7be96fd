/// A server-side evaluation of one version on held-out data.
public struct Evaluation: Sendable, Equatable {
    /// The fraction of samples classified correctly, in [0, 1].
    public var accuracy: Double
    /// The area under the ROC curve, nil when it is undefined (e.g. one class only).
    public var auc: Double?
    /// The mean loss, nil when not computed.
    public var loss: Double?

    /// Makes an evaluation result.
    public init(accuracy: Double, auc: Double? = nil, loss: Double? = nil) {
        self.accuracy = accuracy
        self.auc = auc
        self.loss = loss
    }

    /// Throws `StoreError.invalidValue` for a non-finite value.
    func validate() throws {
        for (name, value) in [("accuracy", accuracy), ("auc", auc), ("loss", loss)] {
            if let value, !value.isFinite {
                throw StoreError.invalidValue(field: "evaluation \(name)", reason: "\(value) is not finite")
            }
        }
    }
}
