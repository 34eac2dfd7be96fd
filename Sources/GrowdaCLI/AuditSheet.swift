import Foundation
import GrowdaCharts
import GrowdaData

/// The PNG sheet of `growda audit leakage`: for each optimizer and batch size, a row of the true images, the
/// attack's best reconstruction of each below it, and the reconstruction from the defended update below that,
/// every image upscaled by whole pixels (nearest neighbour) so a person can judge them, each reconstruction with
/// its PSNR on the seen pixels under it.
enum AuditSheet {
    /// One block of the sheet.
    struct Section {
        /// Its heading, e.g. "ADAM BATCH 4".
        var title: String
        /// The true images, each height × width in [0, 1].
        var originals: [[Float]]
        /// The best reconstruction of each original from the plain update (empty: none).
        var undefended: [[Float]]
        /// The same from the defended update, or nil when no defence was chosen.
        var defended: [[Float]]?
        /// The PSNR (dB, seen pixels) of each undefended and defended reconstruction, printed under it.
        var undefendedPSNR: [Double], defendedPSNR: [Double]?
    }

    /// Gaps and sizes in pixels.
    private static let margin = 16, gap = 16, textScale = 2, labelWidth = 150, headingHeight = 30

    /// The sheet of `sections`, for images of `width` × `height`.
    static func draw(_ sections: [Section], width: Int, height: Int, defence: String?) -> RGBImage {
        let zoom = max(1, 112 / max(width, height))
        let (tileW, tileH) = (width * zoom, height * zoom)
        let columns = sections.map(\.originals.count).max() ?? 1
        let rowsPerSection = sections.map { $0.defended == nil ? 2 : 3 }
        let sectionHeights = rowsPerSection.map { headingHeight + $0 * (tileH + gap) + gap }
        // The bitmap font is ASCII: σ is spelled out.
        let title =
            "GROWDA AUDIT LEAKAGE"
            + (defence.map { "   DEFENCE: " + $0.uppercased().replacingOccurrences(of: "Σ", with: "SIGMA") } ?? "")
        let titleWidth = Int(ChartDrawing.textWidth(title, scale: textScale).rounded(.up))
        let canvasWidth = 2 * margin + max(titleWidth, labelWidth + columns * (tileW + gap))
        let canvasHeight = 2 * margin + headingHeight + sectionHeights.reduce(0, +)
        var canvas = RasterCanvas(width: canvasWidth, height: canvasHeight)
        canvas.write(
            title, at: ChartPoint(x: Double(margin), y: Double(margin + 8)), scale: textScale, color: .text,
            anchor: .start)
        var y = margin + headingHeight
        for (section, rows) in zip(sections, rowsPerSection) {
            canvas.fill(x: margin, y: y + 4, toX: canvas.width - margin, toY: y + 5, .panelBorder)
            canvas.write(
                section.title, at: ChartPoint(x: Double(margin), y: Double(y + 17)), scale: textScale, color: .text,
                anchor: .start)
            var top = y + headingHeight
            let lines: [(String, [[Float]], [Double]?)] =
                [("ORIGINAL", section.originals, nil), ("UNDEFENDED", section.undefended, section.undefendedPSNR)]
                + (section.defended.map { [("DEFENDED", $0, section.defendedPSNR)] } ?? [])
            for (label, images, psnr) in lines.prefix(rows) {
                canvas.write(
                    label, at: ChartPoint(x: Double(margin), y: Double(top + tileH / 2)), scale: textScale,
                    color: .mutedText, anchor: .start)
                for (k, image) in images.enumerated() {
                    let left = margin + labelWidth + k * (tileW + gap)
                    if image.count == width * height {
                        paint(image, width: width, height: height, zoom: zoom, at: (left, top), on: &canvas)
                        if let psnr, psnr.indices.contains(k) {
                            canvas.write(
                                "\(fmt(psnr[k], 1)) dB", at: ChartPoint(x: Double(left + tileW / 2), y: Double(top + tileH + 7)),
                                scale: 1, color: .mutedText, anchor: .middle)
                        }
                    } else {
                        canvas.fill(x: left, y: top, toX: left + tileW, toY: top + tileH, .grid)
                        canvas.write(
                            "NONE", at: ChartPoint(x: Double(left + tileW / 2), y: Double(top + tileH / 2)), scale: 1,
                            color: .mutedText, anchor: .middle)
                    }
                }
                top += tileH + gap
            }
            y += headingHeight + rows * (tileH + gap) + gap
        }
        return canvas.image
    }

    /// Draws one gray image with its top-left corner at `origin`, each pixel a `zoom` × `zoom` square.
    private static func paint(
        _ image: [Float], width: Int, height: Int, zoom: Int, at origin: (x: Int, y: Int), on canvas: inout RasterCanvas
    ) {
        for row in 0..<height {
            for column in 0..<width {
                let level = UInt8((min(1, max(0, image[row * width + column])) * 255).rounded())
                let x = origin.x + column * zoom, y = origin.y + row * zoom
                canvas.fill(
                    x: x, y: y, toX: x + zoom, toY: y + zoom, ChartColor(red: level, green: level, blue: level))
            }
        }
    }
}
