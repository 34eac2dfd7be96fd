extension SafetensorsFile {
    /// The tensor called `name` as `Float`s: F32 is copied as is; F64, F16, BF16 and the F8 types are
    /// converted (F64 rounds to nearest). Integer and boolean tensors throw `.notFloat`.
    public func floats(_ name: String) throws -> [Float] {
        let info = try requireFloatInfo(name)
        let count = info.dataRange.count / info.dtype.byteSize
        return [Float](unsafeUninitializedCapacity: count) { destination, initialized in
            convert(info, into: destination)
            initialized = count
        }
    }

    /// Converts the tensor called `name` into `destination` as `floats(_:)` does, without an
    /// intermediate array; `destination.count` must equal the tensor's element count.
    public func copyFloats(_ name: String, into destination: UnsafeMutableBufferPointer<Float>) throws {
        let info = try requireFloatInfo(name)
        let count = info.dataRange.count / info.dtype.byteSize
        guard destination.count == count else {
            throw SafetensorsError(
                .shapeMismatch,
                "tensor \(quoted(name)) has \(count) elements but the destination holds \(destination.count)")
        }
        convert(info, into: destination)
    }

    private func requireFloatInfo(_ name: String) throws -> SafetensorsTensorInfo {
        let info = try requireInfo(name)
        guard info.dtype.isFloatingPoint else {
            throw SafetensorsError(.notFloat, "tensor \(quoted(name)) is \(info.dtype.rawValue), not a float type")
        }
        return info
    }

    /// Fills `destination` (exactly the tensor's element count) from a float-typed tensor.
    private func convert(_ info: SafetensorsTensorInfo, into destination: UnsafeMutableBufferPointer<Float>) {
        let range = (dataStart + info.dataRange.lowerBound)..<(dataStart + info.dataRange.upperBound)
        bytes.withUnsafeBytes { whole in
            let source = UnsafeRawBufferPointer(rebasing: whole[range])
            FloatConversion.convert(source, from: info.dtype, into: destination)
        }
    }
}

/// Element conversions from the stored float types to `Float`, bit by bit (no `Float16` needed).
enum FloatConversion {
    /// Converts `source` (little-endian elements of `dtype`) into `destination`, one element each.
    /// Non-float dtypes leave `destination` untouched; callers check `isFloatingPoint` first.
    static func convert(
        _ source: UnsafeRawBufferPointer, from dtype: SafetensorsDType,
        into destination: UnsafeMutableBufferPointer<Float>
    ) {
        let count = destination.count
        switch dtype {
        case .F32:
            #if _endian(little)
                UnsafeMutableRawBufferPointer(destination).copyMemory(from: source)
            #else
                for i in 0..<count { destination[i] = Float(bitPattern: load(UInt32.self, source, i)) }
            #endif
        case .F64:
            for i in 0..<count { destination[i] = Float(Double(bitPattern: load(UInt64.self, source, i))) }
        case .F16:
            for i in 0..<count { destination[i] = float(fromHalf: load(UInt16.self, source, i)) }
        case .BF16:
            for i in 0..<count { destination[i] = Float(bitPattern: UInt32(load(UInt16.self, source, i)) << 16) }
        case .F8_E5M2:
            for i in 0..<count { destination[i] = float(fromHalf: UInt16(source[i]) << 8) }
        case .F8_E4M3:
            for i in 0..<count { destination[i] = float(fromE4M3: source[i]) }
        case .I64, .I32, .I16, .I8, .U64, .U32, .U16, .U8, .BOOL:
            break
        }
    }

    /// The `index`th little-endian `T` of `source`, which need not be aligned.
    @inline(__always)
    static func load<T: FixedWidthInteger>(_: T.Type, _ source: UnsafeRawBufferPointer, _ index: Int) -> T {
        T(littleEndian: source.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self))
    }

    /// IEEE binary16 bits to `Float` (exact: every half is a float).
    static func float(fromHalf bits: UInt16) -> Float {
        let sign: UInt32 = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa × 2^-24.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            // Infinity or NaN, payload kept.
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        default:
            return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
        }
    }

    /// FP8 E4M3FN bits to `Float`: bias 7, no infinities, S.1111.111 is NaN.
    static func float(fromE4M3 bits: UInt8) -> Float {
        let negative = bits & 0x80 != 0
        let exponent = UInt32(bits >> 3) & 0x0F
        let mantissa = UInt32(bits & 0x07)
        let magnitude: Float
        if exponent == 0x0F && mantissa == 0x07 {
            magnitude = .nan
        } else if exponent == 0 {
            magnitude = Float(mantissa) * 0x1p-9
        } else {
            magnitude = Float(bitPattern: (exponent + 120) << 23 | mantissa << 20)
        }
        return negative ? -magnitude : magnitude
    }
}
