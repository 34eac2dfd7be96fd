import Foundation

extension ChartDrawing {
    /// The drawing as a standalone SVG 1.1 document: rect, line, polyline, circle and text elements only.
    public func svg() -> String {
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(width)" height="\(height)" \
            viewBox="0 0 \(width) \(height)" xml:space="preserve">

            """
        for shape in shapes {
            out += "  " + Self.element(shape) + "\n"
        }
        out += "</svg>\n"
        return out
    }

    /// One shape as an SVG element.
    private static func element(_ shape: Shape) -> String {
        switch shape {
        case .rect(let x, let y, let width, let height, let color):
            return "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(height))\" "
                + "fill=\"\(color.hex)\"/>"
        case .line(let from, let to, let color, let width):
            return "<line x1=\"\(n(from.x))\" y1=\"\(n(from.y))\" x2=\"\(n(to.x))\" y2=\"\(n(to.y))\" "
                + "stroke=\"\(color.hex)\" stroke-width=\"\(n(width))\"/>"
        case .polyline(let points, let color, let width):
            let list = points.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ")
            return "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(color.hex)\" stroke-width=\"\(n(width))\" "
                + "stroke-linejoin=\"round\" stroke-linecap=\"round\"/>"
        case .dot(let center, let radius, let color):
            return "<circle cx=\"\(n(center.x))\" cy=\"\(n(center.y))\" r=\"\(n(radius))\" fill=\"\(color.hex)\"/>"
        case .text(let text, let at, let scale, let color, let anchor):
            // The bitmap font's cell is 6 × 7 units a scale step; a monospace font at 10 units a step has
            // about the same advance (0.6 em), and its capitals are centred about 0.36 em above the baseline.
            let size = 10 * scale
            let baseline = at.y + 0.36 * Double(size)
            let anchorName =
                switch anchor {
                case .start: "start"
                case .middle: "middle"
                case .end: "end"
                }
            return "<text x=\"\(n(at.x))\" y=\"\(n(baseline))\" font-family=\"DejaVu Sans Mono, monospace\" "
                + "font-size=\"\(size)\" fill=\"\(color.hex)\" text-anchor=\"\(anchorName)\">\(escaped(text))</text>"
        }
    }

    /// A coordinate with at most two decimals and no trailing zeros.
    private static func n(_ value: Double) -> String {
        var text = String(format: "%.2f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    /// Text with XML's special characters escaped.
    private static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
