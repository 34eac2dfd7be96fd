import Foundation
import GrowdaTensor

/// Random, label-preserving changes to training signals (ECG beats): a shift in time, a gain, a slow
/// baseline wander and white noise, on the leading `channels` channels of each sample; the channels after
/// them (a rhythm channel of RR ratios, which is not a waveform) are copied as they are.
///
/// For one channel of length L, with parameters drawn uniformly per sample: the shift k in −maxShift…maxShift
/// samples (edges repeat the first or last value), the gain g in `gainRange` about the channel's mean m,
/// the wander a·sin(2π t / P + φ) with a in [−maxWander, maxWander], P in [L, 3L] samples and φ in [0, 2π),
/// and noise σ·N(0, 1) per value: out[t] = m + g·(in[t − k] − m) + wander(t) + noise(t).
/// Every draw comes from the caller's generator, so a seeded run is repeatable.
public struct SignalAugmenter: Sendable, Equatable {
    /// Largest shift in time either way, in samples.
    public var maxShift: Int
    /// Gain factors drawn uniformly from this range.
    public var gainRange: ClosedRange<Float>
    /// Largest amplitude of the baseline wander, in the signal's units.
    public var maxWander: Float
    /// Standard deviation of the added white noise, in the signal's units.
    public var noise: Float
    /// How many leading channels are waveforms to augment.
    public var channels: Int

    /// An augmenter; the defaults suit MIT-BIH beats scaled to [0, 1]: ±3 samples, gain 0.9–1.1, wander up
    /// to 0.03, noise 0.01, the first channel only.
    public init(
        maxShift: Int = 3, gainRange: ClosedRange<Float> = 0.9...1.1, maxWander: Float = 0.03, noise: Float = 0.01,
        channels: Int = 1
    ) {
        precondition(maxShift >= 0 && maxWander >= 0 && noise >= 0 && channels >= 0, "ranges must not be negative")
        precondition(gainRange.lowerBound >= 0, "gain must not be negative")
        self.maxShift = maxShift
        self.gainRange = gainRange
        self.maxWander = maxWander
        self.noise = noise
        self.channels = channels
    }

    /// The default augmenter for ECG beats.
    public static let standard = SignalAugmenter()

    /// This augmenter with every range scaled by `strength` (0: none, 1: as it is): shift (rounded), wander
    /// and noise times `strength`, the gain range's distances from 1 times `strength`.
    public func scaled(by strength: Float) -> SignalAugmenter {
        precondition(strength >= 0, "augmentation strength must not be negative")
        return SignalAugmenter(
            maxShift: Int((Float(maxShift) * strength).rounded()),
            gainRange: max(0, 1 + (gainRange.lowerBound - 1) * strength)...max(0, 1 + (gainRange.upperBound - 1) * strength),
            maxWander: maxWander * strength, noise: noise * strength, channels: channels)
    }

    /// Augments one sample of `channelCount` channels of `length` values each from `source` into `target`.
    public func apply(
        to source: UnsafeBufferPointer<Float>, channels channelCount: Int, length: Int,
        into target: UnsafeMutableBufferPointer<Float>, rng: inout SeededGenerator
    ) {
        precondition(source.count == channelCount * length && target.count == source.count, "buffer sizes differ")
        for c in 0..<channelCount {
            let base = c * length
            guard c < channels, length > 0 else {
                for t in 0..<length { target[base + t] = source[base + t] }
                continue
            }
            let shift = maxShift == 0 ? 0 : Int(rng.next() % UInt64(2 * maxShift + 1)) - maxShift
            let gain = rng.uniform(gainRange.lowerBound, gainRange.upperBound)
            let amplitude = rng.uniform(-maxWander, maxWander)
            let period = rng.uniform(Float(length), 3 * Float(length))
            let phase = rng.uniform(0, 2 * .pi)
            var mean: Float = 0
            for t in 0..<length { mean += source[base + t] }
            mean /= Float(length)
            for t in 0..<length {
                let from = min(max(t - shift, 0), length - 1)
                var value = mean + gain * (source[base + from] - mean)
                value += amplitude * sin(2 * .pi * Float(t) / period + phase)
                if noise > 0 { value += noise * rng.gaussian() }
                target[base + t] = value
            }
        }
    }
}
