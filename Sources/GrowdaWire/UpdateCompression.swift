/// A node's side of compressed updates: turns a delta into ``CodedTensors`` in a codec's encoding.
///
/// Top-k keeps error feedback (Stich et al. 2018; Karimireddy et al. 2019): the values not sent are not
/// lost but kept as a residual r, added to the next delta before choosing what to send, so every value
/// reaches the aggregator eventually. Stochastic rounding (int8) needs no residual: it is unbiased, each
/// value rounding up with probability equal to its fractional part.
public enum UpdateCompressor {
    /// Encodes `delta` with `codec` (any but ``UpdateCodec/none``).
    ///
    /// For top-k, `residual` (the same names and shapes as `delta`; anything else counts as none) is
    /// added to the delta first, k = ⌈F · n⌉ values of the sum with the largest magnitudes over the whole
    /// delta are encoded, and `residual` becomes the sum minus what the aggregator will decode, exactly.
    /// For the other codecs `residual` is left as it is. `random` drives stochastic rounding.
    public static func encode(
        _ delta: WireTensors, codec: UpdateCodec, residual: inout WireTensors?,
        random: inout some RandomNumberGenerator
    ) throws(WireEncodingError) -> CodedTensors {
        guard let encoding = codec.encoding else {
            throw .invalidTensor(name: "", problem: "codec none writes F32 tensors, not an encoding")
        }
        let carried = (codec.keepsResidual ? try carrying(residual, into: delta) : delta).tensors
        var out: [(name: String, bytes: [UInt8])] = []
        switch codec {
        case .none:
            break
        case .fp16:
            out = carried.map { ($0.name, fp16Bytes($0.values)) }
        case .int8:
            out = carried.map { ($0.name, int8Bytes($0.values, random: &random).bytes) }
        case .topK(let fraction, let int8Values):
            let total = carried.reduce(0) { $0 + $1.values.count }
            let k = min(total, max(1, Int((fraction * Double(total)).rounded(.up))))
            let chosen = largestMagnitudes(carried.map(\.values), count: k)
            var left: [WireTensor] = []
            for (tensor, indices) in zip(carried, chosen) {
                var values = indices.map { tensor.values[$0] }
                var bytes: [UInt8] = []
                append(UInt32(indices.count), to: &bytes)
                if int8Values {
                    let (scaled, decoded) = int8Bytes(values, random: &random)
                    bytes.append(contentsOf: scaled.prefix(4))
                    for index in indices { append(UInt32(index), to: &bytes) }
                    bytes.append(contentsOf: scaled.dropFirst(4))
                    values = decoded
                } else {
                    for index in indices { append(UInt32(index), to: &bytes) }
                    for value in values { append(value.bitPattern, to: &bytes) }
                }
                var rest = tensor.values
                for (index, sent) in zip(indices, values) { rest[index] -= sent }
                left.append(WireTensor(name: tensor.name, shape: tensor.shape, values: rest))
                out.append((tensor.name, bytes))
            }
            residual = try WireTensors(left)
        }
        return try CodedTensors(encoding: encoding, tensors: out)
    }

    /// `delta` + `residual`, tensor by tensor; `delta` itself when there is no residual or its names and
    /// shapes differ (a residual of another model counts as none).
    public static func carrying(_ residual: WireTensors?, into delta: WireTensors) throws(WireEncodingError) -> WireTensors {
        guard let residual, TensorLayout(of: residual) == TensorLayout(of: delta) else { return delta }
        var sum = delta.tensors
        for index in sum.indices {
            residual.withFloats(sum[index].name) { r in
                for i in 0..<r.count { sum[index].values[i] += r[i] }
            }
        }
        return try WireTensors(sum)
    }

