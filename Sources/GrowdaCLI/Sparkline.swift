import Foundation

/// Eight-level bars (▁▂▃▄▅▆▇█) of a metric in [0, 1] such as accuracy or AUC, the last ``limit`` values, on
/// a scale that never magnifies a small change: the values' range widened outward to whole tenths, at least
/// 0.1 wide, so one bar level is at least 0.1 / 7 ≈ 0.014 and 0.917 → 0.918 is drawn as one bar twice,
/// not ▁ → █. The scale is printed beside the bars (``scaleText``), since it is not always 0–1.
struct Sparkline: Equatable {
    /// The bars, lowest first.
    static let levels = Array("▁▂▃▄▅▆▇█")
    /// How many values are drawn (the last ones).
    static let limit = 40
    /// The narrowest scale drawn.
    static let step = 0.1

    /// One bar per finite value drawn; empty when there is none.
    let bars: String
    /// The value drawn as ▁ (at or below) and the value drawn as █ (at or above); nil when nothing is drawn.
    let scale: ClosedRange<Double>?

    /// The bars for the last ``limit`` of `values` (non-finite ones skipped; values outside [0, 1] drawn at
    /// the nearer end).
    init(_ values: [Double]) {
        let shown = values.suffix(Self.limit).filter(\.isFinite).map { min(1, max(0, $0)) }
        guard let low = shown.min(), let high = shown.max() else {
            (bars, scale) = ("", nil)
            return
        }
        let scale = Self.scale(low: low, high: high)
        let width = scale.upperBound - scale.lowerBound
        let top = Self.levels.count - 1
        bars = String(
            shown.map { value in
                Self.levels[min(top, max(0, Int((value - scale.lowerBound) / width * Double(top) + 0.5)))]
            })
        self.scale = scale
    }

    /// `0.8–1.0`: the scale, or an empty string when nothing is drawn.
    var scaleText: String {
        scale.map { "\(fmt($0.lowerBound, 1))–\(fmt($0.upperBound, 1))" } ?? ""
    }

    /// [low, high] widened outward to tenths, at least ``step`` wide, within [0, 1].
    static func scale(low: Double, high: Double) -> ClosedRange<Double> {
        let tenths = (low: (low / step + 1e-9).rounded(.down), high: (high / step - 1e-9).rounded(.up))
        var (bottom, top) = (max(0, tenths.low), min(1 / step, tenths.high))
        if top - bottom < 1 {
            if top + 1 <= 1 / step { top += 1 } else { bottom = top - 1 }
        }
        return (bottom * step)...(top * step)
    }
}
