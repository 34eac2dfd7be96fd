import Dispatch
import GrowdaTensor

/// Inference: class probabilities for many samples (data-parallel over workers) or for one
/// (one worker with multi-threaded BLAS, for the lowest latency).
public final class Predictor: @unchecked Sendable {
    /// The model used (read only).
    public let model: Model
    /// Threads available.
    public let threads: Int
    /// Samples per worker pass.
    public let chunk: Int
    private let workspaces: [Workspace]

    /// A predictor for `model` over `threads` threads, passing up to `chunk` samples at a time per worker.
    public init(model: Model, threads: Int = 1, chunk: Int = 16) {
        self.model = model
        self.threads = max(1, threads)
        self.chunk = chunk
        workspaces = (0..<self.threads).map {
            Workspace(model: model, maxBatch: chunk, seed: UInt64($0), forTraining: false)
        }
    }

    /// Probabilities (count, classes), row-major, for every sample of `data`, in order: the softmax of the
    /// logits at the model's temperature.
    public func probabilities(_ data: some SampleSource) -> [Float] {
        Calibration.probabilities(logits: logits(data), classes: model.classCount, temperature: model.temperature)
    }

    /// Logits (count, classes), row-major, for every sample of `data`, in order (what temperature scaling
    /// is fitted on).
    public func logits(_ data: some SampleSource) -> [Float] {
        let k = model.classCount, n = data.count
        guard n > 0 else { return [] }
        var out = [Float](repeating: 0, count: n * k)
        let chunks = (n + chunk - 1) / chunk
        let workers = min(threads, chunks)
        // Many samples: one worker per thread, single-threaded BLAS. Few: all threads in BLAS.
        BLAS.setThreads(workers == 1 ? threads : 1)
        let model = self.model, chunk = self.chunk, wss = workspaces
        out.withUnsafeMutableBufferPointer { ob in
            let outBox = UncheckedSendable(ob.baseAddress!)
            let work: @Sendable (Int) -> Void = { w in
                let ws = wss[w]
                var c = w
                while c < chunks {
                    let lo = c * chunk, hi = min(lo + chunk, n)
                    data.fillBatch(indices: Array(lo..<hi)[...], into: &ws.input, labels: &ws.labels, rng: &ws.rng)
                    let logits = model.forward(ws, batch: hi - lo, mode: .inference)
                    (outBox.value + lo * k).update(from: logits.baseAddress!, count: (hi - lo) * k)
                    c += workers
                }
            }
            if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
        }
        return out
    }

    /// Probabilities for one sample given as Float32 values of the model's input shape (at the model's
    /// temperature).
    public func probabilities(sample: [Float]) -> [Float] {
        precondition(
            sample.count == model.inputSize, "sample has \(sample.count) values, the model takes \(model.inputSize)")
        BLAS.setThreads(threads)
        let ws = workspaces[0]
        ws.input.scalars.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: sample) }
        let logits = model.forward(ws, batch: 1, mode: .inference)
        var p = [Float](repeating: 0, count: model.classCount)
        p.withUnsafeMutableBufferPointer {
            SoftmaxCrossEntropy.softmax(
                logits.baseAddress!, batch: 1, classes: model.classCount, into: $0.baseAddress!,
                temperature: model.temperature)
        }
        return p
    }
}
