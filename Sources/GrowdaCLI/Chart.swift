import Foundation

/// A chart as data: a title and panels of lines or bars on axes, with no notion of pixels or file
/// formats. `ChartDrawing` lays it out; its SVG and PNG back ends draw the same layout.
struct Chart: Equatable {
    /// The headline, drawn large at the top.
    var title: String
    /// One line under the title (what the data are, where they came from).
    var subtitle: String
    /// The panels, laid out in rows of `columns`, left to right then top to bottom.
    var panels: [ChartPanel]
    /// How many panels a row holds.
    var columns = 2
    /// The picture's size in pixels.
    var width = 1200, height = 800
}

/// One panel: a title, its axes and what is drawn on them.
struct ChartPanel: Equatable {
    /// What is drawn with what: drawn at the panel's top.
    var title: String
    /// The horizontal axis of a line panel (bar panels lay their categories out along x).
    var xAxis: ChartAxis
    /// The vertical axis.
    var yAxis: ChartAxis
    /// The lines or bars.
    var content: Content
    /// A message drawn across the plot area, e.g. why it is empty; nil for none.
    var note: String?

    /// What a panel draws.
    enum Content: Equatable {
        /// Lines through points; a series with one point shows as a dot.
        case lines([ChartSeries])
        /// Groups of bars, one group per category (`labels`), one bar per series in each group.
        case bars(labels: [String], series: [ChartBars])
    }

    /// The names and colours to list in the panel's legend.
    var legend: [(name: String, color: ChartColor)] {
        switch content {
        case .lines(let series): return series.map { ($0.name, $0.color) }
        case .bars(_, let series): return series.map { ($0.name, $0.color) }
        }
    }
}

/// A named line through points in data coordinates.
struct ChartSeries: Equatable {
    /// The legend's name for it.
    var name: String
    /// Its colour.
    var color: ChartColor
    /// Its points, in increasing x.
    var points: [ChartPoint]
}

/// A named set of bar heights, one per category of a bar panel.
struct ChartBars: Equatable {
    /// The legend's name for it.
    var name: String
    /// Its colour.
    var color: ChartColor
    /// One height per category.
    var values: [Double]
}

/// A point, in data or pixel coordinates.
struct ChartPoint: Equatable {
    /// Horizontal coordinate.
    var x: Double
    /// Vertical coordinate.
    var y: Double
}

/// An 8-bit sRGB colour.
struct ChartColor: Equatable {
    /// Red, green and blue, 0–255.
    var red: UInt8, green: UInt8, blue: UInt8

    /// `#rrggbb`, as SVG writes colours.
    var hex: String { String(format: "#%02x%02x%02x", red, green, blue) }

    static let white = ChartColor(red: 255, green: 255, blue: 255)
    static let background = ChartColor(red: 241, green: 243, blue: 246)
    static let noteBackground = ChartColor(red: 255, green: 244, blue: 214)
    static let text = ChartColor(red: 33, green: 37, blue: 41)
    static let mutedText = ChartColor(red: 96, green: 102, blue: 110)
    static let axis = ChartColor(red: 120, green: 124, blue: 130)
    static let grid = ChartColor(red: 226, green: 229, blue: 233)
    static let panelBorder = ChartColor(red: 206, green: 210, blue: 215)
    static let blue = ChartColor(red: 31, green: 119, blue: 180)
    static let orange = ChartColor(red: 230, green: 115, blue: 0)
    static let green = ChartColor(red: 44, green: 150, blue: 44)
    static let red = ChartColor(red: 200, green: 40, blue: 40)
    static let purple = ChartColor(red: 128, green: 80, blue: 170)
}

/// An axis: its label, range, tick positions and how many decimals tick labels show.
struct ChartAxis: Equatable {
    /// What the axis measures (with its unit).
    var label: String
    /// The data value at the axis's start and end.
    var lower: Double, upper: Double
    /// Where ticks (and grid lines) go, in data values.
    var ticks: [Double]
    /// Decimals of tick labels.
    var decimals: Int

    /// A tick's label.
    func tickLabel(_ value: Double) -> String {
        let text = String(format: "%.\(decimals)f", value)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }

    /// Where `value` falls along the axis, 0 at `lower` and 1 at `upper`.
    func fraction(_ value: Double) -> Double {
        upper > lower ? (value - lower) / (upper - lower) : 0.5
    }

    /// An axis covering `values` with about `target` ticks at round steps (1, 2 or 5 times a power of
    /// ten). `integer` keeps steps whole (versions, counts); `includeZero` starts counts at 0; `limits`
    /// keeps the range inside known bounds (accuracy in 0–1). Values all ≥ 0 get no negative range or tick,
    /// except that a lone value is centred.
    static func fitting(
        _ values: [Double], label: String, integer: Bool = false, includeZero: Bool = false,
        limits: ClosedRange<Double>? = nil, target: Int = 5
    ) -> ChartAxis {
        let finite = values.filter(\.isFinite)
        var low = finite.min() ?? limits?.lowerBound ?? 0
        var high = finite.max() ?? limits?.upperBound ?? 1
        if includeZero { (low, high) = (min(low, 0), max(high, 0)) }
        let nonNegative = low >= 0
        var centred = false
        if high - low < 1e-12 {
            if includeZero {
                high = low + 1
            } else {
                // One value: centre it, and label no tick below 0 when values cannot be negative.
                let pad = integer ? 1 : max(abs(high) * 0.05, 0.01)
                (low, high) = (low - pad, high + pad)
                centred = true
            }
        } else if !integer {
            let margin = (high - low) * 0.02  // so the extremes do not sit on the frame
            (low, high) = (low - margin, high + margin)
        }
        if nonNegative && !centred { low = max(low, 0) }
        if let limits { (low, high) = (max(low, limits.lowerBound), min(high, limits.upperBound)) }
        var step = niceStep((high - low) / Double(max(target, 1)))
        if integer { step = max(step, 1) }
        var lower = (low / step).rounded(.down) * step
        var upper = (high / step).rounded(.up) * step
        if upper - lower < step / 2 { upper = lower + step }
        if let limits { (lower, upper) = (max(lower, limits.lowerBound), min(upper, limits.upperBound)) }
        let count = Int(((upper - lower) / step).rounded())
        let ticks = (0...max(count, 0)).map { lower + Double($0) * step }.filter { !nonNegative || $0 > -1e-9 }
        let decimals = integer ? 0 : max(0, Int((-log10(step) - 1e-9).rounded(.up)))
        return ChartAxis(label: label, lower: lower, upper: upper, ticks: ticks, decimals: decimals)
    }

    /// A round step (1, 2 or 5 times a power of ten) for `raw`: the next one up, but 2 up to 2.5.
    static func niceStep(_ raw: Double) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let power = pow(10, log10(raw).rounded(.down))
        let fraction = raw / power
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2.5 ? 2 : fraction <= 5 ? 5 : 10
        return nice * power
    }
}
