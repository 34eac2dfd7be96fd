import Foundation

/// A chart as data: a title and panels of lines or bars on axes, with no notion of pixels or file
/// formats. `ChartDrawing` lays it out; its SVG and PNG back ends draw the same layout.
public struct Chart: Equatable, Sendable {
    /// The headline, drawn large at the top.
    public var title: String
    /// One line under the title (what the data are, where they came from).
    public var subtitle: String
    /// The panels, laid out in rows of `columns`, left to right then top to bottom.
    public var panels: [ChartPanel]
    /// How many panels a row holds.
    public var columns = 2
    /// The picture's size in pixels.
    public var width = 1200, height = 800

    public init(title: String, subtitle: String, panels: [ChartPanel], columns: Int = 2, width: Int = 1200, height: Int = 800) {
        self.title = title
        self.subtitle = subtitle
        self.panels = panels
        self.columns = columns
        self.width = width
        self.height = height
    }
}

/// One panel: a title, its axes and what is drawn on them.
public struct ChartPanel: Equatable, Sendable {
    /// What is drawn with what: drawn at the panel's top.
    public var title: String
    /// The horizontal axis of a line panel (bar panels lay their categories out along x).
    public var xAxis: ChartAxis
    /// The vertical axis.
    public var yAxis: ChartAxis
    /// The lines or bars.
    public var content: Content
    /// A message drawn across the plot area, e.g. why it is empty; nil for none.
    public var note: String?

    public init(title: String, xAxis: ChartAxis, yAxis: ChartAxis, content: Content, note: String? = nil) {
        self.title = title
        self.xAxis = xAxis
        self.yAxis = yAxis
        self.content = content
        self.note = note
    }

    /// What a panel draws.
    public enum Content: Equatable, Sendable {
        /// Lines through points; a series with one point shows as a dot.
        case lines([ChartSeries])
        /// Groups of bars, one group per category (`labels`), one bar per series in each group.
        case bars(labels: [String], series: [ChartBars])
    }

    /// The names and colours to list in the panel's legend.
    public var legend: [(name: String, color: ChartColor)] {
        switch content {
        case .lines(let series): return series.map { ($0.name, $0.color) }
        case .bars(_, let series): return series.map { ($0.name, $0.color) }
        }
    }
}

/// A named line through points in data coordinates.
public struct ChartSeries: Equatable, Sendable {
    /// The legend's name for it.
    public var name: String
    /// Its colour.
    public var color: ChartColor
    /// Its points, in increasing x.
    public var points: [ChartPoint]

    public init(name: String, color: ChartColor, points: [ChartPoint]) {
        self.name = name
        self.color = color
        self.points = points
    }
}

/// A named set of bar heights, one per category of a bar panel.
public struct ChartBars: Equatable, Sendable {
    /// The legend's name for it.
    public var name: String
    /// Its colour.
    public var color: ChartColor
    /// One height per category.
    public var values: [Double]

    public init(name: String, color: ChartColor, values: [Double]) {
        self.name = name
        self.color = color
        self.values = values
    }
}

/// A point, in data or pixel coordinates.
public struct ChartPoint: Equatable, Sendable {
    /// Horizontal coordinate.
    public var x: Double
    /// Vertical coordinate.
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// An 8-bit sRGB colour.
public struct ChartColor: Equatable, Sendable {
    /// Red, green and blue, 0–255.
    public var red: UInt8, green: UInt8, blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// `#rrggbb`, as SVG writes colours.
    public var hex: String { String(format: "#%02x%02x%02x", red, green, blue) }

    public static let white = ChartColor(red: 255, green: 255, blue: 255)
    public static let background = ChartColor(red: 241, green: 243, blue: 246)
    public static let noteBackground = ChartColor(red: 255, green: 244, blue: 214)
    public static let text = ChartColor(red: 33, green: 37, blue: 41)
    public static let mutedText = ChartColor(red: 96, green: 102, blue: 110)
    public static let axis = ChartColor(red: 120, green: 124, blue: 130)
    public static let grid = ChartColor(red: 226, green: 229, blue: 233)
    public static let panelBorder = ChartColor(red: 206, green: 210, blue: 215)
    public static let blue = ChartColor(red: 31, green: 119, blue: 180)
    public static let orange = ChartColor(red: 230, green: 115, blue: 0)
    public static let green = ChartColor(red: 44, green: 150, blue: 44)
    public static let red = ChartColor(red: 200, green: 40, blue: 40)
    public static let purple = ChartColor(red: 128, green: 80, blue: 170)
}

/// An axis: its label, range, tick positions and how many decimals tick labels show.
public struct ChartAxis: Equatable, Sendable {
    /// What the axis measures (with its unit).
    public var label: String
    /// The data value at the axis's start and end.
    public var lower: Double, upper: Double
    /// Where ticks (and grid lines) go, in data values.
    public var ticks: [Double]
    /// Decimals of tick labels.
    public var decimals: Int

    public init(label: String, lower: Double, upper: Double, ticks: [Double], decimals: Int) {
        self.label = label
        self.lower = lower
        self.upper = upper
        self.ticks = ticks
        self.decimals = decimals
    }

    /// A tick's label.
    public func tickLabel(_ value: Double) -> String {
        let text = String(format: "%.\(decimals)f", value)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }

    /// Where `value` falls along the axis, 0 at `lower` and 1 at `upper`.
    public func fraction(_ value: Double) -> Double {
        upper > lower ? (value - lower) / (upper - lower) : 0.5
    }

    /// An axis covering `values` with about `target` ticks at round steps (1, 2 or 5 times a power of
    /// ten). `integer` keeps steps whole (versions, counts); `includeZero` starts counts at 0; `limits`
    /// keeps the range inside known bounds (accuracy in 0–1). Values all ≥ 0 get no negative range or tick,
    /// except that a lone value is centred.
    public static func fitting(
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
    public static func niceStep(_ raw: Double) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let power = pow(10, log10(raw).rounded(.down))
        let fraction = raw / power
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2.5 ? 2 : fraction <= 5 ? 5 : 10
        return nice * power
    }
}
