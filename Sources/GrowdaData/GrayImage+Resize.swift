extension GrayImage {
    /// This image scaled to `width`×`height`: area averaging along an axis that shrinks, bilinear
    /// interpolation (pixel centres aligned, edges clamped) along an axis that grows, a copy along an axis
    /// that keeps its size. The two axes are resampled one after the other; values round to nearest.
    public func resized(width newWidth: Int, height newHeight: Int) -> GrayImage {
        precondition(newWidth > 0 && newHeight > 0, "target size must be positive, got \(newWidth)×\(newHeight)")
        if newWidth == width && newHeight == height { return self }
        let across = ResampleTaps(from: width, to: newWidth)
        let down = ResampleTaps(from: height, to: newHeight)

        // Rows first: (height, width) -> (height, newWidth), kept in Float.
        var rows = [Float](repeating: 0, count: height * newWidth)
        pixels.withUnsafeBufferPointer { src in
            rows.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let srcRow = y * width
                    let dstRow = y * newWidth
                    for x in 0..<newWidth {
                        var sum: Float = 0
                        for t in across.range(x) { sum += across.weights[t] * Float(src[srcRow + across.sources[t]]) }
                        dst[dstRow + x] = sum
                    }
                }
            }
        }
        // Then columns: (height, newWidth) -> (newHeight, newWidth), rounded back to bytes.
        var out = [UInt8](repeating: 0, count: newHeight * newWidth)
        rows.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<newHeight {
                    let taps = down.range(y)
                    for x in 0..<newWidth {
                        var sum: Float = 0
                        for t in taps { sum += down.weights[t] * src[down.sources[t] * newWidth + x] }
                        dst[y * newWidth + x] = UInt8(min(max(sum + 0.5, 0), 255))
                    }
                }
            }
        }
        return GrayImage(width: newWidth, height: newHeight, pixels: out)
    }
}

/// For each output position along one axis, the source positions it reads and their weights (summing to 1).
struct ResampleTaps {
    /// Source index of each tap, grouped by output position.
    private(set) var sources: [Int] = []
    /// Weight of each tap.
    private(set) var weights: [Float] = []
    /// Where each output position's taps start in `sources`; one extra entry closes the last group.
    private(set) var starts: [Int] = [0]

    /// The taps that take an axis of `inCount` samples to `outCount`.
    init(from inCount: Int, to outCount: Int) {
        let scale = Double(inCount) / Double(outCount)
        for o in 0..<outCount {
            if outCount == inCount {
                add(o, 1)
            } else if outCount < inCount {
                // Area: output o covers source interval [o·scale, (o+1)·scale); weight = overlap / scale.
                let lo = Double(o) * scale
                let hi = Double(o + 1) * scale
                var i = Int(lo)
                while i < inCount && Double(i) < hi {
                    let overlap = min(hi, Double(i + 1)) - max(lo, Double(i))
                    if overlap > 1e-9 { add(i, Float(overlap / scale)) }
                    i += 1
                }
            } else {
                // Bilinear: the output pixel centre maps to source coordinate (o + ½)·scale − ½, clamped.
                let position = min(max((Double(o) + 0.5) * scale - 0.5, 0), Double(inCount - 1))
                let left = Int(position)
                let fraction = Float(position - Double(left))
                add(left, 1 - fraction)
                if fraction > 0 { add(left + 1, fraction) }
            }
            starts.append(sources.count)
        }
    }

    /// The tap indices of output position `o`.
    @inline(__always) func range(_ o: Int) -> Range<Int> { starts[o]..<starts[o + 1] }

    private mutating func add(_ source: Int, _ weight: Float) {
        sources.append(source)
        weights.append(weight)
    }
}
