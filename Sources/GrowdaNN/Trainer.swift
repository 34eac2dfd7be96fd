import Dispatch
import Foundation
import GrowdaTensor

/// Mini-batch training of a `Model`, data-parallel over worker threads.
///
/// Each step splits the batch into one contiguous share per worker; every worker fills its own
/// workspace (so decoding and augmentation run in parallel too), runs forward and backward with
/// single-threaded BLAS, and leaves its gradient in its workspace. The gradients are summed and the
/// optimizer takes one step. Randomness is forked per worker per step from one seeded stream, so a
/// run is repeatable for a given seed and thread count.
///
/// With `privacy` set the trainer runs DP-SGD (see `DPSGD`): batches are Poisson-sampled, each
/// worker clips every sample's gradient on its own, and the noised sum is divided by the expected
/// batch size.
public final class Trainer: @unchecked Sendable {
    /// The model being trained (its parameters change in place).
    public let model: Model
    /// The update rule.
    public let optimizer: Optimizer
    /// The loss.
    public var loss: SoftmaxCrossEntropy
    /// The learning rate step by step, or nil for the optimizer's own (which callers may change between steps).
    public var schedule: LearningRateSchedule?
    /// Samples per step.
    public let batchSize: Int
    /// Worker threads.
    public let workers: Int
    /// DP-SGD settings, or nil for ordinary training.
    public let privacy: DPSGD?
    /// Optimizer steps taken under DP-SGD (what the privacy accountant composes).
    public private(set) var privateSteps = 0
    /// Samples whose gradient DP-SGD scaled down to the clip norm, and all it saw.
    public private(set) var clippedSamples = 0, privateSamples = 0
    private let workspaces: [Workspace]
    /// Each worker's sum of clipped per-sample gradients (DP-SGD only).
    private let clippedSums: [FloatBuffer]
    private var rng: SeededGenerator
    /// DP-SGD: the expected batch size the noised sum is divided by (q·n of the epoch's data set).
    private var expectedBatch: Double
    /// DP-SGD's noise (secure unless a test fixed a seed).
    private var noise: NoiseSource

    /// A trainer for `model`; `threads` workers share each batch; the loss smooths labels by `labelSmoothing`.
    /// With `privacy` it runs DP-SGD, its noise
    /// drawn from `noise` (secure by default: `seed` governs shuffling, augmentation and sampling only).
    public init(
        model: Model, optimizer: OptimizerConfig, batchSize: Int, threads: Int = 1,
        classWeights: [Float]? = nil, labelSmoothing: Float = 0, seed: UInt64 = 0, privacy: DPSGD? = nil,
        noise: NoiseSource = .secure
    ) {
        precondition(batchSize > 0 && threads > 0)
        if let privacy, let problem = privacy.problem(for: model) { preconditionFailure(problem) }
        self.model = model
        self.privacy = privacy
        self.optimizer = Optimizer(optimizer, count: model.parameterCount)
        loss = SoftmaxCrossEntropy(classWeights: classWeights, labelSmoothing: labelSmoothing)
        self.batchSize = batchSize
        workers = min(threads, batchSize)
        let share = (batchSize + workers - 1) / workers
        // DP-SGD runs one sample at a time through each workspace.
        workspaces = (0..<workers).map {
            Workspace(model: model, maxBatch: privacy == nil ? share : 1, seed: seed &+ UInt64($0))
        }
        clippedSums = privacy == nil ? [] : (0..<workers).map { _ in FloatBuffer(count: model.parameterCount) }
        rng = SeededGenerator(seed: seed)
        expectedBatch = Double(batchSize)
        self.noise = noise
    }

    /// What one step or epoch achieved.
    public struct Stats: Sendable {
        /// Mean loss per sample (class-weighted).
        public var loss: Double
        /// Fraction of samples whose arg-max was right.
        public var accuracy: Double
        /// Samples seen.
        public var samples: Int
        /// Wall-clock seconds.
        public var seconds: Double
        /// Samples per second.
        public var samplesPerSecond: Double { seconds > 0 ? Double(samples) / seconds : 0 }

        /// Figures from their parts.
        public init(loss: Double, accuracy: Double, samples: Int, seconds: Double) {
            self.loss = loss
            self.accuracy = accuracy
            self.samples = samples
            self.seconds = seconds
        }
    }

    /// Progress within an epoch, reported after every step.
    public struct Progress: Sendable {
        /// Steps done and the epoch's step count.
        public var step: Int, steps: Int
        /// Running figures over the epoch so far.
        public var stats: Stats
    }

