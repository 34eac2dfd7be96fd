import GrowdaData

/// An RGB pixel buffer that draws a `ChartDrawing`: rectangles filled on whole pixels, anti-aliased
/// lines and dots, and `BitmapFont` text.
///
/// Lines are anti-aliased by coverage: a pixel whose centre lies at distance d from the stroke's centre
/// line takes the colour at opacity clamp(width/2 + 1/2 − d, 0, 1), about the fraction of the pixel the
/// stroke covers. A polyline's coverage is the largest over its segments, so its joins are not drawn twice.
public struct RasterCanvas: Sendable {
    /// The size in pixels.
    public let width: Int, height: Int
    /// Red, green, blue per pixel, row-major.
    public private(set) var samples: [UInt8]

    /// A white canvas.
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        samples = [UInt8](repeating: 255, count: width * height * 3)
    }

    /// A drawing rasterized onto a new canvas of its size.
    public init(_ drawing: ChartDrawing) {
        self.init(width: drawing.width, height: drawing.height)
        for shape in drawing.shapes { draw(shape) }
    }

    /// The canvas as an image for the PNG writer.
    public var image: RGBImage { RGBImage(width: width, height: height, pixels: samples) }

    /// Draws one shape.
    public mutating func draw(_ shape: ChartDrawing.Shape) {
        switch shape {
        case .rect(let x, let y, let w, let h, let color):
            fill(
                x: Int(x.rounded()), y: Int(y.rounded()), toX: Int((x + w).rounded()), toY: Int((y + h).rounded()),
                color)
        case .line(let from, let to, let color, let width):
            stroke([from, to], color: color, width: width)
        case .polyline(let points, let color, let width):
            stroke(points, color: color, width: width)
        case .dot(let center, let radius, let color):
            stroke([center], color: color, width: 2 * radius)
        case .text(let text, let at, let scale, let color, let anchor):
            write(text, at: at, scale: scale, color: color, anchor: anchor)
        }
    }

    /// Fills the pixels with x in [x, toX) and y in [y, toY), clipped to the canvas.
    public mutating func fill(x: Int, y: Int, toX: Int, toY: Int, _ color: ChartColor) {
        let x0 = max(0, x), x1 = min(width, toX), y0 = max(0, y), y1 = min(height, toY)
        guard x0 < x1, y0 < y1 else { return }
        for row in y0..<y1 {
            for column in x0..<x1 {
                let i = (row * width + column) * 3
                samples[i] = color.red
                samples[i + 1] = color.green
                samples[i + 2] = color.blue
            }
        }
    }

    /// Strokes the line through `points` (one point: a round dot) `strokeWidth` pixels thick.
    public mutating func stroke(_ points: [ChartPoint], color: ChartColor, width strokeWidth: Double) {
        guard let first = points.first else { return }
        let reach = strokeWidth / 2 + 1
        var minX = first.x, maxX = first.x, minY = first.y, maxY = first.y
        for point in points {
            (minX, maxX) = (min(minX, point.x), max(maxX, point.x))
            (minY, maxY) = (min(minY, point.y), max(maxY, point.y))
        }
        let left = max(0, Int((minX - reach).rounded(.down))), right = min(width, Int((maxX + reach).rounded(.up)))
        let top = max(0, Int((minY - reach).rounded(.down))), bottom = min(height, Int((maxY + reach).rounded(.up)))
        guard left < right, top < bottom else { return }

        let boxWidth = right - left
        var coverage = [Float](repeating: 0, count: boxWidth * (bottom - top))
        let segments = points.count == 1 ? [(first, first)] : Array(zip(points, points.dropFirst()))
        for (a, b) in segments {
            let x0 = max(left, Int((min(a.x, b.x) - reach).rounded(.down)))
            let x1 = min(right, Int((max(a.x, b.x) + reach).rounded(.up)))
            let y0 = max(top, Int((min(a.y, b.y) - reach).rounded(.down)))
            let y1 = min(bottom, Int((max(a.y, b.y) + reach).rounded(.up)))
            guard x0 < x1, y0 < y1 else { continue }
            for row in y0..<y1 {
                for column in x0..<x1 {
                    let centre = ChartPoint(x: Double(column) + 0.5, y: Double(row) + 0.5)
                    let d = Self.distance(from: centre, toSegment: a, b)
                    let c = Float(min(1, max(0, strokeWidth / 2 + 0.5 - d)))
                    let k = (row - top) * boxWidth + (column - left)
                    if c > coverage[k] { coverage[k] = c }
                }
            }
        }
        for row in top..<bottom {
            for column in left..<right {
                let c = coverage[(row - top) * boxWidth + (column - left)]
                if c > 0 { blend(x: column, y: row, color, opacity: c) }
            }
        }
    }

    /// Writes one line of text with its capitals vertically centred on `at.y`.
    public mutating func write(
        _ text: String, at: ChartPoint, scale: Int, color: ChartColor, anchor: ChartDrawing.TextAnchor
    ) {
        let textWidth = ChartDrawing.textWidth(text, scale: scale)
        let start: Double =
            switch anchor {
            case .start: at.x
            case .middle: at.x - textWidth / 2
            case .end: at.x - textWidth
            }
        var x = Int(start.rounded())
        let top = Int((at.y - Double(BitmapFont.capHeight * scale) / 2).rounded())
        for character in text {
            for (r, bits) in BitmapFont.rows(character).enumerated() where bits != 0 {
                for column in 0..<5 where bits & (0b10000 >> UInt8(column)) != 0 {
                    let px = x + column * scale, py = top + r * scale
                    fill(x: px, y: py, toX: px + scale, toY: py + scale, color)
                }
            }
            x += BitmapFont.advance * scale
        }
    }

    /// Mixes `color` into the pixel at (x, y) at `opacity` (0: unchanged, 1: replaced).
    private mutating func blend(x: Int, y: Int, _ color: ChartColor, opacity: Float) {
        let i = (y * width + x) * 3
        func mix(_ old: UInt8, _ new: UInt8) -> UInt8 {
            UInt8((Float(old) + (Float(new) - Float(old)) * opacity).rounded())
        }
        samples[i] = mix(samples[i], color.red)
        samples[i + 1] = mix(samples[i + 1], color.green)
        samples[i + 2] = mix(samples[i + 2], color.blue)
    }

    /// The distance from `p` to the segment from `a` to `b`.
    public static func distance(from p: ChartPoint, toSegment a: ChartPoint, _ b: ChartPoint) -> Double {
        let dx = b.x - a.x, dy = b.y - a.y
        let lengthSquared = dx * dx + dy * dy
        var t = lengthSquared > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / lengthSquared : 0
        t = min(1, max(0, t))
        let ex = p.x - (a.x + t * dx), ey = p.y - (a.y + t * dy)
        return (ex * ex + ey * ey).squareRoot()
    }
}
