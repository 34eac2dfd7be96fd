import Foundation

/// A fast, seedable random number generator (xoshiro256**, seeded through SplitMix64).
///
/// Every random choice in Growda (weight initialisation, shuffling, dropout masks, augmentation,
/// synthetic data, data splits) draws from one of these, so a run is repeatable from its seed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    /// A second normal deviate kept from the last Box–Muller draw.
    private var spareGaussian: Float?

    /// A generator whose whole stream is fixed by `seed`.
    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        nextBits()
    }

    @usableFromInline
    mutating func nextBits() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A uniform Float in [0, 1).
    public mutating func nextUnit() -> Float {
        Float(nextBits() >> 40) * (1.0 / Float(1 << 24))
    }

    /// A uniform Float in [lower, upper).
    public mutating func uniform(_ lower: Float, _ upper: Float) -> Float {
        lower + (upper - lower) * nextUnit()
    }

    /// A standard normal deviate (Box–Muller).
    public mutating func gaussian() -> Float {
        if let spare = spareGaussian {
            spareGaussian = nil
            return spare
        }
        var u = nextUnit()
        while u <= 1e-7 { u = nextUnit() }
        let v = nextUnit()
        let r = (-2 * log(u)).squareRoot()
        let theta = 2 * Float.pi * v
        spareGaussian = r * sin(theta)
        return r * cos(theta)
    }

    /// A generator for an independent sub-stream, e.g. one per worker or per epoch.
    public mutating func fork() -> SeededGenerator {
        SeededGenerator(seed: nextBits())
    }
}
