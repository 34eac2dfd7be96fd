/// Elementwise kernels on raw Float buffers, written with 8-wide SIMD so they vectorise and do not
/// branch on data (a data-dependent branch per element mispredicts half the time on ReLU inputs).
/// Each has a plain scalar tail; the tests check them against plain loops.
public enum VectorOps {
    @usableFromInline typealias V = SIMD8<Float>

    @inline(__always) @usableFromInline
    static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    @inline(__always) @usableFromInline
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// y = max(x, 0).
    @inlinable
    public static func relu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let zero = V(repeating: 0)
        while i + 8 <= count {
            let v = load(x + i)
            store(v.replacing(with: zero, where: v .< zero), y + i)
            i += 8
        }
        while i < count { y[i] = max(x[i], 0); i += 1 }
    }

    /// dx = dy where y > 0, else 0.
    @inlinable
    public static func reluBackward(
        _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, count: Int
    ) {
        var i = 0
        let zero = V(repeating: 0)
        while i + 8 <= count {
            store(load(dy + i).replacing(with: 0, where: load(y + i) .<= zero), dx + i)
            i += 8
        }
        while i < count { dx[i] = y[i] > 0 ? dy[i] : 0; i += 1 }
    }

    /// Σ x, with eight partial sums.
    @inlinable
    public static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var acc = V(repeating: 0)
        var i = 0
        while i + 8 <= count {
            acc += load(x + i)
            i += 8
        }
        var s = acc.sum()
        while i < count { s += x[i]; i += 1 }
        return s
    }
}
