import Foundation
import GrowdaTensor

/// Random, label-preserving changes to training images: small rotation, shift and zoom done as one affine
/// warp with bilinear sampling (edges clamped), then brightness and contrast. No left-right flip unless asked:
/// a chest X-ray's heart is on one side.
///
/// Every random draw comes from the generator the caller passes, so a seeded run is repeatable.
public struct Augmenter: Sendable, Equatable {
    /// The parameters of one augmentation, drawn by `drawParameters(using:)`.
    public struct Parameters: Sendable, Equatable {
        /// Rotation about the image centre, in radians.
        public var rotation: Float
        /// Horizontal shift as a fraction of the width (positive moves content right).
        public var shiftX: Float
        /// Vertical shift as a fraction of the height (positive moves content down).
        public var shiftY: Float
        /// Scale factor about the centre (above 1 enlarges the content).
        public var zoom: Float
        /// Added to every value in [0, 1] after the warp.
        public var brightness: Float
        /// Multiplies each value's distance from the image mean.
        public var contrast: Float
        /// Whether the image is mirrored left to right.
        public var flip: Bool

        /// Parameters with the given values; the defaults change nothing.
        public init(
            rotation: Float = 0, shiftX: Float = 0, shiftY: Float = 0, zoom: Float = 1, brightness: Float = 0,
            contrast: Float = 1, flip: Bool = false
        ) {
            self.rotation = rotation
            self.shiftX = shiftX
            self.shiftY = shiftY
            self.zoom = zoom
            self.brightness = brightness
            self.contrast = contrast
            self.flip = flip
        }

        /// Parameters that leave an image as it is.
        public static let identity = Parameters()
    }

    /// Largest rotation either way, in degrees.
    public var maxRotationDegrees: Float
    /// Largest shift either way, as a fraction of the image size.
    public var maxShift: Float
    /// Zoom factors drawn uniformly from this range.
    public var zoomRange: ClosedRange<Float>
    /// Largest brightness change either way, in [0, 1] units.
    public var maxBrightness: Float
    /// Contrast factors drawn uniformly from this range.
    public var contrastRange: ClosedRange<Float>
    /// Whether half the images are mirrored left to right (off by default).
    public var horizontalFlip: Bool
    /// What the same training run does to signal samples (ECG beats) instead of images.
    public var signal: SignalAugmenter

    /// An augmenter; the defaults are ±10° rotation, ±8% shift, zoom 0.9–1.1, brightness ±0.1,
    /// contrast 0.9–1.1, no flip.
    public init(
        maxRotationDegrees: Float = 10, maxShift: Float = 0.08, zoomRange: ClosedRange<Float> = 0.9...1.1,
        maxBrightness: Float = 0.1, contrastRange: ClosedRange<Float> = 0.9...1.1, horizontalFlip: Bool = false,
        signal: SignalAugmenter = .standard
    ) {
        self.signal = signal
        precondition(maxRotationDegrees >= 0 && maxShift >= 0 && maxBrightness >= 0, "ranges must not be negative")
        precondition(zoomRange.lowerBound > 0 && contrastRange.lowerBound >= 0, "zoom must be positive")
        self.maxRotationDegrees = maxRotationDegrees
        self.maxShift = maxShift
        self.zoomRange = zoomRange
        self.maxBrightness = maxBrightness
        self.contrastRange = contrastRange
        self.horizontalFlip = horizontalFlip
    }

    /// The default augmenter for chest X-rays.
    public static let standard = Augmenter()

    /// This augmenter with every range scaled by `strength` (0: none, 1: as it is, 2: twice as wide):
    /// rotation, shift and brightness bounds times `strength`, zoom and contrast ranges' distances from 1
    /// times `strength` (zoom kept positive); the signal augmentation scaled alike. Each image still draws its own parameters uniformly within
    /// the ranges, so a batch mixes mild and strong warps.
    public func scaled(by strength: Float) -> Augmenter {
        precondition(strength >= 0, "augmentation strength must not be negative")
        func around1(_ r: ClosedRange<Float>, floor: Float) -> ClosedRange<Float> {
            max(floor, 1 + (r.lowerBound - 1) * strength)...max(floor, 1 + (r.upperBound - 1) * strength)
        }
        return Augmenter(
            maxRotationDegrees: maxRotationDegrees * strength, maxShift: maxShift * strength,
            zoomRange: around1(zoomRange, floor: 0.25), maxBrightness: maxBrightness * strength,
            contrastRange: around1(contrastRange, floor: 0), horizontalFlip: horizontalFlip,
            signal: signal.scaled(by: strength))
    }

