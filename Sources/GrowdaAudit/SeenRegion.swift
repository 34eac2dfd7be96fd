import GrowdaNN
import GrowdaTensor

/// The top-left rectangle of input pixels that can reach a layer's output: rows 0 ..< `rows`, columns
/// 0 ..< `columns`.
///
/// Unpadded windows and floor division leave the last rows and columns of an image out: small28
/// (28 → conv 26 → pool 13 → conv 11 → pool 5) never reads rows and columns 26 and 27, so no attack
/// on what it computes can recover them. The region is found from the layers' window arithmetic alone,
/// not from gradients (a pixel a ReLU happens to silence for one image is still seen).
public struct SeenRegion: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Rows 0 ..< rows are seen.
    public var rows: Int
    /// Columns 0 ..< columns are seen.
    public var columns: Int

    /// A region from its size.
    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
    }

    /// Pixels in the region.
    public var count: Int { rows * columns }

    /// "26×26" (rows × columns).
    public var description: String { "\(rows)×\(columns)" }

    /// The input pixels of `model` that reach the output of layer `last` (all of that output is taken as
    /// used, as a dense layer after it uses it).
    public init(model: Model, through last: Int) {
        let shape = model.spec.inputShape
        let (height, width) = shape.count == 3 ? (shape[1], shape[2]) : (1, shape[shape.count - 1])
        // The used part of the current layer's output, nil for all of it; walked from `last` down to the input.
        var used: (rows: Int, columns: Int)? = nil
        for i in stride(from: last, through: 0, by: -1) {
            let layer = model.layers[i]
            let geometry = (layer as? Conv2D)?.geometry ?? (layer as? MaxPool2D)?.geometry
            if let g = geometry {
                let (outRows, outColumns) = used ?? (g.outH, g.outW)
                used = (
                    min(g.height, (outRows - 1) * g.strideH + g.kernelH - g.padH),
                    min(g.width, (outColumns - 1) * g.strideW + g.kernelW - g.padW)
                )
            } else if layer.inputShape.count != 3 || layer.outputShape.count != 3 {
                used = nil  // flatten, dense, global pooling: every input value counts
            }  // elementwise layers (ReLU, dropout, batch norm) keep the used part as it is
        }
        self.init(rows: used?.rows ?? height, columns: used?.columns ?? width)
    }

    /// Whether pixel (row, column) is seen.
    public func contains(row: Int, column: Int) -> Bool { row < rows && column < columns }

    /// `image` (height × width, row-major) with every unseen pixel set to the nearest seen one (the last seen
    /// row and column repeated): the guess an attacker with no other prior makes for pixels no feature saw.
    public func extendingEdges(of image: [Float], width: Int, height: Int) -> [Float] {
        var out = image
        for y in 0..<height {
            for x in 0..<width where !contains(row: y, column: x) {
                out[y * width + x] = image[min(y, rows - 1) * width + min(x, columns - 1)]
            }
        }
        return out
    }
}
