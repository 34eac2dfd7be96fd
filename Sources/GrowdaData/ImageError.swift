/// Why an image could not be read or written. Every case names the file and says what to do.
public enum ImageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened or read (missing, a folder, no permission); `reason` is the system's.
    case unreadable(path: String, reason: String)
    /// The file does not start with the PNG signature.
    case notPNG(path: String)
    /// The file ends before the image does (an interrupted copy or download).
    case truncated(path: String, detail: String)
    /// The file is a PNG but its contents are damaged; `message` is libpng's.
    case corrupt(path: String, message: String)
    /// The image's pixel count is beyond what Growda will decode.
    case tooLarge(path: String, width: Int, height: Int)
    /// An image could not be encoded or written; `reason` is libpng's or the system's.
    case writeFailed(path: String, reason: String)
    /// The file was taken for DICOM (a `.dcm` name) but is not DICOM.
    case notDICOM(path: String)
    /// The file is DICOM but damaged, or GDCM could not decompress it; `message` is the decoder's.
    case corruptDICOM(path: String, message: String)
    /// The file is DICOM without an image (no Pixel Data: a report, a presentation state, …).
    case noPixelData(path: String)
    /// The file is a DICOM image Growda does not read (colour, several frames, an unknown codec); `reason` says which.
    case unsupportedDICOM(path: String, reason: String)
    /// Growda's DICOM decoder process is not running, so the file was not read; `reason` says why.
    case dicomDecoderUnavailable(path: String, reason: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .unreadable(let path, _), .notPNG(let path), .truncated(let path, _), .corrupt(let path, _),
            .tooLarge(let path, _, _), .writeFailed(let path, _), .notDICOM(let path), .corruptDICOM(let path, _),
            .noPixelData(let path), .unsupportedDICOM(let path, _), .dicomDecoderUnavailable(let path, _):
            return path
        }
    }

    /// A short reason without the path, for reports that list files.
    public var reason: String {
        switch self {
        case .unreadable(_, let reason): return "unreadable (\(reason))"
        case .notPNG: return "not a PNG file"
        case .truncated(_, let detail): return "truncated (\(detail))"
        case .corrupt(_, let message): return "corrupt PNG (libpng: \(message))"
        case .tooLarge(_, let width, let height): return "image too large (\(width)×\(height))"
        case .writeFailed(_, let reason): return "could not write (\(reason))"
        case .notDICOM: return "not a DICOM file"
        case .corruptDICOM(_, let message): return "corrupt DICOM (\(message))"
        case .noPixelData: return "DICOM without pixel data"
        case .unsupportedDICOM(_, let reason): return "unsupported DICOM (\(reason))"
        case .dicomDecoderUnavailable(_, let reason): return "DICOM decoder unavailable (\(reason))"
        }
    }

    /// The message shown to a user: the file, what is wrong with it and what to do.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason); check that the file exists and is readable"
        case .notPNG(let path):
            return "\(path) is not a PNG file (no PNG signature); convert it to PNG or remove it from the folder"
        case .truncated(let path, let detail):
            return "\(path) is truncated (\(detail)); copy the file again or remove it"
        case .corrupt(let path, let message):
            return "\(path) is a corrupt PNG (libpng: \(message)); re-export the image or remove it"
        case .tooLarge(let path, let width, let height):
            return "\(path) is \(width)×\(height) pixels, more than Growda decodes; downscale it first"
        case .writeFailed(let path, let reason):
            return "cannot write \(path): \(reason); check the folder exists, is writable and has free space"
        case .notDICOM(let path):
            return "\(path) is not a DICOM file (no DICM preamble and no data set GDCM can read); "
                + "export it again from the PACS, or remove it from the folder"
        case .corruptDICOM(let path, let message):
            return "\(path) is a corrupt DICOM file (\(message)); export the image again or remove it"
        case .noPixelData(let path):
            return "\(path) is a DICOM file without an image (no Pixel Data, e.g. a report); remove it from the folder"
        case .unsupportedDICOM(let path, let reason):
            return "\(path) is a DICOM image Growda cannot read (\(reason)); export it as a single-frame gray "
                + "image (MONOCHROME1 or MONOCHROME2) or remove it"
        case .dicomDecoderUnavailable(let path, let reason):
            return "cannot decode \(path): Growda's DICOM decoder \(reason); start the program again "
                + "(if this persists, check the limit on processes)"
        }
    }
}
