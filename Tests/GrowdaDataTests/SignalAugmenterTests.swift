import Foundation
import GrowdaTensor
import Testing

@testable import GrowdaData

/// Signal augmentation: each change alone, the rhythm channel left alone, repeatability, and training
/// batches of a signal data set augmented through the same `--augment` switch as images.
@Suite struct SignalAugmenterTests {
    /// A beat-like waveform of `length` values in [0, 1].
    static func beat(_ length: Int = 40) -> [Float] {
        (0..<length).map { t -> Float in
            let z = Float(t - length / 2) / 3
            return 0.3 + 0.6 * Float(exp(Double(-z * z)))
        }
    }

    static func apply(
        _ augmenter: SignalAugmenter, _ source: [Float], channels: Int = 1, seed: UInt64 = 1
    ) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        var out = [Float](repeating: .nan, count: source.count)
        source.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                augmenter.apply(to: s, channels: channels, length: source.count / channels, into: o, rng: &rng)
            }
        }
        return out
    }

    @Test func strengthZeroLeavesTheSignalAsItIs() {
        let beat = Self.beat()
        let out = Self.apply(SignalAugmenter.standard.scaled(by: 0), beat)
        for (a, b) in zip(beat, out) { #expect(abs(a - b) < 1e-6) }
    }

    @Test func aShiftMovesTheWaveformAndRepeatsTheEdge() {
        let beat = Self.beat()
        let shiftOnly = SignalAugmenter(maxShift: 3, gainRange: 1...1, maxWander: 0, noise: 0)
        var seen: Set<Int> = []
        for seed in 0..<UInt64(60) {
            let out = Self.apply(shiftOnly, beat, seed: seed)
            let k = (-3...3).first { k in (0..<beat.count).allSatisfy { t in abs(out[t] - beat[min(max(t - k, 0), beat.count - 1)]) < 1e-6 } }
            #expect(k != nil, "seed \(seed): not a shift of at most 3 samples")
            if let k { seen.insert(k) }
        }
        #expect(seen == Set(-3...3))
    }

    @Test func gainScalesAboutTheMeanAndNoiseHasItsSpread() {
        let beat = Self.beat()
        let mean = beat.reduce(0, +) / Float(beat.count)
        let gainOnly = SignalAugmenter(maxShift: 0, gainRange: 1.2...1.2, maxWander: 0, noise: 0)
        for (a, b) in zip(beat, Self.apply(gainOnly, beat)) { #expect(abs(b - (mean + 1.2 * (a - mean))) < 1e-5) }
        let flat = [Float](repeating: 0.5, count: 4000)
        let noisy = Self.apply(SignalAugmenter(maxShift: 0, gainRange: 1...1, maxWander: 0, noise: 0.02), flat)
        let sd = (noisy.map { ($0 - 0.5) * ($0 - 0.5) }.reduce(0, +) / Float(noisy.count)).squareRoot()
        #expect(abs(sd - 0.02) < 0.002)
    }

    @Test func theRhythmChannelIsCopiedAndDrawsRepeat() {
        let beat = Self.beat(), rhythm: [Float] = (0..<40).map { Float($0 % 3) * 0.5 + 0.8 }
        let out = Self.apply(.standard, beat + rhythm, channels: 2)
        #expect(Array(out[40...]) == rhythm)
        #expect(Array(out[..<40]) != beat)
        #expect(Self.apply(.standard, beat + rhythm, channels: 2, seed: 9) == Self.apply(.standard, beat + rhythm, channels: 2, seed: 9))
    }

    @Test func trainingBatchesOfSignalsAreAugmented() {
        let beats = (0..<6).flatMap { _ in Self.beat() }
        let data = Dataset(classNames: ["normal", "pvc"], sampleShape: [1, 40], floats: beats, labels: [0, 1, 0, 1, 0, 1])
        var rng = SeededGenerator(seed: 3)
        var x = Tensor(shape: [6, 1, 40])
        var labels: [Int32] = []
        AugmentedDataset(data, augmenter: .standard).fillBatch(indices: [0, 1, 2, 3, 4, 5][...], into: &x, labels: &labels, rng: &rng)
        #expect(labels == [0, 1, 0, 1, 0, 1])
        #expect(Array(x.scalars) != beats)
        // Each value stays near its original: a few samples of shift, 10% gain, wander and noise.
        let plain = AugmentedDataset(data, augmenter: nil)
        var y = Tensor(shape: [6, 1, 40])
        plain.fillBatch(indices: [0, 1, 2, 3, 4, 5][...], into: &y, labels: &labels, rng: &rng)
        #expect(Array(y.scalars) == beats)
    }
}
