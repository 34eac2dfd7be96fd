import GrowdaData

/// A colour ramp for values in [0, 1]: colour stops evenly spaced, linear interpolation between them
/// in sRGB, values outside clamped (and NaN taken as 0).
public struct Colormap: Sendable, Equatable {
    /// The colours at 0, 1/(n−1), …, 1.
    public let stops: [ChartColor]

    /// A ramp through `stops` (at least two).
    public init(stops: [ChartColor]) {
        precondition(stops.count >= 2, "a colour ramp needs at least two stops, got \(stops.count)")
        self.stops = stops
    }

    /// An inferno-like ramp (matplotlib's inferno sampled at every tenth): black through purple and
    /// red to pale yellow, brightness rising steadily, so it reads in gray too.
    public static let inferno = Colormap(
        stops: [
            (0, 0, 4), (22, 11, 57), (66, 10, 104), (106, 23, 110), (147, 38, 103), (188, 55, 84), (221, 81, 58),
            (243, 120, 25), (252, 165, 10), (246, 215, 70), (252, 255, 164),
        ].map { ChartColor(red: $0.0, green: $0.1, blue: $0.2) })

    /// The colour of `value`, as red, green, blue in 0…255 (not rounded).
    public func components(_ value: Float) -> (red: Float, green: Float, blue: Float) {
        let t = value.isNaN ? 0 : min(max(value, 0), 1)
        let position = t * Float(stops.count - 1)
        let i = min(Int(position), stops.count - 2)
        let f = position - Float(i)
        let (a, b) = (stops[i], stops[i + 1])
        func mix(_ x: UInt8, _ y: UInt8) -> Float { Float(x) + f * (Float(y) - Float(x)) }
        return (mix(a.red, b.red), mix(a.green, b.green), mix(a.blue, b.blue))
    }

    /// The colour of `value`, rounded to 8 bits.
    public func color(_ value: Float) -> ChartColor {
        let c = components(value)
        return ChartColor(red: Colormap.byte(c.red), green: Colormap.byte(c.green), blue: Colormap.byte(c.blue))
    }

    /// `scan` with `heat` (one value in [0, 1] a pixel, row-major, the scan's size) laid over it in this
    /// ramp's colours: each channel is (1 − opacity) · gray + opacity · colour(heat), rounded.
    public func overlay(_ heat: [Float], on scan: GrayImage, opacity: Float) -> RGBImage {
        precondition(
            heat.count == scan.width * scan.height,
            "\(heat.count) heat values do not cover a \(scan.width)×\(scan.height) scan")
        precondition(opacity >= 0 && opacity <= 1, "opacity must be in [0, 1], got \(opacity)")
        var pixels = [UInt8](repeating: 0, count: heat.count * 3)
        for i in heat.indices {
            let gray = (1 - opacity) * Float(scan.pixels[i])
            let c = components(heat[i])
            pixels[3 * i] = Colormap.byte(gray + opacity * c.red)
            pixels[3 * i + 1] = Colormap.byte(gray + opacity * c.green)
            pixels[3 * i + 2] = Colormap.byte(gray + opacity * c.blue)
        }
        return RGBImage(width: scan.width, height: scan.height, pixels: pixels)
    }

    private static func byte(_ v: Float) -> UInt8 { UInt8(min(max(v + 0.5, 0), 255)) }
}
