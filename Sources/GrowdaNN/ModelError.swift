/// Why a model could not be built, loaded or used.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    /// A layer does not fit the shape it receives.
    case badShape(String)
    /// The spec names no known reference model.
    case unknownModel(String)
    /// A checkpoint is missing a tensor, has one of the wrong shape, or lacks its spec.
    case badCheckpoint(path: String, reason: String)
    /// Data and model disagree (sample shape or classes).
    case dataMismatch(String)
    /// Grad-CAM was asked of a model (named) that has no convolution layer.
    case noConvolution(model: String)
    /// Differential privacy cannot be used as asked (bad settings, or a layer it does not support).
    case privacy(String)

    /// A message that says what is wrong and what to do.
    public var description: String {
        switch self {
        case .badShape(let s): return "model shape error: \(s)"
        case .unknownModel(let name):
            return "unknown model '\(name)': choose one of \(ModelSpec.referenceNames.joined(separator: ", "))"
        case .badCheckpoint(let path, let reason): return "cannot use checkpoint \(path): \(reason)"
        case .dataMismatch(let s): return "data does not fit the model: \(s)"
        case .privacy(let s): return "cannot train privately: \(s)"
        case .noConvolution(let model):
            return "model '\(model)' has no convolution layer, and Grad-CAM explains the feature maps of the last one: "
                + "explain a convolutional model (\(ModelSpec.referenceNames.joined(separator: ", ")))"
        }
    }
}
