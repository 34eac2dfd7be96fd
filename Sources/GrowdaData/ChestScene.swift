import Foundation
import GrowdaTensor

/// The random anatomy, finding and exposure of one synthetic chest X-ray, in coordinates where the image spans
/// [0, 1] × [0, 1] (x right, y down), so one scene renders alike at any size.
struct ChestScene {
    /// An ellipse: centre and semi-axes.
    struct Ellipse {
        var x: Float, y: Float, rx: Float, ry: Float

        /// Squared normalised distance from the centre: below 1 inside.
        @inline(__always) func r2(_ u: Float, _ v: Float) -> Float {
            let du = (u - x) / rx
            let dv = (v - y) / ry
            return du * du + dv * dv
        }

        /// Like `r2`, but narrowing towards the top, as a lung does towards its apex.
        @inline(__always) func r2Tapered(_ u: Float, _ v: Float) -> Float {
            let dv = (v - y) / ry
            let du = (u - x) / (rx * (0.8 + 0.2 * min(max(dv, -1), 1)))
            return du * du + dv * dv
        }
    }

    var body: Ellipse
    var lungs: [Ellipse]
    var heart: Ellipse
    var spineX: Float, spineHalfWidth: Float, spineTop: Float
    var background: Float, tissue: Float, lungLevel: Float, heartLevel: Float
    var ribFrequency: Float, ribContrast: Float, ribPhase: Float, ribCurve: Float
    /// Focal opacities (consolidations, faint shadows): ellipse and peak added brightness.
    var blobs: [(shape: Ellipse, strength: Float)] = []
    /// Diffuse haze over both lungs: strength, texture scale and a per-scene texture offset.
    var haze: Float = 0, hazeScale: Float = 14, hazeSeed: UInt32 = 0
    var gain: Float, offset: Float, gamma: Float, noise: Float

    /// Draws a scene of class `label` (see `SyntheticXray`).
    init(label: Int, rng: inout SeededGenerator) {
        let scale = rng.uniform(0.82, 1.04)
        let cx = 0.5 + 0.025 * rng.gaussian()
        let cy = 0.5 + 0.025 * rng.gaussian()
        body = Ellipse(x: cx, y: cy + 0.34 * scale, rx: rng.uniform(0.55, 0.64) * scale, ry: 0.8 * scale)
        let lungRX = rng.uniform(0.15, 0.185) * scale
        let lungRY = rng.uniform(0.27, 0.32) * scale
        let gap = rng.uniform(0.19, 0.225) * scale
        let tilt = 0.01 * rng.gaussian()
        lungs = [
            Ellipse(x: cx - gap, y: cy - 0.02 + tilt, rx: lungRX, ry: lungRY),
            Ellipse(x: cx + gap, y: cy - 0.02 - tilt, rx: lungRX * rng.uniform(0.9, 1.0), ry: lungRY * 0.95),
        ]
        heart = Ellipse(
            x: cx + rng.uniform(0.05, 0.09) * scale, y: cy + rng.uniform(0.13, 0.18) * scale,
            rx: rng.uniform(0.16, 0.21) * scale, ry: rng.uniform(0.12, 0.16) * scale)
        spineX = cx
        spineHalfWidth = rng.uniform(0.06, 0.085) * scale
        spineTop = cy - 0.42 * scale
        background = rng.uniform(0.02, 0.08)
        tissue = rng.uniform(0.45, 0.58)
        lungLevel = rng.uniform(0.12, 0.2)
        heartLevel = rng.uniform(0.62, 0.75)
        ribFrequency = rng.uniform(8, 11) / (2 * lungRY)
        ribContrast = rng.uniform(0.03, 0.09)
        ribPhase = rng.uniform(0, 2 * .pi)
        ribCurve = rng.uniform(2.5, 4.5)
        gain = rng.uniform(0.8, 1.15)
        offset = rng.uniform(-0.05, 0.05)
        gamma = rng.uniform(0.8, 1.25)
        noise = rng.uniform(0.015, 0.05)
        hazeScale = rng.uniform(11, 17)
        hazeSeed = UInt32(truncatingIfNeeded: rng.next())

        switch label {
        case SyntheticXray.bacterial:
            // A lobar consolidation: a dense patch in one zone of one lung, sometimes faint.
            let strength = rng.nextUnit() < 0.15 ? rng.uniform(0.12, 0.2) : rng.uniform(0.2, 0.45)
            addOpacity(strength: strength, size: rng.uniform(0.55, 0.9), rng: &rng)
            if rng.nextUnit() < 0.2 { haze = rng.uniform(0.01, 0.04) }
        case SyntheticXray.viral:
            // Diffuse bilateral interstitial haze, sometimes weak, sometimes with a small patch.
            haze = rng.nextUnit() < 0.15 ? rng.uniform(0.07, 0.1) : rng.uniform(0.1, 0.2)
            if rng.nextUnit() < 0.15 {
                addOpacity(strength: rng.uniform(0.04, 0.1), size: rng.uniform(0.3, 0.5), rng: &rng)
            }
        default:
            // Normal, but some with mild haze (a poor inspiration) or a faint shadow (overlapping soft tissue).
            if rng.nextUnit() < 0.2 { haze = rng.uniform(0.01, 0.035) }
            if rng.nextUnit() < 0.12 {
                addOpacity(strength: rng.uniform(0.03, 0.08), size: rng.uniform(0.3, 0.55), rng: &rng)
            }
        }
    }