    /// Draws one set of parameters: rotation, shift x, shift y, zoom, brightness, contrast, then (only when
    /// flipping is on) the flip, in that order.
    public func drawParameters(using rng: inout SeededGenerator) -> Parameters {
        let degrees = rng.uniform(-maxRotationDegrees, maxRotationDegrees)
        var p = Parameters(
            rotation: degrees * .pi / 180,
            shiftX: rng.uniform(-maxShift, maxShift),
            shiftY: rng.uniform(-maxShift, maxShift),
            zoom: rng.uniform(zoomRange.lowerBound, zoomRange.upperBound),
            brightness: rng.uniform(-maxBrightness, maxBrightness),
            contrast: rng.uniform(contrastRange.lowerBound, contrastRange.upperBound))
        if horizontalFlip { p.flip = rng.nextUnit() < 0.5 }
        return p
    }

    /// An augmented copy of `image` as values in [0, 1], with parameters drawn from `rng`.
    public func augment(_ image: GrayImage, using rng: inout SeededGenerator) -> [Float] {
        apply(drawParameters(using: &rng), to: image)
    }

    /// `image` changed by `parameters`, as values in [0, 1].
    public func apply(_ parameters: Parameters, to image: GrayImage) -> [Float] {
        var out = [Float](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                apply(parameters, to: source, width: image.width, height: image.height, into: target)
            }
        }
        return out
    }

    /// Warps `source` (width×height gray levels) by `parameters` into `target` (as many values in [0, 1]).
    ///
    /// Each output pixel p reads the source at c + R(−θ)(p − c − shift)/zoom (mirrored when flipping), c the
    /// image centre, bilinearly between its four neighbours with coordinates clamped to the image. Then
    /// v ← contrast·(v − mean) + mean + brightness, clamped to [0, 1]. Identity parameters reproduce
    /// `Float(byte) / 255` exactly, as `Dataset.fillBatch` does without an augmenter.
    public func apply(
        _ parameters: Parameters, to source: UnsafeBufferPointer<UInt8>, width: Int, height: Int,
        into target: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(source.count == width * height && target.count == width * height, "buffer sizes differ")
        let cx = Float(width - 1) / 2
        let cy = Float(height - 1) / 2
        let shiftX = parameters.shiftX * Float(width)
        let shiftY = parameters.shiftY * Float(height)
        let cosine = cos(parameters.rotation) / parameters.zoom
        let sine = sin(parameters.rotation) / parameters.zoom
        // Source coordinates as affine functions of the output pixel: sx = a·x + b·y + tx, sy = d·x + e·y + ty.
        var a = cosine, b = sine
        let d = -sine, e = cosine
        var tx = cx - a * (cx + shiftX) - b * (cy + shiftY)
        let ty = cy - d * (cx + shiftX) - e * (cy + shiftY)
        if parameters.flip {
            a = -a
            b = -b
            tx = Float(width - 1) - tx
        }

        let maxX = Float(width - 1)
        let maxY = Float(height - 1)
        var sum: Float = 0
        for y in 0..<height {
            let fy = Float(y)
            let rowX = b * fy + tx
            let rowY = e * fy + ty
            for x in 0..<width {
                let fx = Float(x)
                let sx = min(max(a * fx + rowX, 0), maxX)
                let sy = min(max(d * fx + rowY, 0), maxY)
                let x0 = Int(sx)
                let y0 = Int(sy)
                let wx = sx - Float(x0)
                let wy = sy - Float(y0)
                let x1 = min(x0 + 1, width - 1)
                let y1 = min(y0 + 1, height - 1)
                let top = Float(source[y0 * width + x0]) * (1 - wx) + Float(source[y0 * width + x1]) * wx
                let bottom = Float(source[y1 * width + x0]) * (1 - wx) + Float(source[y1 * width + x1]) * wx
                let value = top * (1 - wy) + bottom * wy
                target[y * width + x] = value
                sum += value
            }
        }

        // v ← c·(v − m) + m + 255·b in gray levels, as (c·v + ((1 − c)·m + 255·b)) / 255 so that identity
        // parameters give exactly v / 255.
        let contrast = parameters.contrast
        let offset = (1 - contrast) * (sum / Float(width * height)) + 255 * parameters.brightness
        for i in 0..<target.count {
            target[i] = min(max((target[i] * contrast + offset) / 255, 0), 1)
        }
    }
}
