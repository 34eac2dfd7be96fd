import CGdcm

/// DICOM reading through GDCM (behind the `CGdcm` shim), to the same 8-bit gray `GrayImage` a PNG gives.
///
/// Reads single-frame MONOCHROME1 and MONOCHROME2 images of 8 or 16 bits (any bits stored, signed or not)
/// in every transfer syntax GDCM 3.0 decodes: implicit and explicit VR little endian, deflated, RLE, JPEG
/// baseline, extended and lossless, JPEG-LS and JPEG 2000. Stored values become gray levels as a viewer
/// shows them: the modality rescale (slope, intercept), then the file's first Window Center/Width as the
/// standard's linear VOI function, or a min–max stretch when the file has no window; MONOCHROME1 is then
/// inverted so that dense tissue is bright, as in MONOCHROME2. A VOI LUT table, a Presentation LUT and
/// overlays are not applied. Colour, multi-frame and HTJ2K files are refused with `.unsupportedDICOM`.
///
/// Only image attributes cross from the shim: no patient, study or device attribute is ever read into Swift.
/// GDCM decodes in a worker process, so a damaged file that trips one of its assertions is a `.corruptDICOM`
/// error here, not the end of the program (see growda_dicom.h).
public enum DICOM {
    /// The largest image, in pixels, that `decode` accepts (the same limit as PNG).
    public static let maxPixels = PNG.maxPixels

    /// Reads and decodes the DICOM file at `path` to 8-bit gray.
    public static func read(contentsOf path: String) throws(ImageError) -> GrayImage {
        try decode(PNG.readFile(path), name: path)
    }

    /// Decodes the bytes of a DICOM file to 8-bit gray; `name` (a path or label) is what errors report.
    public static func decode(_ bytes: [UInt8], name: String) throws(ImageError) -> GrayImage {
        try samples(bytes, name: name).grayImage()
    }

    /// Whether `bytes` carry the DICOM file preamble: "DICM" after 128 bytes.
    static func hasPreamble(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 132 && bytes[128] == 0x44 && bytes[129] == 0x49 && bytes[130] == 0x43 && bytes[131] == 0x4D
    }

    /// The stored sample values of the file's image and the attributes that display them.
    static func samples(_ bytes: [UInt8], name: String) throws(ImageError) -> DICOMSamples {
        if bytes.isEmpty { throw .truncated(path: name, detail: "the file is empty") }
        let decoded = DecodedDICOM()
        let status = bytes.withUnsafeBufferPointer { input in
            growda_dicom_decode(input.baseAddress, input.count, UInt64(maxPixels), &decoded.image)
        }
        if let error = decoded.error(status: status, name: name) { throw error }
        return decoded.samples()
    }
}

/// One decoded DICOM frame before display: the stored values and what turns them into gray levels.
struct DICOMSamples: Sendable, Equatable {
    /// Columns and rows.
    var width: Int
    var height: Int
    /// `width * height` stored values, row-major, sign-extended from the bits stored.
    var values: [Int32]
    /// Modality rescale: a stored value `v` means `slope * v + intercept` (e.g. Hounsfield units).
    var slope = 1.0
    var intercept = 0.0
    /// The first Window Center and Width, in rescaled units, or nil to stretch min to max.
    var window: Window?
    /// MONOCHROME1: the lowest value is white.
    var monochrome1 = false

    /// A VOI window: the centre and width of the rescaled values shown from black to white.
    struct Window: Sendable, Equatable {
        var center: Double
        var width: Double
    }

