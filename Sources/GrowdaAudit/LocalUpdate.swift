import GrowdaNN
import GrowdaTensor

/// One update trained as a node trains it (see `TrainingRound` in GrowdaNode): a copy of the global model,
/// one local epoch of `Trainer` over the local samples with the node's optimizer, the trained parameters minus
/// the global ones, then the optional update-level clip and noise before it would be sealed.
///
/// The audit gives the trainer a batch size equal to the number of samples, so the epoch is one step over all
/// of them (as a node's is whenever it holds no more samples than its batch size). Under DP-SGD the batch is
/// Poisson-sampled with rate 1 (every sample joins), each sample's gradient is clipped and the noise added.
public struct LocalUpdate: Sendable {
    /// The local optimizer (a node's default: Adam, learning rate 10⁻³, weight decay 0.05).
    public var optimizer: OptimizerConfig
    /// DP-SGD in the local training, or nil.
    public var privacy: DPSGD?
    /// The update-level clip and noise, or nil.
    public var updatePrivacy: UpdatePrivacy?
    /// Training threads.
    public var threads: Int
    /// Seeds the trainer (shuffling, DP-SGD sampling and noise) and the update-level noise.
    public var seed: UInt64

    /// Settings from their parts.
    public init(
        optimizer: OptimizerConfig, privacy: DPSGD? = nil, updatePrivacy: UpdatePrivacy? = nil, threads: Int = 1,
        seed: UInt64 = 1
    ) {
        self.optimizer = optimizer
        self.privacy = privacy
        self.updatePrivacy = updatePrivacy
        self.threads = max(1, threads)
        self.seed = seed
    }

    /// The update (trained minus global parameters, the whole flat vector) after one local epoch over `samples`;
    /// `global` is not changed. Throws `ModelError.privacy` when DP-SGD cannot train this model.
    public func train(from global: Model, on samples: some SampleSource) throws -> [Float] {
        precondition(samples.count > 0, "an update needs at least one sample")
        guard samples.sampleShape == global.spec.inputShape else {
            throw AuditError.shapeMismatch(
                "the samples are \(samples.sampleShape), but model '\(global.spec.name)' takes \(global.spec.inputShape)")
        }
        if let privacy { try privacy.check(global) }
        let working = try Model(spec: global.spec)
        working.parameters.assign(global.parameters.buffer)
        working.state.assign(global.state.buffer)
        let trainer = Trainer(
            model: working, optimizer: optimizer, batchSize: samples.count, threads: threads, seed: seed,
            privacy: privacy)
        _ = trainer.trainEpoch(samples)
        var delta = (0..<global.parameterCount).map { working.parameters.pointer[$0] - global.parameters.pointer[$0] }
        if let updatePrivacy {
            var noise = NoiseSource.secure  // as a node draws it: not reproducible from the seed
            delta.withUnsafeMutableBufferPointer {
                _ = updatePrivacy.apply($0.baseAddress!, count: $0.count, source: &noise)
            }
        }
        return delta
    }
}
