import Foundation

/// How close a reconstruction is to the true image: PSNR and SSIM for gray images with values in [0, 1].
///
/// Images are row-major `height × width` arrays. Both measures can be taken over a top-left `region`
/// only (the pixels a model sees: see `SeenRegion`); the whole image is the default.
public enum ImageQuality {
    /// The highest PSNR reported: identical images (MSE 0) score this instead of +∞, so JSON can carry it.
    public static let maximumPSNR = 100.0

    /// Peak signal-to-noise ratio in dB for peak 1: 10 · log₁₀(1 / MSE), at most `maximumPSNR`.
    public static func psnr(
        _ a: [Float], _ b: [Float], width: Int, height: Int, region: SeenRegion? = nil
    ) -> Double {
        let r = region ?? SeenRegion(rows: height, columns: width)
        precondition(a.count == width * height && b.count == width * height, "images must be \(width)×\(height)")
        precondition(r.rows >= 1 && r.rows <= height && r.columns >= 1 && r.columns <= width, "region \(r) too big")
        var sum = 0.0
        for y in 0..<r.rows {
            for x in 0..<r.columns {
                let d = Double(a[y * width + x]) - Double(b[y * width + x])
                sum += d * d
            }
        }
        let mse = sum / Double(r.rows * r.columns)
        return mse > 0 ? min(maximumPSNR, 10 * log10(1 / mse)) : maximumPSNR
    }

    /// The SSIM constants of Wang et al. 2004 for dynamic range L = 1: K1 = 0.01, K2 = 0.03.
    public static let c1 = 0.01 * 0.01, c2 = 0.03 * 0.03

    /// The mean structural similarity (Wang, Bovik, Sheikh, Simoncelli 2004) with their reference settings:
    /// an 11×11 Gaussian window of σ 1.5 (weights normalised to sum 1), K1 0.01, K2 0.03, L 1, averaged over
    /// every position where the window lies wholly inside the image (or `region`), as their MATLAB code does
    /// (`filter2(..., 'valid')`). 1 for identical images; the region must be at least 11×11.
    public static func ssim(
        _ a: [Float], _ b: [Float], width: Int, height: Int, region: SeenRegion? = nil
    ) -> Double {
        let r = region ?? SeenRegion(rows: height, columns: width)
        precondition(a.count == width * height && b.count == width * height, "images must be \(width)×\(height)")
        precondition(r.rows <= height && r.columns <= width, "region \(r) larger than the image")
        let k = window.count
        precondition(r.rows >= k && r.columns >= k, "SSIM needs at least \(k)×\(k) pixels, got \(r)")
        let (h, w) = (r.rows, r.columns)
        var x = [Double](repeating: 0, count: h * w), y = x
        for row in 0..<h {
            for column in 0..<w {
                x[row * w + column] = Double(a[row * width + column])
                y[row * w + column] = Double(b[row * width + column])
            }
        }
        let mx = filterValid(x, width: w, height: h), my = filterValid(y, width: w, height: h)
        let xx = filterValid(zip(x, x).map { $0 * $1 }, width: w, height: h)
        let yy = filterValid(zip(y, y).map { $0 * $1 }, width: w, height: h)
        let xy = filterValid(zip(x, y).map { $0 * $1 }, width: w, height: h)
        var sum = 0.0
        for i in mx.indices {
            let (ux, uy) = (mx[i], my[i])
            let vx = xx[i] - ux * ux, vy = yy[i] - uy * uy, cxy = xy[i] - ux * uy
            sum += ((2 * ux * uy + c1) * (2 * cxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
        }
        return sum / Double(mx.count)
    }

    /// The 1-D factor of the 11×11 Gaussian window, σ 1.5, normalised to sum 1 (the 2-D window is its outer
    /// product, which then sums to 1 too).
    public static let window: [Double] = {
        let raw = (0..<11).map { i -> Double in
            let d = Double(i - 5)
            return exp(-d * d / (2 * 1.5 * 1.5))
        }
        let total = raw.reduce(0, +)
        return raw.map { $0 / total }
    }()

    /// The Gaussian-weighted local means of `values` (height × width) at every position where the window
    /// fits: (height − 10) × (width − 10), by two 1-D passes (rows, then columns).
    static func filterValid(_ values: [Double], width: Int, height: Int) -> [Double] {
        let k = window.count
        let (outH, outW) = (height - k + 1, width - k + 1)
        var rows = [Double](repeating: 0, count: height * outW)
        for y in 0..<height {
            for x in 0..<outW {
                var s = 0.0
                for i in 0..<k { s += window[i] * values[y * width + x + i] }
                rows[y * outW + x] = s
            }
        }
        var out = [Double](repeating: 0, count: outH * outW)
        for y in 0..<outH {
            for x in 0..<outW {
                var s = 0.0
                for i in 0..<k { s += window[i] * rows[(y + i) * outW + x] }
                out[y * outW + x] = s
            }
        }
        return out
    }
}
