/// The shape arithmetic of one 2-D convolution or pooling window over a (C, H, W) sample.
///
/// 1-D layers use it with `height == 1` and a (1, k) window.
public struct ConvGeometry: Sendable, Equatable {
    /// Input channels, height and width.
    public let channels: Int, height: Int, width: Int
    /// Window height and width.
    public let kernelH: Int, kernelW: Int
    /// Step between windows, vertically and horizontally.
    public let strideH: Int, strideW: Int
    /// Zero padding added on each side, vertically and horizontally.
    public let padH: Int, padW: Int

    /// A geometry; the window must fit the padded input at least once.
    public init(
        channels: Int, height: Int, width: Int, kernelH: Int, kernelW: Int,
        strideH: Int = 1, strideW: Int = 1, padH: Int = 0, padW: Int = 0
    ) {
        self.channels = channels; self.height = height; self.width = width
        self.kernelH = kernelH; self.kernelW = kernelW
        self.strideH = strideH; self.strideW = strideW
        self.padH = padH; self.padW = padW
    }

    /// Output height: ⌊(H + 2·padH − kH) / strideH⌋ + 1.
    @inlinable public var outH: Int { (height + 2 * padH - kernelH) / strideH + 1 }
    /// Output width: ⌊(W + 2·padW − kW) / strideW⌋ + 1.
    @inlinable public var outW: Int { (width + 2 * padW - kernelW) / strideW + 1 }
    /// Rows of the im2col matrix: C · kH · kW.
    @inlinable public var patchSize: Int { channels * kernelH * kernelW }
    /// Columns of the im2col matrix: outH · outW.
    @inlinable public var outPixels: Int { outH * outW }
    /// Whether at least one window fits.
    public var isValid: Bool {
        channels > 0 && height > 0 && width > 0 && kernelH > 0 && kernelW > 0 && strideH > 0 && strideW > 0
            && padH >= 0 && padW >= 0 && height + 2 * padH >= kernelH && width + 2 * padW >= kernelW
    }
}