    /// Adds a focal opacity of peak `strength` to a random lung, `size` times the lung's width across.
    private mutating func addOpacity(strength: Float, size: Float, rng: inout SeededGenerator) {
        let lung = lungs[rng.nextUnit() < 0.5 ? 0 : 1]
        blobs.append((focalShape(in: lung, size: size, rng: &rng), strength))
    }

    /// An opacity in the upper, middle or lower zone of `lung`, `size` times the lung's width across.
    private func focalShape(in lung: Ellipse, size: Float, rng: inout SeededGenerator) -> Ellipse {
        let zone = Float(Int(rng.nextUnit() * 3) - 1)  // -1 upper, 0 middle, 1 lower
        return Ellipse(
            x: lung.x + rng.uniform(-0.35, 0.35) * lung.rx,
            y: lung.y + zone * 0.5 * lung.ry + rng.uniform(-0.1, 0.1) * lung.ry,
            rx: lung.rx * size * rng.uniform(0.9, 1.3), ry: lung.ry * size * rng.uniform(0.35, 0.6))
    }

    /// Renders the scene at `size`×`size`, adding pixel noise from `rng`.
    func render(size: Int, rng: inout SeededGenerator) -> GrayImage {
        var pixels = [UInt8](repeating: 0, count: size * size)
        let step = 1 / Float(size)
        for y in 0..<size {
            let v = (Float(y) + 0.5) * step
            for x in 0..<size {
                let u = (Float(x) + 0.5) * step
                var value = intensity(u, v)
                value = gain * pow(max(value, 0), gamma) + offset + noise * rng.gaussian()
                pixels[y * size + x] = UInt8(min(max(value * 255 + 0.5, 0), 255))
            }
        }
        return GrayImage(width: size, height: size, pixels: pixels)
    }

    /// Brightness before exposure and noise at (u, v).
    private func intensity(_ u: Float, _ v: Float) -> Float {
        var value = background + (tissue - background) * soft(body.r2(u, v), edge: 0.08)
        // Lungs: dark fields crossed by arcs (ribs) that droop away from the midline.
        var lungMask: Float = 0
        for lung in lungs { lungMask = max(lungMask, soft(lung.r2Tapered(u, v), edge: 0.25)) }
        if lungMask > 0 {
            let lateral = abs(u - spineX)
            let rib = sin(2 * .pi * ribFrequency * (v - ribCurve * lateral * lateral * 0.5) + ribPhase)
            var lungValue = lungLevel + ribContrast * max(rib, 0)
            if haze > 0 {
                // Reticular texture: ridges of value noise, stronger towards the hila.
                let n = valueNoise(u * hazeScale, v * hazeScale)
                let reticular = 1 - abs(2 * n - 1)
                let hilar = 1 - 0.4 * min(lateral / 0.3, 1)
                lungValue += haze * hilar * (0.45 + 0.8 * reticular * reticular)
            }
            for blob in blobs {
                let r2 = blob.shape.r2(u, v)
                if r2 < 1 {
                    let falloff = (1 - r2) * (1 - r2)
                    lungValue += blob.strength * (0.6 + 0.4 * falloff) * soft(r2, edge: 0.3)
                }
            }
            value += (lungValue - value) * lungMask
        }
        // Mediastinum and spine down the middle, heart to one side.
        if v > spineTop {
            let band = soft(((u - spineX) / spineHalfWidth) * ((u - spineX) / spineHalfWidth), edge: 0.6)
            value += max(0, heartLevel - 0.1 - value) * band
        }
        let heartMask = soft(heart.r2(u, v), edge: 0.2)
        value += (heartLevel - value) * heartMask
        return value
    }

    /// 1 inside (r2 < 1 − edge), 0 outside (r2 > 1), smooth in between.
    @inline(__always) private func soft(_ r2: Float, edge: Float) -> Float {
        if r2 >= 1 { return 0 }
        let t = min((1 - r2) / edge, 1)
        return t * t * (3 - 2 * t)
    }

    /// Smooth lattice noise in [0, 1): hashed corner values, interpolated with a smoothstep.
    private func valueNoise(_ x: Float, _ y: Float) -> Float {
        let x0 = x.rounded(.down), y0 = y.rounded(.down)
        let fx = x - x0, fy = y - y0
        let ix = Int32(x0), iy = Int32(y0)
        let sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy)
        let a = lattice(ix, iy), b = lattice(ix + 1, iy), c = lattice(ix, iy + 1), d = lattice(ix + 1, iy + 1)
        let top = a + (b - a) * sx
        let bottom = c + (d - c) * sx
        return top + (bottom - top) * sy
    }

    /// A hashed value in [0, 1) for lattice point (x, y) of this scene's texture.
    @inline(__always) private func lattice(_ x: Int32, _ y: Int32) -> Float {
        var h = UInt32(bitPattern: x) &* 0x8DA6_B343 ^ UInt32(bitPattern: y) &* 0xD816_3841 ^ hazeSeed
        h = (h ^ (h >> 15)) &* 0x2C1B_3C6D
        h = (h ^ (h >> 12)) &* 0x297A_2D39
        h ^= h >> 15
        return Float(h >> 8) * (1 / 16_777_216)
    }
}