    /// The gray level (0 to 255) of a stored value, for an image whose rescaled values span `low...high`.
    ///
    /// With a window this is DICOM's linear VOI function (PS3.3 C.11.2.1.2.1): values up to
    /// `c - 0.5 - (w - 1) / 2` are black, values above `c - 0.5 + (w - 1) / 2` white, and in between
    /// `((v - (c - 0.5)) / (w - 1) + 0.5) * 255`, rounded half up.
    func level(of stored: Int32, low: Double, high: Double) -> UInt8 {
        let value = slope * Double(stored) + intercept
        var level: Double
        if let window {
            let center = window.center, width = window.width
            if value <= center - 0.5 - (width - 1) / 2 {
                level = 0
            } else if value > center - 0.5 + (width - 1) / 2 {
                level = 255
            } else {
                level = ((value - (center - 0.5)) / (width - 1) + 0.5) * 255
            }
        } else {
            level = high == low ? 0 : (value - low) / (high - low) * 255
        }
        let gray = UInt8(min(255, max(0, (level + 0.5).rounded(.down))))
        return monochrome1 ? 255 - gray : gray
    }

    /// The 8-bit gray image: each distinct stored value is mapped once, through a table.
    func grayImage() -> GrayImage {
        guard let lowest = values.min(), let highest = values.max() else {
            return GrayImage(width: width, height: height)
        }
        let ends = [slope * Double(lowest) + intercept, slope * Double(highest) + intercept]
        let low = ends.min()!, high = ends.max()!
        let table = (lowest...highest).map { level(of: $0, low: low, high: high) }
        return GrayImage(width: width, height: height, pixels: values.map { table[Int($0 - lowest)] })
    }
}

/// Owns one `growda_dicom_image` filled by the shim and frees its pixels with it.
private final class DecodedDICOM {
    /// The shim's result; its pixels belong to the shim until `deinit`.
    var image = growda_dicom_image()

    deinit { growda_dicom_free(&image) }

    /// The shim's message: fixed English text and numbers, never a value from the file's attributes.
    var message: String {
        withUnsafeBytes(of: image.message) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// The typed error for a failed decode, or nil when `status` is success.
    func error(status: growda_dicom_status, name: String) -> ImageError? {
        let text = message
        switch status {
        case GROWDA_DICOM_OK: return nil
        case GROWDA_DICOM_NOT_DICOM: return .notDICOM(path: name)
        case GROWDA_DICOM_TRUNCATED: return .truncated(path: name, detail: "GDCM: \(text)")
        case GROWDA_DICOM_NO_PIXEL_DATA: return .noPixelData(path: name)
        case GROWDA_DICOM_UNSUPPORTED: return .unsupportedDICOM(path: name, reason: text)
        case GROWDA_DICOM_NO_DECODER: return .dicomDecoderUnavailable(path: name, reason: text)
        case GROWDA_DICOM_TOO_LARGE:
            return .tooLarge(path: name, width: Int(image.width), height: Int(image.height))
        default: return .corruptDICOM(path: name, message: text.isEmpty ? "unknown error" : text)
        }
    }

    /// The stored values, sign-extended or masked to the bits stored, and the display attributes.
    func samples() -> DICOMSamples {
        let count = Int(image.width) * Int(image.height)
        let bits = Int32(image.bits_stored)
        let signed = image.is_signed != 0
        // Bits above the bits stored may hold overlays or garbage: shift them out (arithmetically when signed).
        let shift = 32 - bits
        func value(_ raw: UInt32) -> Int32 {
            signed ? Int32(bitPattern: raw << shift) >> shift : Int32(bitPattern: (raw << shift) >> shift)
        }
        var values = [Int32](repeating: 0, count: count)
        if image.bits_allocated == 8 {
            let raw = UnsafeBufferPointer(start: image.pixels.assumingMemoryBound(to: UInt8.self), count: count)
            for i in 0..<count { values[i] = value(UInt32(raw[i])) }
        } else {
            let raw = UnsafeBufferPointer(start: image.pixels.assumingMemoryBound(to: UInt16.self), count: count)
            for i in 0..<count { values[i] = value(UInt32(raw[i])) }
        }
        return DICOMSamples(
            width: Int(image.width), height: Int(image.height), values: values, slope: image.rescale_slope,
            intercept: image.rescale_intercept,
            window: image.has_window != 0 ? .init(center: image.window_center, width: image.window_width) : nil,
            monochrome1: image.monochrome1 != 0)
    }
}
