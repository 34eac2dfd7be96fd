import Foundation

/// A `Chart` laid out in pixels (origin at the top left, y down): the shapes every back end draws, in
/// order, and nothing else. Text is measured in the cells of `BitmapFont` (6 × `scale` pixels a character,
/// 7 × `scale` high), which the SVG back end matches with a monospace font, so both look alike.
public struct ChartDrawing: Sendable {
    /// One thing to draw.
    public enum Shape: Equatable, Sendable {
        /// A filled rectangle.
        case rect(x: Double, y: Double, width: Double, height: Double, color: ChartColor)
        /// A straight line `width` pixels thick.
        case line(from: ChartPoint, to: ChartPoint, color: ChartColor, width: Double)
        /// Connected line segments, `width` pixels thick, with round joins.
        case polyline([ChartPoint], color: ChartColor, width: Double)
        /// A filled circle.
        case dot(center: ChartPoint, radius: Double, color: ChartColor)
        /// One line of text, vertically centred on `at.y`, placed horizontally by `anchor`.
        case text(String, at: ChartPoint, scale: Int, color: ChartColor, anchor: TextAnchor)
    }

    /// Which point of a text line `at.x` names.
    public enum TextAnchor: Equatable, Sendable {
        case start, middle, end
    }

    /// The picture's size in pixels.
    public let width: Int, height: Int
    /// The shapes, back to front.
    public private(set) var shapes: [Shape] = []

    /// The width in pixels of `text` drawn at `scale`.
    public static func textWidth(_ text: String, scale: Int) -> Double {
        Double(max(0, text.count * BitmapFont.advance - 1) * scale)
    }

    /// Lays `chart` out.
    public init(_ chart: Chart) {
        width = chart.width
        height = chart.height
        let w = Double(width), h = Double(height)
        shapes.append(.rect(x: 0, y: 0, width: w, height: h, color: .background))
        shapes.append(.text(chart.title, at: ChartPoint(x: 24, y: 26), scale: 3, color: .text, anchor: .start))
        shapes.append(
            .text(chart.subtitle, at: ChartPoint(x: 24, y: 56), scale: 2, color: .mutedText, anchor: .start))

        let columns = max(1, chart.columns)
        let rows = max(1, (chart.panels.count + columns - 1) / columns)
        let top = 76.0, gap = 10.0
        let cellWidth = ((w - gap) / Double(columns)).rounded(.down)
        let cellHeight = ((h - top - gap) / Double(rows)).rounded(.down)
        for (index, panel) in chart.panels.enumerated() {
            let x = gap + Double(index % columns) * cellWidth
            let y = top + Double(index / columns) * cellHeight
            add(panel, in: (x, y, cellWidth - gap, cellHeight - gap))
        }
    }

    /// The pixel rectangle a panel's plot area occupies.
    private struct PlotArea {
        var left: Double, top: Double, right: Double, bottom: Double
        var width: Double { right - left }
        var height: Double { bottom - top }
        var center: ChartPoint { ChartPoint(x: (left + right) / 2, y: (top + bottom) / 2) }
    }

    /// Draws one panel in the cell at (x, y) of the given size.
    private mutating func add(_ panel: ChartPanel, in cell: (x: Double, y: Double, width: Double, height: Double)) {
        shapes.append(.rect(x: cell.x, y: cell.y, width: cell.width, height: cell.height, color: .panelBorder))
        shapes.append(
            .rect(x: cell.x + 1, y: cell.y + 1, width: cell.width - 2, height: cell.height - 2, color: .white))
        shapes.append(
            .text(panel.title, at: ChartPoint(x: cell.x + 16, y: cell.y + 20), scale: 2, color: .text, anchor: .start))
        addLegend(panel.legend, isBars: isBars(panel), x: cell.x + 16, y: cell.y + 46)

        let labelWidth = panel.yAxis.ticks.map { Self.textWidth(panel.yAxis.tickLabel($0), scale: 2) }.max() ?? 0
        let plot = PlotArea(
            left: (cell.x + 24 + labelWidth).rounded(), top: (cell.y + 74).rounded(),
            right: (cell.x + cell.width - 24).rounded(), bottom: (cell.y + cell.height - 50).rounded())
        addYAxis(panel.yAxis, plot)
        switch panel.content {
        case .lines(let series):
            addXAxis(panel.xAxis, plot)
            for item in series { addSeries(item, xAxis: panel.xAxis, yAxis: panel.yAxis, plot) }
        case .bars(let labels, let series):
            addBars(labels: labels, series: series, yAxis: panel.yAxis, plot)
        }
        addAxisLines(plot)
        if let note = panel.note { addNote(note, plot) }
    }

