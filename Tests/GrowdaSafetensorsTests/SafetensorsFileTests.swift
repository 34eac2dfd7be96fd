import Foundation
import GrowdaSafetensors
import Testing

@Suite struct SafetensorsFileTests {
    /// A one-tensor file of `dtype` holding `bytes`.
    func file(_ dtype: SafetensorsDType, _ bytes: [UInt8]) throws -> SafetensorsFile {
        var writer = SafetensorsWriter()
        try writer.add(name: "x", dtype: dtype, shape: [bytes.count / dtype.byteSize], bytes: bytes)
        return try SafetensorsFile(bytes: writer.encoded())
    }

    func floats(_ dtype: SafetensorsDType, _ bytes: [UInt8]) throws -> [Float] {
        try file(dtype, bytes).floats("x")
    }

    @Test func f16Conversion() throws {
        let bits: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x3555, 0x8000, 0x7C00, 0xFC00]
        let values = try floats(.F16, littleEndianBytes(bits))
        #expect(values == [1, -2, 65504, 0x1p-24, 1023 * 0x1p-24, 0x1p-14, 0.333251953125, 0, .infinity, -.infinity])
        #expect(values[7].sign == .minus)
        #expect(try floats(.F16, littleEndianBytes([UInt16(0x7E00)]))[0].isNaN)
    }

    @Test func bf16Conversion() throws {
        let values = try floats(.BF16, littleEndianBytes([UInt16(0x3F80), 0xC049, 0x0001, 0xFF80, 0x7F7F]))
        #expect(values == [1, -3.140625, Float(bitPattern: 0x0001_0000), -.infinity, Float(bitPattern: 0x7F7F_0000)])
        #expect(try floats(.BF16, littleEndianBytes([UInt16(0x7FC0)]))[0].isNaN)
    }

    @Test func f64Conversion() throws {
        let values = try floats(.F64, littleEndianBytes([0.1, -2.5, 1e300, 1e-300].map(\.bitPattern)))
        #expect(values == [Float(0.1), -2.5, .infinity, 0])
    }

    @Test func f8Conversions() throws {
        // E5M2 is the upper byte of a binary16.
        let e5m2 = try floats(.F8_E5M2, [0x3C, 0xC0, 0x7B, 0x01, 0x7C, 0x80])
        #expect(e5m2 == [1, -2, 57344, 0x1p-16, .infinity, 0])
        #expect(e5m2[5].sign == .minus)
        #expect(try floats(.F8_E5M2, [0x7E])[0].isNaN)
        // E4M3FN: bias 7, max 448, S.1111.111 is NaN, no infinities.
        let e4m3 = try floats(.F8_E4M3, [0x38, 0xC0, 0x7E, 0x01, 0x07, 0x08, 0x78, 0xFE])
        #expect(e4m3 == [1, -2, 448, 0x1p-9, 7 * 0x1p-9, 0x1p-6, 256, -448])
        #expect(try floats(.F8_E4M3, [0x7F, 0xFF]).allSatisfy(\.isNaN))
    }

    @Test func f32IsReadAsStored() throws {
        let values: [Float] = [0, -0, 1, .pi, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        let read = try floats(.F32, littleEndianBytes(values.map(\.bitPattern)))
        #expect(read.map(\.bitPattern) == values.map(\.bitPattern))
    }

    /// Tensors from other writers need not be aligned: reads of F16/F32/F64 at odd offsets work.
    @Test func unalignedTensorsFromOtherWriters() throws {
        let header = """
            {"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},\
            "f":{"dtype":"F32","shape":[1],"data_offsets":[1,5]},\
            "d":{"dtype":"F64","shape":[1],"data_offsets":[5,13]}}
            """
        let data = [9] + littleEndianBytes([Float(1.25).bitPattern]) + littleEndianBytes([(-0.5).bitPattern])
        let file = try SafetensorsFile(bytes: buffer(header: header, data: data))
        #expect(file.tensors.map(\.name) == ["b", "f", "d"])
        #expect(try file.floats("f") == [1.25])
        #expect(try file.floats("d") == [-0.5])
        #expect(Array(try file.rawBytes("b")) == [9])
    }

    /// What the reference implementation accepts beyond Growda's own output.
    @Test func lenientWhereTheReferenceIsLenient() throws {
        // Whitespace anywhere JSON allows it, tensors in any header order, unknown fields skipped,
        // escapes in names, and an empty metadata map.
        let header = """
             { "__metadata__" : { } ,
              "second" : { "data_offsets" : [ 4 , 8 ] , "shape" : [ 1 ] , "dtype" : "F32",
                "x": {"y": [null, true, false, -1.5e+3, "s", {}, []]} } ,
              "fir\\u0073t" : { "dtype" : "F32" , "shape" : [ 1 ] , "data_offsets" : [ 0 , 4 ] }
            }\t\r\n
            """
        let data = littleEndianBytes([Float(1).bitPattern, Float(2).bitPattern])
        let file = try SafetensorsFile(bytes: buffer(header: header, data: data))
        #expect(file.tensors.map(\.name) == ["second", "first"])
        #expect(try file.floats("first") == [1])
        #expect(try file.floats("second") == [2])
        #expect(file.metadata.isEmpty)
    }

    @Test func rawBytesIsAViewOfTheBuffer() throws {
        let file = try self.file(.U8, [1, 2, 3])
        let slice = try file.rawBytes("x")
        #expect(slice.startIndex == file.dataStart)
        #expect(Array(slice) == [1, 2, 3])
        #expect(file.bytes.count == file.dataStart + 3)
    }

    @Test func readingAFileNamesItsPathInErrors() throws {
        let folder = try makeTemporaryFolder()
        let missing = folder + "/missing.safetensors"
        do {
            _ = try SafetensorsFile(contentsOf: missing)
            Issue.record("a missing file was read")
        } catch let error as FileError {
            #expect(error.path == missing)
            #expect(error.code == ENOENT)
            #expect(error.description.hasPrefix("\(missing): open failed: "))
        }
        do {
            _ = try SafetensorsFile(contentsOf: folder)
            Issue.record("a folder was read")
        } catch let error as FileError {
            #expect(error.code == EISDIR)
        }
        let corrupt = folder + "/corrupt.safetensors"
        try AtomicFile.write([1, 0, 0, 0, 0, 0, 0, 0, UInt8(ascii: "[")], to: corrupt)
        let error = safetensorsError { _ = try SafetensorsFile(contentsOf: corrupt) }
        #expect(error?.path == corrupt)
        #expect(error?.description.hasPrefix(corrupt + ": ") == true)
        let empty = folder + "/empty.safetensors"
        try AtomicFile.write([], to: empty)
        #expect(safetensorsError { _ = try SafetensorsFile(contentsOf: empty) }?.reason == .truncated)
    }
}
