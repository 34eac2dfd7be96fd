#pragma once
// Growda's DICOM decoder: a plain C face over GDCM (which is C++), so Swift never sees a C++ type.
//
// One call turns the bytes of a DICOM file into stored gray pixel values plus the few attributes needed to
// display them (size, photometric interpretation, window, rescale). Nothing else leaves the shim: no patient,
// study or device attribute is ever copied out, and GDCM's own trace output is switched off.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Why a decode failed (or `GROWDA_DICOM_OK`).
typedef enum growda_dicom_status {
    GROWDA_DICOM_OK = 0,
    /// The bytes are not a DICOM file (no "DICM" preamble, and GDCM could not parse them as a data set).
    GROWDA_DICOM_NOT_DICOM = 1,
    /// The file ends before its data set or its pixel data does.
    GROWDA_DICOM_TRUNCATED = 2,
    /// The file is DICOM but damaged: GDCM could not parse it or decompress its pixels.
    GROWDA_DICOM_CORRUPT = 3,
    /// A valid DICOM file without an image (no Pixel Data element, e.g. a report or a presentation state).
    GROWDA_DICOM_NO_PIXEL_DATA = 4,
    /// An image Growda does not read: colour, several frames, an unusual bit layout or a codec GDCM lacks.
    GROWDA_DICOM_UNSUPPORTED = 5,
    /// More pixels than the caller's limit.
    GROWDA_DICOM_TOO_LARGE = 6,
    /// Memory for the pixels could not be allocated.
    GROWDA_DICOM_OUT_OF_MEMORY = 7,
    /// The decoder process is not running (it could not be started, or was killed); the file was not read.
    GROWDA_DICOM_NO_DECODER = 8,
} growda_dicom_status;

/// A decoded single-frame gray image. Fill it with `growda_dicom_decode`, release it with `growda_dicom_free`.
typedef struct growda_dicom_image {
    /// Columns and rows (set once known, also on a TOO_LARGE failure).
    uint32_t width;
    uint32_t height;
    /// 8 or 16: the size of one stored sample in `pixels`, in bits.
    uint32_t bits_allocated;
    /// The significant bits of each sample (1 to bits_allocated).
    uint32_t bits_stored;
    /// 1 when samples are two's-complement signed (Pixel Representation 1).
    int32_t is_signed;
    /// 1 for MONOCHROME1 (minimum sample is white), 0 for MONOCHROME2.
    int32_t monochrome1;
    /// 1 when the file has a usable Window Center and Width (the first of several, width at least 1).
    int32_t has_window;
    double window_center;
    double window_width;
    /// Modality rescale: output = slope * stored + intercept (1 and 0 when the file has none).
    double rescale_slope;
    double rescale_intercept;
    /// width * height samples, row-major, native byte order: uint8_t/int8_t, or uint16_t/int16_t.
    /// Owned by the shim; NULL unless the decode succeeded.
    void *pixels;
    size_t pixel_bytes;
    /// The file's transfer syntax UID, when known ("" otherwise).
    char transfer_syntax[68];
    /// What went wrong, in English, without any value from the file's attributes ("" on success).
    char message[256];
} growda_dicom_image;

/// Decodes the DICOM file in `bytes` (`count` bytes) into `image`, refusing more than `max_pixels` pixels.
/// Never throws and never aborts: every failure is a status, with `image->message` saying what failed.
/// `image` is always left safe to pass to `growda_dicom_free`. Safe to call from several threads at once.
///
/// GDCM runs in a worker process for each call (Debian's build aborts on assertions that damaged files reach),
/// forked by a small "growda-dicom" process that the library starts before main and that exits with the
/// caller; the caller itself never forks. The file's bytes and the pixels travel over a socket.
growda_dicom_status growda_dicom_decode(
    const uint8_t *bytes, size_t count, uint64_t max_pixels, growda_dicom_image *image);

/// Frees the pixels of an image filled by `growda_dicom_decode` (and clears the pointer).
void growda_dicom_free(growda_dicom_image *image);

#ifdef __cplusplus
}
#endif