    private func isBars(_ panel: ChartPanel) -> Bool {
        if case .bars = panel.content { return true }
        return false
    }

    /// A row of legend entries: a short line (or a square for bars) in the series' colour, then its name.
    private mutating func addLegend(_ entries: [(name: String, color: ChartColor)], isBars: Bool, x: Double, y: Double)
    {
        var left = x
        for entry in entries {
            if isBars {
                shapes.append(.rect(x: left, y: y - 6, width: 12, height: 12, color: entry.color))
                left += 18
            } else {
                shapes.append(
                    .line(
                        from: ChartPoint(x: left, y: y), to: ChartPoint(x: left + 22, y: y), color: entry.color,
                        width: 3))
                left += 28
            }
            shapes.append(.text(entry.name, at: ChartPoint(x: left, y: y), scale: 2, color: .text, anchor: .start))
            left += Self.textWidth(entry.name, scale: 2) + 24
        }
    }

    /// Horizontal grid lines and their labels at the y axis's ticks.
    private mutating func addYAxis(_ axis: ChartAxis, _ plot: PlotArea) {
        for tick in axis.ticks {
            let y = pixelY(tick, axis, plot).rounded() + 0.5
            shapes.append(
                .line(
                    from: ChartPoint(x: plot.left, y: y), to: ChartPoint(x: plot.right, y: y), color: .grid, width: 1))
            shapes.append(
                .text(
                    axis.tickLabel(tick), at: ChartPoint(x: plot.left - 8, y: y), scale: 2, color: .mutedText,
                    anchor: .end))
        }
    }

    /// Vertical grid lines at the x axis's ticks, their labels, and the axis's label under them.
    private mutating func addXAxis(_ axis: ChartAxis, _ plot: PlotArea) {
        for tick in axis.ticks {
            let x = pixelX(tick, axis, plot).rounded() + 0.5
            shapes.append(
                .line(
                    from: ChartPoint(x: x, y: plot.top), to: ChartPoint(x: x, y: plot.bottom), color: .grid, width: 1))
            shapes.append(
                .text(
                    axis.tickLabel(tick), at: ChartPoint(x: x, y: plot.bottom + 16), scale: 2, color: .mutedText,
                    anchor: .middle))
        }
        shapes.append(
            .text(
                axis.label, at: ChartPoint(x: plot.center.x, y: plot.bottom + 39), scale: 2, color: .mutedText,
                anchor: .middle))
    }

    /// The left and bottom axis lines, over the grid.
    private mutating func addAxisLines(_ plot: PlotArea) {
        let left = plot.left + 0.5, bottom = plot.bottom + 0.5
        shapes.append(
            .line(
                from: ChartPoint(x: left, y: plot.top), to: ChartPoint(x: left, y: bottom), color: .axis, width: 1))
        shapes.append(
            .line(
                from: ChartPoint(x: plot.left, y: bottom), to: ChartPoint(x: plot.right, y: bottom), color: .axis,
                width: 1))
    }

    /// A series as a line, with a dot at each point when there are few enough to tell apart.
    private mutating func addSeries(_ series: ChartSeries, xAxis: ChartAxis, yAxis: ChartAxis, _ plot: PlotArea) {
        let points = series.points.map { ChartPoint(x: pixelX($0.x, xAxis, plot), y: pixelY($0.y, yAxis, plot)) }
        if points.count > 1 { shapes.append(.polyline(points, color: series.color, width: 2.5)) }
        if points.count == 1 || plot.width / Double(points.count) >= 12 {
            let radius = points.count == 1 ? 5 : 3.5
            for point in points { shapes.append(.dot(center: point, radius: radius, color: series.color)) }
        }
    }