    /// Binary16 of each value, saturated at ±65504 so a finite value stays finite.
    static func fp16Bytes(_ values: [Float]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 2)
        for value in values {
            let half = Float16(Swift.min(65504, Swift.max(-65504, value)))
            append(half.bitPattern, to: &bytes)
        }
        return bytes
    }

    /// The scale s = max |x| / 127 and each value as q = ⌊x / s + u⌋ (u uniform in [0, 1)): 4 + n bytes,
    /// and the values the aggregator will decode (s · q).
    static func int8Bytes(_ values: [Float], random: inout some RandomNumberGenerator) -> (bytes: [UInt8], decoded: [Float]) {
        let largest = values.reduce(Float(0)) { Swift.max($0, abs($1)) }
        let scale = largest / 127
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 + values.count)
        append(scale.bitPattern, to: &bytes)
        var decoded = [Float](repeating: 0, count: values.count)
        guard scale > 0, scale.isFinite else {
            bytes.append(contentsOf: repeatElement(0, count: values.count))
            return (bytes, decoded)
        }
        let inverse = 1 / scale
        for (i, value) in values.enumerated() {
            let u = Float(random.next() >> 40) * 0x1p-24
            let q = Swift.min(127, Swift.max(-127, (value * inverse + u).rounded(.down)))
            bytes.append(UInt8(bitPattern: Int8(q)))
            decoded[i] = scale * q
        }
        return (bytes, decoded)
    }

    /// The indices, per tensor and ascending, of the `count` values with the largest magnitudes over all of
    /// `tensors` together; ties at the threshold are taken in order (first tensor, lowest index first).
    static func largestMagnitudes(_ tensors: [[Float]], count: Int) -> [[Int]] {
        var magnitudes: [Float] = []
        magnitudes.reserveCapacity(tensors.reduce(0) { $0 + $1.count })
        for values in tensors { magnitudes.append(contentsOf: values.lazy.map { abs($0) }) }
        guard count > 0, !magnitudes.isEmpty else { return tensors.map { _ in [] } }
        let threshold = kthLargest(&magnitudes, count)
        var above = 0
        for values in tensors { above += values.reduce(0) { $0 + (abs($1) > threshold ? 1 : 0) } }
        var ties = count - above
        return tensors.map { values in
            var indices: [Int] = []
            for (i, value) in values.enumerated() {
                let m = abs(value)
                if m > threshold {
                    indices.append(i)
                } else if m == threshold, ties > 0 {
                    indices.append(i)
                    ties -= 1
                }
            }
            return indices
        }
    }

    /// The k-th largest of `values` (1-based), by selection in expected linear time; reorders `values`.
    static func kthLargest(_ values: inout [Float], _ k: Int) -> Float {
        precondition(k >= 1 && k <= values.count, "k = \(k) outside 1…\(values.count)")
        let target = values.count - k  // its place in ascending order
        var low = 0, high = values.count - 1
        while low < high {
            let middle = low + (high - low) / 2
            // Median of three as the pivot, then a three-way partition (many equal values are common: zeros).
            let a = values[low], b = values[middle], c = values[high]
            let pivot = Swift.max(Swift.min(a, b), Swift.min(Swift.max(a, b), c))
            var lt = low, i = low, gt = high
            while i <= gt {
                if values[i] < pivot {
                    values.swapAt(lt, i)
                    lt += 1
                    i += 1
                } else if values[i] > pivot {
                    values.swapAt(i, gt)
                    gt -= 1
                } else {
                    i += 1
                }
            }
            if target < lt {
                high = lt - 1
            } else if target > gt {
                low = gt + 1
            } else {
                return pivot
            }
        }
        return values[target]
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

/// The aggregator's side: turns ``CodedTensors`` back into F32 ``WireTensors`` against the model's
/// layout, or refuses them. Total: any bytes give tensors or exactly one reason.
///
/// ``RejectionReason/wrongTensors`` when the names differ from the layout's; ``RejectionReason/badEncoding``
/// when a tensor's bytes do not follow its encoding (a length that does not fit, a count above n, indices
/// not strictly ascending or not below n, a scale that is negative or not finite). A NaN or an infinity
/// among decoded values is left for the non-finite check that follows.
public enum UpdateDecompressor {
    /// The F32 delta `coded` stands for, shaped as `layout` says.
    public static func decode(_ coded: CodedTensors, layout: TensorLayout) throws(RejectionReason) -> WireTensors {
        guard coded.count == layout.shapes.count, coded.names.allSatisfy({ layout.shapes[$0] != nil }) else {
            throw .wrongTensors
        }
        var tensors: [WireTensor] = []
        tensors.reserveCapacity(coded.count)
        var failure: RejectionReason?
        coded.forEach { name, bytes in
            guard failure == nil, let shape = layout.shapes[name], let n = elementCount(shape) else {
                if failure == nil { failure = .wrongTensors }
                return
            }
            if let values = decode(bytes, encoding: coded.encoding, count: n) {
                tensors.append(WireTensor(name: name, shape: shape, values: values))
            } else {
                failure = .badEncoding
            }
        }
        if let failure { throw failure }
        do {
            return try WireTensors(tensors)
        } catch {
            throw .wrongTensors
        }
    }

    /// The `count` values `bytes` encodes, or nil when the bytes do not follow `encoding`.
    static func decode(_ bytes: UnsafeRawBufferPointer, encoding: UpdateEncoding, count n: Int) -> [Float]? {
        func u32(_ offset: Int) -> Int { Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))) }
        func f32(_ offset: Int) -> Float { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))) }
        func i8(_ offset: Int) -> Float { Float(Int8(bitPattern: bytes[offset])) }
        func scale(_ offset: Int) -> Float? {
            let s = f32(offset)
            return s.isFinite && s >= 0 ? s : nil
        }
        switch encoding {
        case .fp16:
            guard bytes.count == 2 * n else { return nil }
            return (0..<n).map { i in
                Float(Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
            }
        case .int8:
            guard bytes.count == 4 + n, let s = scale(0) else { return nil }
            return (0..<n).map { s * i8(4 + $0) }
        case .topK, .topKInt8:
            let header = encoding == .topK ? 4 : 8
            let width = encoding == .topK ? 8 : 5
            guard bytes.count >= header else { return nil }
            let k = u32(0)
            guard k <= n, bytes.count == header + width * k else { return nil }
            let s: Float
            if encoding == .topKInt8 {
                guard let found = scale(4) else { return nil }
                s = found
            } else {
                s = 1
            }
            var values = [Float](repeating: 0, count: n)
            var previous = -1
            let valuesStart = header + 4 * k
            for j in 0..<k {
                let index = u32(header + 4 * j)
                guard index > previous, index < n else { return nil }
                previous = index
                values[index] = encoding == .topK ? f32(valuesStart + 4 * j) : s * i8(valuesStart + j)
            }
            return values
        }
    }
}