    /// One optimizer step on the samples at `indices` of `data` (under DP-SGD any number, even none:
    /// a Poisson-sampled batch may be empty, and the step then moves by noise alone).
    @discardableResult
    public func step(_ data: some SampleSource, indices: ArraySlice<Int>) -> Stats {
        if let privacy { return privateStep(data, indices: indices, privacy) }
        let start = DispatchTime.now().uptimeNanoseconds
        BLAS.setThreads(1)
        let n = indices.count
        precondition(n > 0 && n <= batchSize, "a step takes 1...\(batchSize) samples, got \(n)")
        let labels = data.labels
        let totalWeight = loss.totalWeight(indices.lazy.map { labels[$0] })
        let used = min(workers, n)
        let share = (n + used - 1) / used
        let shares = (0..<used).map { w in
            indices[(indices.startIndex + w * share)..<min(indices.startIndex + (w + 1) * share, indices.endIndex)]
        }
        for w in 0..<used { workspaces[w].rng = rng.fork() }
        let slots = UnsafeMutablePointer<SoftmaxCrossEntropy.Result>.allocate(capacity: used)
        slots.initialize(repeating: .init(weightedLoss: 0, correct: 0), count: used)
        defer { slots.deallocate() }
        let model = self.model, loss = self.loss, wss = workspaces
        let box = UncheckedSendable(slots)
        let work: @Sendable (Int) -> Void = { w in
            let ws = wss[w]
            let mine = shares[w]
            guard !mine.isEmpty else { return }
            data.fillBatch(indices: mine, into: &ws.input, labels: &ws.labels, rng: &ws.rng)
            ws.grads.zero()
            let logits = model.forward(ws, batch: mine.count, mode: .training)
            let dLogits = ws.gradB.pointer
            box.value[w] = ws.labels.withUnsafeBufferPointer { lp in
                loss.lossAndGradient(
                    logits: logits.baseAddress!, labels: lp.baseAddress!, batch: mine.count,
                    classes: model.classCount, totalWeight: totalWeight, dLogits: dLogits)
            }
            model.backward(ws, batch: mine.count, dLogits: dLogits)
        }
        if used == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: used, execute: work) }
        let results = Array(UnsafeBufferPointer(start: slots, count: used))
        let total = workspaces[0].grads
        for w in 1..<used {
            BLAS.axpy(count: total.count, alpha: 1, workspaces[w].grads.pointer, total.pointer)
        }
        applySchedule()
        optimizer.update(model.parameters.pointer, grads: total.pointer, count: model.parameterCount, threads: workers)
        model.commitState(from: Array(workspaces[0..<used]))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let weighted = results.reduce(0) { $0 + $1.weightedLoss }
        let correct = results.reduce(0) { $0 + $1.correct }
        return Stats(
            loss: weighted / Double(max(totalWeight, .leastNormalMagnitude)), accuracy: Double(correct) / Double(n),
            samples: n, seconds: seconds)
    }

    /// DP-SGD's step: per-sample gradients clipped to C in each worker, summed, noised, divided by
    /// the expected batch size.
    private func privateStep(_ data: some SampleSource, indices: ArraySlice<Int>, _ privacy: DPSGD) -> Stats {
        let start = DispatchTime.now().uptimeNanoseconds
        BLAS.setThreads(1)
        let n = indices.count
        let used = max(1, min(workers, n))
        let share = (n + used - 1) / used
        let shares = (0..<used).map { w in
            indices[min(indices.startIndex + w * share, indices.endIndex)..<min(
                indices.startIndex + (w + 1) * share, indices.endIndex)]
        }
        for w in 0..<used { workspaces[w].rng = rng.fork() }
        let slots = UnsafeMutablePointer<PrivatePart>.allocate(capacity: used)
        slots.initialize(repeating: PrivatePart(), count: used)
        defer { slots.deallocate() }
        let model = self.model, loss = self.loss, wss = workspaces, sums = clippedSums
        let box = UncheckedSendable(slots)
        let clip = Double(privacy.clipNorm), count = model.parameterCount
        let work: @Sendable (Int) -> Void = { w in
            let ws = wss[w], sum = sums[w]
            sum.zero()
            var part = PrivatePart()
            for index in shares[w] {
                data.fillBatch(indices: [index][...], into: &ws.input, labels: &ws.labels, rng: &ws.rng)
                ws.grads.zero()
                let logits = model.forward(ws, batch: 1, mode: .training)
                let dLogits = ws.gradB.pointer
                let r = ws.labels.withUnsafeBufferPointer { lp in
                    loss.lossAndGradient(
                        logits: logits.baseAddress!, labels: lp.baseAddress!, batch: 1, classes: model.classCount,
                        totalWeight: 1, dLogits: dLogits)
                }
                part.weightedLoss += r.weightedLoss
                part.weight += Double(loss.weight(ws.labels[0]))
                part.correct += r.correct
                model.backward(ws, batch: 1, dLogits: dLogits)
                let norm = l2Norm(ws.grads.pointer, count: count)
                var scale: Float = 1
                if norm > clip {
                    scale = Float(clip / norm)
                    part.clipped += 1
                }
                BLAS.axpy(count: count, alpha: scale, ws.grads.pointer, sum.pointer)
            }
            box.value[w] = part
        }
        if used == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: used, execute: work) }
        let parts = Array(UnsafeBufferPointer(start: slots, count: used))
        let total = clippedSums[0]
        for w in 1..<used { BLAS.axpy(count: count, alpha: 1, clippedSums[w].pointer, total.pointer) }
        addGaussianNoise(
            total.pointer, count: count, std: privacy.noiseMultiplier * privacy.clipNorm, source: &noise, threads: workers)
        BLAS.scale(count: count, alpha: Float(1 / expectedBatch), total.pointer)
        applySchedule()
        optimizer.update(model.parameters.pointer, grads: total.pointer, count: count, threads: workers)
        privateSteps += 1
        privateSamples += n
        clippedSamples += parts.reduce(0) { $0 + $1.clipped }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let weight = parts.reduce(0) { $0 + $1.weight }
        return Stats(
            loss: weight > 0 ? parts.reduce(0) { $0 + $1.weightedLoss } / weight : 0,
            accuracy: n > 0 ? Double(parts.reduce(0) { $0 + $1.correct }) / Double(n) : 0, samples: n,
            seconds: seconds)
    }

    /// Sets the optimizer's rate for the step about to be taken, when a schedule is set.
    private func applySchedule() {
        if let schedule { optimizer.learningRate = schedule.rate(atStep: optimizer.step + 1) }
    }

    /// The steps one epoch over `count` samples takes (under DP-SGD its Poisson-sampled steps).
    public func stepsPerEpoch(count: Int) -> Int {
        privacy?.steps(batchSize: batchSize, count: count) ?? (count + batchSize - 1) / batchSize
    }

    /// One worker's share of a DP-SGD step's figures.
    private struct PrivatePart { var weightedLoss = 0.0, weight = 0.0, correct = 0, clipped = 0 }

    /// The index sets of one epoch's steps: consecutive slices of a shuffled order, or under DP-SGD
    /// round(1/q) Poisson samples (each index joins each step with probability q: `DPSGD.rate`).
    private func epochBatches(count: Int) -> [ArraySlice<Int>] {
        if let privacy {
            let q = privacy.rate(batchSize: batchSize, count: count)
            expectedBatch = max(q * Double(count), 1e-9)
            return (0..<privacy.steps(batchSize: batchSize, count: count)).map { _ in
                (0..<count).filter { _ in Double(rng.nextUnit()) < q }[...]
            }
        }
        var order = Array(0..<count)
        order.shuffle(using: &rng)
        return stride(from: 0, to: count, by: batchSize).map { order[$0..<min($0 + batchSize, count)] }
    }

    /// One pass over `data` in a shuffled order (drawn from the trainer's seeded stream). `shouldStop`
    /// is asked before each step; when it says yes the epoch ends early with what was done.
    public func trainEpoch(
        _ data: some SampleSource, shouldStop: (() -> Bool)? = nil, progress: ((Progress) -> Void)? = nil
    ) -> Stats {
        let batches = epochBatches(count: data.count)
        let steps = batches.count
        var sum = Stats(loss: 0, accuracy: 0, samples: 0, seconds: 0)
        var lossSum = 0.0, correctSum = 0.0
        for s in 0..<steps {
            if shouldStop?() == true { break }
            let st = step(data, indices: batches[s])
            lossSum += st.loss * Double(st.samples)
            correctSum += st.accuracy * Double(st.samples)
            sum.samples += st.samples
            sum.seconds += st.seconds
            sum.loss = lossSum / Double(max(sum.samples, 1))
            sum.accuracy = correctSum / Double(max(sum.samples, 1))
            progress?(Progress(step: s + 1, steps: steps, stats: sum))
        }
        return sum
    }
}
