import CPng
import Foundation

/// PNG reading and writing through libpng's simplified `png_image_*` API.
///
/// Any PNG (1 to 16 bits, gray, gray+alpha, RGB, RGBA, palette, interlaced or not) decodes to 8-bit gray:
/// colour becomes Rec. 709 luminance, transparency is composited onto black, and 16-bit samples are
/// scaled to 8 bits as they are (no gamma change: 16-bit medical exports are not linear light).
/// Writing produces 8-bit gray PNGs from a `GrayImage` and 8-bit RGB PNGs from an `RGBImage`.
public enum PNG {
    /// The largest image, in pixels, that `decode` accepts (268 million, e.g. 16384×16384).
    public static let maxPixels = 1 << 28

    /// The 8-byte signature every PNG file starts with.
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Reads and decodes the PNG file at `path` to 8-bit gray.
    public static func read(contentsOf path: String) throws(ImageError) -> GrayImage {
        let bytes = try readFile(path)
        return try decode(bytes, name: path)
    }

    /// Decodes PNG bytes to 8-bit gray; `name` (a path or label) is what errors report.
    public static func decode(_ bytes: [UInt8], name: String) throws(ImageError) -> GrayImage {
        if bytes.isEmpty { throw .truncated(path: name, detail: "the file is empty") }
        let head = Array(bytes.prefix(signature.count))
        if head != Array(signature.prefix(head.count)) { throw .notPNG(path: name) }
        if bytes.count < signature.count {
            throw .truncated(path: name, detail: "only \(bytes.count) bytes, not even a PNG signature")
        }

        let control = PNGControl()
        let image = control.image
        var width = 0, height = 0
        var pixels = [UInt8]()
        // libpng keeps a pointer to the input from begin to finish, so both calls run inside one borrow.
        let failure: ImageError? = bytes.withUnsafeBytes { raw in
            guard png_image_begin_read_from_memory(image, raw.baseAddress, raw.count) != 0 else {
                return control.readError(name: name)
            }
            width = Int(image.pointee.width)
            height = Int(image.pointee.height)
            guard width > 0, height > 0, width * height <= maxPixels else {
                return .tooLarge(path: name, width: width, height: height)
            }
            // 16-bit files without gAMA/sRGB would otherwise be taken as linear light and gamma-encoded.
            image.pointee.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
            image.pointee.format = UInt32(PNG_FORMAT_GRAY)
            pixels = [UInt8](repeating: 0, count: width * height)
            var black = png_color(red: 0, green: 0, blue: 0)
            let finished = pixels.withUnsafeMutableBytes { out in
                png_image_finish_read(image, &black, out.baseAddress, Int32(width), nil)
            }
            return finished != 0 ? nil : control.readError(name: name)
        }
        if let failure { throw failure }
        return GrayImage(width: width, height: height, pixels: pixels)
    }

    /// Encodes an 8-bit gray image as PNG bytes.
    public static func encode(_ image: GrayImage, fast: Bool = false) throws(ImageError) -> [UInt8] {
        try encode(
            samples: image.pixels, width: image.width, height: image.height, format: UInt32(PNG_FORMAT_GRAY),
            fast: fast)
    }

    /// Encodes an 8-bit RGB image as an 8-bit RGB PNG (no alpha, sRGB).
    public static func encode(_ image: RGBImage, fast: Bool = false) throws(ImageError) -> [UInt8] {
        try encode(
            samples: image.pixels, width: image.width, height: image.height, format: UInt32(PNG_FORMAT_RGB),
            fast: fast)
    }

    /// Encodes an 8-bit gray image and writes it to `path`, replacing any file there.
    public static func write(_ image: GrayImage, to path: String, fast: Bool = false) throws(ImageError) {
        try write(encoding: { () throws(ImageError) in try encode(image, fast: fast) }, to: path)
    }

    /// Encodes an 8-bit RGB image and writes it to `path`, replacing any file there.
    public static func write(_ image: RGBImage, to path: String, fast: Bool = false) throws(ImageError) {
        try write(encoding: { () throws(ImageError) in try encode(image, fast: fast) }, to: path)
    }

