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
public final class Trainer: @unchecked Sendable {
    /// The model being trained (its parameters change in place).
    public let model: Model
    /// The update rule.
    public let optimizer: Optimizer
    /// The loss.
    public var loss: SoftmaxCrossEntropy
    /// Samples per step.
    public let batchSize: Int
    /// Worker threads.
    public let workers: Int
    private let workspaces: [Workspace]
    private var rng: SeededGenerator

    /// A trainer for `model`; `threads` workers share each batch.
    public init(
        model: Model, optimizer: OptimizerConfig, batchSize: Int, threads: Int = 1,
        classWeights: [Float]? = nil, seed: UInt64 = 0
    ) {
        precondition(batchSize > 0 && threads > 0)
        self.model = model
        self.optimizer = Optimizer(optimizer, count: model.parameterCount)
        loss = SoftmaxCrossEntropy(classWeights: classWeights)
        self.batchSize = batchSize
        workers = min(threads, batchSize)
        let share = (batchSize + workers - 1) / workers
        workspaces = (0..<workers).map { Workspace(model: model, maxBatch: share, seed: seed &+ UInt64($0)) }
        rng = SeededGenerator(seed: seed)
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

    /// One optimizer step on the samples at `indices` of `data`.
    @discardableResult
    public func step(_ data: some SampleSource, indices: ArraySlice<Int>) -> Stats {
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
        optimizer.update(model.parameters.pointer, grads: total.pointer, count: model.parameterCount, threads: workers)
        model.commitState(from: Array(workspaces[0..<used]))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let weighted = results.reduce(0) { $0 + $1.weightedLoss }
        let correct = results.reduce(0) { $0 + $1.correct }
        return Stats(
            loss: weighted / Double(max(totalWeight, .leastNormalMagnitude)), accuracy: Double(correct) / Double(n),
            samples: n, seconds: seconds)
    }

    /// One pass over `data` in a shuffled order (drawn from the trainer's seeded stream). `shouldStop`
    /// is asked before each step; when it says yes the epoch ends early with what was done.
    public func trainEpoch(
        _ data: some SampleSource, shouldStop: (() -> Bool)? = nil, progress: ((Progress) -> Void)? = nil
    ) -> Stats {
        var order = Array(0..<data.count)
        order.shuffle(using: &rng)
        let steps = (order.count + batchSize - 1) / batchSize
        var sum = Stats(loss: 0, accuracy: 0, samples: 0, seconds: 0)
        var lossSum = 0.0, correctSum = 0.0
        for s in 0..<steps {
            if shouldStop?() == true { break }
            let slice = order[(s * batchSize)..<min((s + 1) * batchSize, order.count)]
            let st = step(data, indices: slice)
            lossSum += st.loss * Double(st.samples)
            correctSum += st.accuracy * Double(st.samples)
            sum.samples += st.samples
            sum.seconds += st.seconds
            sum.loss = lossSum / Double(sum.samples)
            sum.accuracy = correctSum / Double(sum.samples)
            progress?(Progress(step: s + 1, steps: steps, stats: sum))
        }
        return sum
    }
}
