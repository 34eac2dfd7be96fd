/// A server optimizer's state as named flat Float arrays, one per model-sized vector, so a checkpoint
/// can store it as tensors. Names: `server.momentum` (``ServerMomentum``), `server.adam.m` and
/// `server.adam.v` (``ServerAdam``).
public struct OptimizerState: Sendable, Equatable {
    /// The arrays by name.
    public var tensors: [String: [Float]]

    /// Makes a state from named arrays.
    public init(_ tensors: [String: [Float]] = [:]) {
        self.tensors = tensors
    }
}

/// Why ``AggregationStrategy/restore(version:optimizerState:at:)`` refused a state.
public enum AggregationStateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The state lacks an array this strategy's optimizer needs.
    case missingTensor(name: String)
    /// An array has the wrong number of values.
    case wrongLength(name: String, expected: Int, actual: Int)
    /// The state holds arrays no part of this strategy uses (say, Adam state given to plain FedBuff).
    case unexpectedTensors(names: [String])
    /// A saved buffer whose counts contradict each other (k, Z, nodes, staleness, clipped).
    case inconsistentBuffer
    /// A plain FedBuff buffer (S only) of `count` updates given to a robust rule, which needs each delta.
    case deltasNeeded(count: Int)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .missingTensor(let name):
            "optimizer state lacks '\(name)': it was saved with a different server optimizer"
        case .wrongLength(let name, let expected, let actual):
            "optimizer state '\(name)' has \(actual) values, the model \(expected)"
        case .unexpectedTensors(let names):
            "optimizer state holds \(names.joined(separator: ", ")), which this server optimizer does not use; "
                + "restore with no optimizer state to start afresh"
        case .inconsistentBuffer:
            "the saved buffer's counts contradict each other (updates, weight, nodes, staleness)"
        case .deltasNeeded(let count):
            "the saved buffer holds the sum of \(count) updates, not each delta, which fedbuff.robust needs: "
                + "restart once with fedbuff.robust = none until the next version is made, then turn it on"
        }
    }
}

extension OptimizerState {
    /// The array `name`, checked for length, or the error naming what is wrong.
    func require(_ name: String, count: Int) throws(AggregationStateError) -> [Float] {
        guard let values = tensors[name] else { throw .missingTensor(name: name) }
        guard values.count == count else { throw .wrongLength(name: name, expected: count, actual: values.count) }
        return values
    }

    /// The state without the named arrays.
    func removing(_ names: [String]) -> OptimizerState {
        var rest = self
        for name in names { rest.tensors[name] = nil }
        return rest
    }
}
