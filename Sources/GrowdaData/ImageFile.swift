/// The one way Growda reads an image file: PNG or DICOM, told apart by content first, then by name.
///
/// A PNG signature means PNG and a DICOM preamble ("DICM" at byte 128) means DICOM, whatever the name; other
/// bytes are DICOM when the name ends in `.dcm` (a data set without the preamble), and PNG otherwise, so
/// that a damaged or mislabelled `.png` gives exactly the errors `PNG.decode` gives.
public enum ImageFile {
    /// The formats Growda decodes.
    public enum Format: Sendable, Equatable {
        case png
        case dicom
    }

    /// The extensions a data folder lists (compared without case): `ImageCatalog.scanFolder` takes these.
    public static let listedExtensions = ["png", "dcm"]

    /// Whether a folder listing takes the file `name`: it ends in one of `listedExtensions`, in any case.
    public static func isListed(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return listedExtensions.contains { lowered.hasSuffix("." + $0) }
    }

    /// The format `bytes` (named `name`) are decoded as.
    public static func format(of bytes: [UInt8], name: String) -> Format {
        if bytes.starts(with: PNG.signature) { return .png }
        if DICOM.hasPreamble(bytes) { return .dicom }
        return name.lowercased().hasSuffix(".dcm") ? .dicom : .png
    }

    /// Reads and decodes the PNG or DICOM file at `path` to 8-bit gray.
    public static func read(contentsOf path: String) throws(ImageError) -> GrayImage {
        try decode(PNG.readFile(path), name: path)
    }

    /// Decodes PNG or DICOM bytes to 8-bit gray; `name` (a path or label) picks the format when the content
    /// does not, and is what errors report.
    public static func decode(_ bytes: [UInt8], name: String) throws(ImageError) -> GrayImage {
        switch format(of: bytes, name: name) {
        case .png: return try PNG.decode(bytes, name: name)
        case .dicom: return try DICOM.decode(bytes, name: name)
        }
    }
}
