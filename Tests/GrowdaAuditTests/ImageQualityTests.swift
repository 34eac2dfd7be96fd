import Foundation
import GrowdaAudit
import GrowdaTensor
import Testing

/// PSNR and SSIM on cases whose values are known in closed form, and SSIM's separable filter against a
/// direct 11×11 window sum.
@Suite struct ImageQualityTests {
    static func smoothImage(width: Int, height: Int, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        let (a, b, c) = (rng.uniform(0.5, 2), rng.uniform(0.5, 2), rng.uniform(0, 6))
        return (0..<(width * height)).map { i in
            let (x, y) = (Float(i % width) / Float(width), Float(i / width) / Float(height))
            return 0.5 + 0.4 * sin(a * 6 * x + c) * cos(b * 5 * y) + 0.05 * rng.uniform(-1, 1)
        }
    }

    @Test func identicalImagesScoreTheMaximum() {
        let image = Self.smoothImage(width: 20, height: 16, seed: 1)
        #expect(ImageQuality.psnr(image, image, width: 20, height: 16) == ImageQuality.maximumPSNR)
        let s = ImageQuality.ssim(image, image, width: 20, height: 16)
        print("SSIM(x, x) = \(s), |diff| \(abs(s - 1))")
        #expect(abs(s - 1) < 1e-12)
    }

    @Test func psnrOfAConstantOffset() {
        let image = [Float](repeating: 0.3, count: 64)
        let shifted = image.map { $0 + 0.1 }  // MSE 0.01: 20 dB
        let p = ImageQuality.psnr(image, shifted, width: 8, height: 8)
        print("PSNR of a 0.1 offset: \(p) dB, |diff| \(abs(p - 20))")
        #expect(abs(p - 20) < 1e-4)
        // Only the region counts: a wrong pixel outside it changes nothing.
        var spoiled = shifted
        spoiled[63] = 1
        let region = SeenRegion(rows: 7, columns: 7)
        #expect(abs(ImageQuality.psnr(image, spoiled, width: 8, height: 8, region: region) - 20) < 1e-4)
        #expect(ImageQuality.psnr(image, spoiled, width: 8, height: 8) < 19)
    }

    @Test func ssimOfTwoConstantImages() {
        // No variance: SSIM = (2ab + C1) / (a² + b² + C1) · (C2 / C2).
        let (a, b) = (0.2, 0.6)
        let s = ImageQuality.ssim(
            [Float](repeating: Float(a), count: 144), [Float](repeating: Float(b), count: 144), width: 12, height: 12)
        let expected = (2 * a * b + ImageQuality.c1) / (a * a + b * b + ImageQuality.c1)
        print("SSIM of constants: \(s), expected \(expected), |diff| \(abs(s - expected))")
        #expect(abs(s - expected) < 1e-6)
    }

    @Test func ssimMatchesADirectWindowSum() {
        let (w, h) = (17, 13)
        let x = Self.smoothImage(width: w, height: h, seed: 2), y = Self.smoothImage(width: w, height: h, seed: 3)
        // The oracle: every 11×11 window summed directly with the outer-product weights.
        let g = ImageQuality.window
        var total = 0.0, count = 0
        for top in 0...(h - 11) {
            for left in 0...(w - 11) {
                var (mx, my, xx, yy, xy) = (0.0, 0.0, 0.0, 0.0, 0.0)
                for i in 0..<11 {
                    for j in 0..<11 {
                        let weight = g[i] * g[j]
                        let (a, b) = (Double(x[(top + i) * w + left + j]), Double(y[(top + i) * w + left + j]))
                        mx += weight * a; my += weight * b
                        xx += weight * a * a; yy += weight * b * b; xy += weight * a * b
                    }
                }
                let (vx, vy, cxy) = (xx - mx * mx, yy - my * my, xy - mx * my)
                total +=
                    ((2 * mx * my + ImageQuality.c1) * (2 * cxy + ImageQuality.c2))
                    / ((mx * mx + my * my + ImageQuality.c1) * (vx + vy + ImageQuality.c2))
                count += 1
            }
        }
        let s = ImageQuality.ssim(x, y, width: w, height: h)
        print("SSIM \(s) vs direct \(total / Double(count)), max |diff| \(abs(s - total / Double(count)))")
        #expect(abs(s - total / Double(count)) < 1e-10)
        #expect(abs(ImageQuality.window.reduce(0, +) - 1) < 1e-12)
    }

    @Test func ssimOfAnInvertedImageIsNegative() {
        let x = Self.smoothImage(width: 16, height: 16, seed: 4)
        let s = ImageQuality.ssim(x, x.map { 1 - $0 }, width: 16, height: 16)
        print("SSIM(x, 1 − x) = \(s)")
        #expect(s < -0.5)
        // Symmetric.
        let y = Self.smoothImage(width: 16, height: 16, seed: 5)
        #expect(abs(ImageQuality.ssim(x, y, width: 16, height: 16) - ImageQuality.ssim(y, x, width: 16, height: 16)) < 1e-12)
    }
}