    /// Grouped bars, their values above them and the category labels under each group.
    private mutating func addBars(labels: [String], series: [ChartBars], yAxis: ChartAxis, _ plot: PlotArea) {
        guard !labels.isEmpty, !series.isEmpty else { return }
        let slot = plot.width / Double(labels.count)
        let group = min(slot * 0.7, 70 * Double(series.count))
        let barWidth = group / Double(series.count)
        // Category labels at the normal size in up to two lines; the small size in up to three only when
        // slots are too narrow for four characters. Value labels share one size, the largest all fit at.
        let labelScale = slot - 4 >= Self.textWidth("abcd", scale: 2) ? 2 : 1
        let fitting = max(1, Int((slot - 4) / Double(BitmapFont.advance * labelScale)))
        let widest = series.flatMap(\.values).map { Self.textWidth(String(Int($0.rounded())), scale: 1) }.max() ?? 0
        let valueScale = 2 * widest <= barWidth + 6 ? 2 : widest <= barWidth + 6 ? 1 : 0
        for (index, label) in labels.enumerated() {
            let groupLeft = plot.left + slot * Double(index) + (slot - group) / 2
            for (s, bars) in series.enumerated() where index < bars.values.count {
                let value = bars.values[index]
                let top = pixelY(value, yAxis, plot).rounded()
                let left = (groupLeft + barWidth * Double(s)).rounded()
                let right = (groupLeft + barWidth * Double(s + 1)).rounded() - 1
                shapes.append(
                    .rect(x: left, y: top, width: right - left, height: plot.bottom - top, color: bars.color))
                // Zeros are labelled in the first series only (a row of "0" refusals is noise).
                if valueScale > 0 && (s == 0 || value != 0) {
                    shapes.append(
                        .text(
                            String(Int(value.rounded())),
                            at: ChartPoint(x: (left + right) / 2, y: top - 5 - 3.5 * Double(valueScale)),
                            scale: valueScale, color: .text, anchor: .middle))
                }
            }
            let lines = Self.categoryLines(label, width: fitting, maxLines: labelScale == 2 ? 2 : 3)
            for (line, text) in lines.enumerated() {
                let y = plot.bottom + 16 + Double(line * (BitmapFont.capHeight + 3) * labelScale)
                shapes.append(
                    .text(
                        text, at: ChartPoint(x: plot.left + slot * (Double(index) + 0.5), y: y), scale: labelScale,
                        color: .mutedText, anchor: .middle))
            }
        }
    }

    /// A category label in at most `maxLines` lines of `width` characters, broken after '-', '_', '.' or a
    /// space; a piece too long for a line, or a label too long for the lines, is cut with a trailing '.'.
    public static func categoryLines(_ label: String, width: Int, maxLines: Int) -> [String] {
        var pieces: [String] = []
        var piece = ""
        for character in label {
            piece.append(character)
            if "-_. ".contains(character) {
                pieces.append(piece)
                piece = ""
            }
        }
        if !piece.isEmpty { pieces.append(piece) }
        func cut(_ text: String) -> String {
            text.count <= width ? text : String(text.prefix(max(1, width - 1))) + "."
        }
        var lines: [String] = []
        var current = ""
        for piece in pieces {
            if current.isEmpty || current.count + piece.count <= width {
                current += piece
            } else {
                lines.append(cut(current.trimmingCharacters(in: .whitespaces)))
                current = piece
            }
        }
        lines.append(cut(current.trimmingCharacters(in: .whitespaces)))
        if lines.count > maxLines {
            lines = Array(lines.prefix(maxLines))
            let last = lines[maxLines - 1]
            lines[maxLines - 1] = String(last.prefix(max(1, width - 1))) + "."
        }
        return lines
    }

    /// A message across the middle of the plot, wrapped at spaces to the plot's width, on a white band.
    private mutating func addNote(_ note: String, _ plot: PlotArea) {
        let maxCharacters = max(8, Int((plot.width - 24) / Double(BitmapFont.advance * 2)))
        let lines = Self.wrap(note, width: maxCharacters)
        let lineHeight = 22.0
        let bandHeight = Double(lines.count) * lineHeight + 14
        let bandWidth = (lines.map { Self.textWidth($0, scale: 2) }.max() ?? 0) + 28
        shapes.append(
            .rect(
                x: plot.center.x - bandWidth / 2, y: plot.center.y - bandHeight / 2, width: bandWidth,
                height: bandHeight, color: .noteBackground))
        for (i, line) in lines.enumerated() {
            let y = plot.center.y + (Double(i) - Double(lines.count - 1) / 2) * lineHeight
            shapes.append(
                .text(line, at: ChartPoint(x: plot.center.x, y: y), scale: 2, color: .text, anchor: .middle))
        }
    }

    /// `text` broken at spaces into lines of at most `width` characters (longer words stand alone).
    public static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if current.isEmpty {
                current = String(word)
            } else if current.count + 1 + word.count <= width {
                current += " " + word
            } else {
                lines.append(current)
                current = String(word)
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    private func pixelX(_ value: Double, _ axis: ChartAxis, _ plot: PlotArea) -> Double {
        plot.left + axis.fraction(value) * plot.width
    }

    private func pixelY(_ value: Double, _ axis: ChartAxis, _ plot: PlotArea) -> Double {
        plot.bottom - axis.fraction(value) * plot.height
    }
}