    /// Runs `encoding` and writes its bytes to `path`, naming `path` in either failure.
    private static func write(
        encoding: () throws(ImageError) -> [UInt8], to path: String
    ) throws(ImageError) {
        let bytes: [UInt8]
        do {
            bytes = try encoding()
        } catch {
            throw .writeFailed(path: path, reason: error.reason)
        }
        try writeFile(bytes, to: path)
    }

    /// Encodes tightly packed 8-bit samples in libpng's `format` (`PNG_FORMAT_GRAY`, `PNG_FORMAT_RGB`)
    /// with `png_image_write_to_memory`.
    private static func encode(
        samples: [UInt8], width: Int, height: Int, format: UInt32, fast: Bool
    ) throws(ImageError) -> [UInt8] {
        let control = PNGControl()
        let info = control.image
        info.pointee.width = UInt32(width)
        info.pointee.height = UInt32(height)
        info.pointee.format = format
        if fast { info.pointee.flags |= UInt32(PNG_IMAGE_FLAG_FAST) }

        // A stored (uncompressed) stream plus chunk overhead always fits; libpng says if it did not.
        var capacity = samples.count + height + samples.count / 64 + 1024
        for _ in 0..<2 {
            var output = [UInt8](repeating: 0, count: capacity)
            var size = png_alloc_size_t(capacity)
            let ok = samples.withUnsafeBytes { pixels in
                output.withUnsafeMutableBytes { out in
                    png_image_write_to_memory(info, out.baseAddress, &size, 0, pixels.baseAddress, 0, nil)
                }
            }
            if ok != 0 {
                output.removeSubrange(Int(size)...)
                return output
            }
            guard Int(size) > capacity else { break }
            capacity = Int(size)
            png_image_free(info)
            info.pointee.warning_or_error = 0
        }
        throw .writeFailed(path: "<memory>", reason: control.message)
    }

    /// The whole content of the file at `path`, or `.unreadable` with the system's reason.
    static func readFile(_ path: String) throws(ImageError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(path: path, reason: systemError()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(path: path, reason: systemError()) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw .unreadable(path: path, reason: "it is a folder") }

        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: 4096)) }
            let got = bytes.withUnsafeMutableBytes { raw in
                Foundation.read(fd, raw.baseAddress! + filled, raw.count - filled)
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: systemError())
            }
            if got == 0 { break }
            filled += got
        }
        bytes.removeSubrange(filled...)
        return bytes
    }

    /// Writes `bytes` to `path` (created with mode 0644, or truncated).
    static func writeFile(_ bytes: [UInt8], to path: String) throws(ImageError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .writeFailed(path: path, reason: systemError()) }
        var written = 0
        while written < bytes.count {
            let done = bytes.withUnsafeBytes { raw in
                Foundation.write(fd, raw.baseAddress! + written, raw.count - written)
            }
            if done < 0 {
                if errno == EINTR { continue }
                let reason = systemError()
                close(fd)
                throw .writeFailed(path: path, reason: reason)
            }
            written += done
        }
        guard close(fd) == 0 else { throw .writeFailed(path: path, reason: systemError()) }
    }

    /// The text of the current `errno`.
    static func systemError() -> String {
        String(cString: strerror(errno))
    }
}

/// Owns one libpng `png_image` control structure at a stable address and frees libpng's state with it.
private final class PNGControl {
    /// The control structure handed to every `png_image_*` call.
    let image: UnsafeMutablePointer<png_image>

    init() {
        image = .allocate(capacity: 1)
        image.initialize(to: png_image())
        image.pointee.version = UInt32(PNG_IMAGE_VERSION)
    }

    deinit {
        png_image_free(image)
        image.deinitialize(count: 1)
        image.deallocate()
    }

    /// libpng's last warning or error message.
    var message: String {
        withUnsafeBytes(of: image.pointee.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// The typed error for a failed read: truncation when libpng ran out of data, else corruption.
    func readError(name: String) -> ImageError {
        let text = message
        let lowered = text.lowercased()
        let outOfData = ["beyond end of data", "not enough image data", "unexpected end", "read error"]
        if outOfData.contains(where: { lowered.contains($0) }) {
            return .truncated(path: name, detail: "libpng: \(text)")
        }
        return .corrupt(path: name, message: text.isEmpty ? "unknown error" : text)
    }
}
