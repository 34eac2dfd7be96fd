// GDCM behind a C function: bytes in, stored gray samples and display attributes out.
//
// Every C++ exception stops here, and every abort() (Debian builds GDCM with its assertions on) stops in a
// worker process: see the zygote at the end. The only attributes read are the image's own (size, pixel
// format, photometric interpretation, window, rescale, transfer syntax); messages are built from fixed text
// and numbers, never from the file's strings, so no patient attribute can leave through them.

#include "growda_dicom.h"

// GDCM installs its headers in /usr/include/gdcm-3.0 and ships no pkg-config file; naming that folder here
// keeps the target free of search-path flags (GDCM's own headers include each other with quotes).
#include <gdcm-3.0/gdcmDataSet.h>
#include <gdcm-3.0/gdcmFileMetaInformation.h>
#include <gdcm-3.0/gdcmImage.h>
#include <gdcm-3.0/gdcmImageReader.h>
#include <gdcm-3.0/gdcmTrace.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <istream>
#include <mutex>
#include <new>
#include <streambuf>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace {

/// A read-only, seekable stream buffer over the caller's bytes (GDCM's parser seeks back and forth) that
/// notices a read cut short by the end of the bytes: the sign of a truncated file, which GDCM itself accepts
/// ("incomplete pixel data") and pads.
class MemoryBuffer final : public std::streambuf {
  public:
    MemoryBuffer(const uint8_t *bytes, size_t count) {
        char *begin = const_cast<char *>(reinterpret_cast<const char *>(bytes));
        setg(begin, begin, begin + count);
    }

    /// Whether a read got some but not all of what it asked for, or none of more than an element header:
    /// the file ends inside an element. (Reading the next tag at the very end is how every parse finishes.)
    bool cutShort() const { return cut; }

  protected:
    std::streamsize xsgetn(char *out, std::streamsize wanted) override {
        const std::streamsize got = std::min<std::streamsize>(wanted, egptr() - gptr());
        if (got < wanted && (got > 0 || wanted > 8)) cut = true;
        if (got > 0) {
            std::memcpy(out, gptr(), size_t(got));
            setg(eback(), gptr() + got, egptr());
        }
        return got;
    }

    pos_type seekoff(off_type offset, std::ios_base::seekdir from, std::ios_base::openmode which) override {
        if (!(which & std::ios_base::in)) return pos_type(off_type(-1));
        const off_type size = egptr() - eback();
        const off_type base = from == std::ios_base::beg ? 0 : from == std::ios_base::cur ? gptr() - eback() : size;
        const off_type target = base + offset;
        if (target < 0 || target > size) return pos_type(off_type(-1));
        setg(eback(), eback() + target, egptr());
        return pos_type(target);
    }

    pos_type seekpos(pos_type position, std::ios_base::openmode which) override {
        return seekoff(off_type(position), std::ios_base::beg, which);
    }

  private:
    bool cut = false;
};

/// Turns GDCM's debug, warning and error traces off, once per process (they print attribute values).
void silenceGdcm() {
    static std::once_flag once;
    std::call_once(once, [] {
        static std::ostream sink(nullptr);  // no buffer: every write is dropped
        gdcm::Trace::SetStream(sink);
        gdcm::Trace::SetDebug(false);
        gdcm::Trace::SetWarning(false);
        gdcm::Trace::SetError(false);
    });
}

/// Records `status` and a formatted message in `image`, and returns the status.
growda_dicom_status fail(growda_dicom_image *image, growda_dicom_status status, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    std::vsnprintf(image->message, sizeof image->message, format, arguments);
    va_end(arguments);
    std::free(image->pixels);
    image->pixels = nullptr;
    image->pixel_bytes = 0;
    return status;
}

/// The first value of a Decimal String attribute ("2048\1000" gives 2048), if present and a finite number.
bool firstDecimal(const gdcm::DataSet &dataSet, uint16_t group, uint16_t element, double *value) {
    const gdcm::Tag tag(group, element);
    if (!dataSet.FindDataElement(tag)) return false;
    const gdcm::ByteValue *bytes = dataSet.GetDataElement(tag).GetByteValue();
    if (bytes == nullptr || bytes->GetPointer() == nullptr || bytes->GetLength() == 0) return false;
    std::string text(bytes->GetPointer(), bytes->GetLength());
    text = text.substr(0, text.find('\\'));
    const size_t first = text.find_first_not_of(" \0", 0, 2);
    if (first == std::string::npos) return false;
    text = text.substr(first, text.find_last_not_of(" \0", std::string::npos, 2) - first + 1);
    if (text[0] == '+') text.erase(0, 1);
    double parsed = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(parsed)) return false;
    *value = parsed;
    return true;
}

/// The Transfer Syntax UID from the file meta information, as written (trailing padding removed).
std::string transferSyntaxUID(const gdcm::FileMetaInformation &header) {
    const gdcm::Tag tag(0x0002, 0x0010);
    if (!header.FindDataElement(tag)) return "";
    const gdcm::ByteValue *bytes = header.GetDataElement(tag).GetByteValue();
    if (bytes == nullptr || bytes->GetPointer() == nullptr) return "";
    std::string uid(bytes->GetPointer(), bytes->GetLength());
    while (!uid.empty() && (uid.back() == '\0' || uid.back() == ' ')) uid.pop_back();
    // A UID is digits and dots; anything else is not echoed back.
    if (uid.size() > 64 || uid.find_first_not_of("0123456789.") != std::string::npos) return "";
    return uid;
}

/// Pixel Data (7FE0,0010). A function, not a global: the zygote is forked by a constructor that may run
/// before this file's dynamic initialisers, so no global here may need one.
gdcm::Tag pixelDataTag() { return gdcm::Tag(0x7fe0, 0x0010); }

/// Whether the data set is deflated: GDCM's inflater then reads ahead in blocks, so a short read is normal.
bool deflated(const std::string &syntax) { return syntax == "1.2.840.10008.1.2.1.99"; }

/// Why `ImageReader` refused the file: parses it again as a plain data set to tell a file that is not DICOM,
/// ends early, uses an unknown transfer syntax, has no image, or is damaged.
growda_dicom_status diagnose(
    const uint8_t *bytes, size_t count, bool preamble, const std::string &syntax, growda_dicom_image *image) {
    if (!syntax.empty() && gdcm::TransferSyntax::GetTSType(syntax.c_str()) == gdcm::TransferSyntax::TS_END) {
        return fail(image, GROWDA_DICOM_UNSUPPORTED, "transfer syntax %s is not one GDCM 3.0 reads", syntax.c_str());
    }
    MemoryBuffer buffer(bytes, count);
    std::istream stream(&buffer);
    gdcm::Reader reader;
    reader.SetStream(stream);
    const bool parsed = reader.Read();
    const gdcm::DataSet &dataSet = reader.GetFile().GetDataSet();
    if (!preamble && (!parsed || dataSet.IsEmpty())) {
        return fail(image, GROWDA_DICOM_NOT_DICOM, "no DICM preamble, and GDCM found no data set");
    }
    if ((buffer.cutShort() && !deflated(syntax)) || (!parsed && stream.eof())) {
        return fail(image, GROWDA_DICOM_TRUNCATED, "the file ends inside its data set");
    }
    if (!parsed) return fail(image, GROWDA_DICOM_CORRUPT, "GDCM could not parse the data set");
    if (!dataSet.FindDataElement(pixelDataTag())) {
        if (!preamble) return fail(image, GROWDA_DICOM_NOT_DICOM, "no DICM preamble and no image attributes");
        return fail(image, GROWDA_DICOM_NO_PIXEL_DATA, "the file has no Pixel Data element");
    }
    return fail(image, GROWDA_DICOM_CORRUPT, "GDCM could not read the image attributes");
}

growda_dicom_status decode(const uint8_t *bytes, size_t count, uint64_t maxPixels, growda_dicom_image *image) {
    silenceGdcm();
    const bool preamble = count >= 132 && std::memcmp(bytes + 128, "DICM", 4) == 0;

    MemoryBuffer buffer(bytes, count);
    std::istream stream(&buffer);
    gdcm::ImageReader reader;
    reader.SetStream(stream);
    const bool parsed = reader.Read();

    const gdcm::File &file = reader.GetFile();
    const gdcm::DataSet &dataSet = file.GetDataSet();
    const std::string syntax = transferSyntaxUID(file.GetHeader());
    std::snprintf(image->transfer_syntax, sizeof image->transfer_syntax, "%s", syntax.c_str());
    if (!parsed) return diagnose(bytes, count, preamble, syntax, image);
    if (buffer.cutShort() && !deflated(syntax)) {
        return fail(image, GROWDA_DICOM_TRUNCATED, "the file ends inside an element");
    }

    const gdcm::Image &decoded = reader.GetImage();
    const unsigned int dimensions = decoded.GetNumberOfDimensions();
    const unsigned int *size = decoded.GetDimensions();
    if (dimensions < 2 || size == nullptr) return fail(image, GROWDA_DICOM_CORRUPT, "the image has no size");
    image->width = size[0];
    image->height = size[1];
    const unsigned int frames = dimensions > 2 ? size[2] : 1;
    if (image->width == 0 || image->height == 0) {
        return fail(image, GROWDA_DICOM_CORRUPT, "the image is %u x %u pixels", image->width, image->height);
    }
    if (frames != 1) {
        return fail(image, GROWDA_DICOM_UNSUPPORTED, "%u frames; Growda reads single-frame images", frames);
    }

    const gdcm::PixelFormat &format = decoded.GetPixelFormat();
    if (format.GetSamplesPerPixel() != 1) {
        return fail(
            image, GROWDA_DICOM_UNSUPPORTED, "%u samples per pixel (a colour image); Growda reads gray images",
            unsigned(format.GetSamplesPerPixel()));
    }
    const gdcm::PhotometricInterpretation photometric = decoded.GetPhotometricInterpretation();
    if (photometric != gdcm::PhotometricInterpretation::MONOCHROME1 &&
        photometric != gdcm::PhotometricInterpretation::MONOCHROME2) {
        const char *name = gdcm::PhotometricInterpretation::GetPIString(photometric);
        return fail(
            image, GROWDA_DICOM_UNSUPPORTED, "photometric interpretation %s; Growda reads MONOCHROME1 and MONOCHROME2",
            name != nullptr ? name : "unknown");
    }
    const unsigned allocated = format.GetBitsAllocated(), stored = format.GetBitsStored();
    if ((allocated != 8 && allocated != 16) || stored == 0 || stored > allocated) {
        return fail(
            image, GROWDA_DICOM_UNSUPPORTED, "%u bits allocated, %u stored; Growda reads 8- and 16-bit samples",
            allocated, stored);
    }
    if (format.GetHighBit() != stored - 1) {
        return fail(
            image, GROWDA_DICOM_UNSUPPORTED, "high bit %u with %u bits stored; Growda reads samples stored low",
            unsigned(format.GetHighBit()), stored);
    }
    if (uint64_t(image->width) * image->height > maxPixels) {
        return fail(image, GROWDA_DICOM_TOO_LARGE, "the image is %u x %u pixels", image->width, image->height);
    }

    const size_t expected = size_t(image->width) * image->height * (allocated / 8);
    if (decoded.GetBufferLength() != expected) {
        return fail(image, GROWDA_DICOM_CORRUPT, "GDCM expects %lu bytes of pixels for %zu", decoded.GetBufferLength(),
            expected);
    }
    const gdcm::TransferSyntax &transfer = decoded.GetTransferSyntax();
    if (!transfer.IsEncapsulated()) {
        const gdcm::ByteValue *raw = dataSet.GetDataElement(pixelDataTag()).GetByteValue();
        const size_t have = raw != nullptr ? size_t(raw->GetLength()) : 0;
        if (have < expected) {
            return fail(
                image, GROWDA_DICOM_CORRUPT, "the pixel data holds %zu of the image's %zu bytes", have, expected);
        }
    }

    image->pixels = std::malloc(expected);
    if (image->pixels == nullptr) return fail(image, GROWDA_DICOM_OUT_OF_MEMORY, "no memory for %zu bytes", expected);
    image->pixel_bytes = expected;
    if (!decoded.GetBuffer(static_cast<char *>(image->pixels))) {
        if (!transfer.IsValid()) {
            return fail(image, GROWDA_DICOM_UNSUPPORTED, "GDCM has no decoder for transfer syntax %s",
                syntax.empty() ? "(unknown)" : syntax.c_str());
        }
        return fail(image, GROWDA_DICOM_CORRUPT, "GDCM could not decode the pixel data (transfer syntax %s)",
            syntax.empty() ? "(unknown)" : syntax.c_str());
    }

    // A codec may correct the pixel format it was told (e.g. a JPEG stream's precision), so read it again.
    const gdcm::PixelFormat &after = decoded.GetPixelFormat();
    if (after.GetBitsAllocated() != allocated || after.GetSamplesPerPixel() != 1) {
        return fail(image, GROWDA_DICOM_CORRUPT, "the compressed stream's sample layout differs from the attributes");
    }
    image->bits_allocated = allocated;
    const unsigned storedAfter = after.GetBitsStored();
    image->bits_stored = storedAfter > 0 && storedAfter <= allocated ? storedAfter : stored;
    image->is_signed = after.GetPixelRepresentation() == 1 ? 1 : 0;
    image->monochrome1 = photometric == gdcm::PhotometricInterpretation::MONOCHROME1 ? 1 : 0;

    double center = 0, width = 0;
    if (firstDecimal(dataSet, 0x0028, 0x1050, &center) && firstDecimal(dataSet, 0x0028, 0x1051, &width) &&
        width >= 1) {
        image->has_window = 1;
        image->window_center = center;
        image->window_width = width;
    }
    double slope = 1, intercept = 0;
    firstDecimal(dataSet, 0x0028, 0x1053, &slope);
    firstDecimal(dataSet, 0x0028, 0x1052, &intercept);
    if (slope == 0) return fail(image, GROWDA_DICOM_CORRUPT, "the Rescale Slope is 0");
    image->rescale_slope = slope;
    image->rescale_intercept = intercept;
    return GROWDA_DICOM_OK;
}

/// Decodes in this process. Only ever called in a worker process (see `serve`).
growda_dicom_status decodeHere(const uint8_t *bytes, size_t count, uint64_t maxPixels, growda_dicom_image *image) {
    *image = growda_dicom_image{};
    image->rescale_slope = 1;
    if (bytes == nullptr || count == 0) return fail(image, GROWDA_DICOM_TRUNCATED, "the file is empty");
    try {
        return decode(bytes, count, maxPixels, image);
    } catch (const std::bad_alloc &) {
        return fail(image, GROWDA_DICOM_OUT_OF_MEMORY, "GDCM ran out of memory");
    } catch (...) {
        // An exception's text may quote bytes of the file, so it is not passed on.
        return fail(image, GROWDA_DICOM_CORRUPT, "GDCM stopped with an exception while parsing the file");
    }
}

/// Writes all of `bytes` to the socket `fd`; false if it closed (never raises SIGPIPE).
bool writeAll(int fd, const void *bytes, size_t count) {
    const char *next = static_cast<const char *>(bytes);
    while (count > 0) {
        const ssize_t done = ::send(fd, next, count, MSG_NOSIGNAL);
        if (done < 0 && errno == EINTR) continue;
        if (done <= 0) return false;
        next += done;
        count -= size_t(done);
    }
    return true;
}

/// Reads exactly `count` bytes from `fd`, waiting at most until `deadline` (no deadline: block);
/// false on end of file, error or time out.
bool readAll(int fd, void *bytes, size_t count,
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max()) {
    char *next = static_cast<char *>(bytes);
    while (count > 0) {
        int wait = -1;
        if (deadline != std::chrono::steady_clock::time_point::max()) {
            using std::chrono::milliseconds;
            const auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            wait = int(std::min<int64_t>(left.count(), 60'000));
        }
        pollfd ready{fd, POLLIN, 0};
        const int polled = ::poll(&ready, 1, wait);
        if (polled < 0 && errno == EINTR) continue;
        if (polled < 0) return false;
        if (polled == 0) continue;
        const ssize_t got = ::read(fd, next, count);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return false;
        next += got;
        count -= size_t(got);
    }
    return true;
}

/// The longest one decode may take before its worker is killed (a 4096 x 4096 JPEG 2000 takes seconds).
constexpr std::chrono::seconds decodeTimeLimit(120);

/// What the caller sends a worker, before the file's bytes.
struct Request {
    uint64_t count;
    uint64_t maxPixels;
};

/// A worker: reads one request from `channel`, decodes it here, sends its pid, the status, the image and its
/// pixels back, and exits. Runs in a child of the zygote, so an abort() in GDCM ends only this process.
[[noreturn]] void serve(int channel) {
    const int32_t pid = int32_t(::getpid());
    Request request{};
    std::vector<uint8_t> bytes;
    bool ok = writeAll(channel, &pid, sizeof pid) && readAll(channel, &request, sizeof request);
    if (ok) {
        try {
            bytes.resize(size_t(request.count));
        } catch (...) {
            ::_exit(2);
        }
        ok = readAll(channel, bytes.data(), bytes.size());
    }
    if (!ok) ::_exit(1);
    growda_dicom_image result;
    const growda_dicom_status status = decodeHere(bytes.data(), bytes.size(), request.maxPixels, &result);
    const bool sent = writeAll(channel, &status, sizeof status) && writeAll(channel, &result, sizeof result) &&
        (result.pixels == nullptr || writeAll(channel, result.pixels, result.pixel_bytes));
    ::_exit(sent ? 0 : 1);
}

/// The zygote: a small process forked before main, which forks one worker per socket it is handed.
///
/// The caller never forks (a fork from a busy, many-threaded process runs every pthread_atfork handler there,
/// and OpenBLAS's stops its thread pool under a running GEMM). The zygote exits when the caller closes the
/// control socket, i.e. when the caller exits; it ignores the terminal's and the service manager's signals so
/// that DICOM keeps decoding through a graceful shutdown.
[[noreturn]] void runZygote(int control) {
    ::signal(SIGCHLD, SIG_IGN);  // workers are reaped by the kernel
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGTERM, SIG_IGN);
    ::signal(SIGHUP, SIG_IGN);
    ::prctl(PR_SET_NAME, "growda-dicom", 0, 0, 0);
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        ::dup2(null, STDIN_FILENO);
        ::dup2(null, STDOUT_FILENO);
        ::dup2(null, STDERR_FILENO);
    }
    while (true) {
        char byte = 0;
        iovec part{&byte, 1};
        alignas(cmsghdr) char space[CMSG_SPACE(sizeof(int))];
        msghdr message{};
        message.msg_iov = &part;
        message.msg_iovlen = 1;
        message.msg_control = space;
        message.msg_controllen = sizeof space;
        const ssize_t got = ::recvmsg(control, &message, MSG_CMSG_CLOEXEC);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) ::_exit(0);  // the caller has exited
        const cmsghdr *header = CMSG_FIRSTHDR(&message);
        if (header == nullptr || header->cmsg_type != SCM_RIGHTS) continue;
        int channel = -1;
        std::memcpy(&channel, CMSG_DATA(header), sizeof channel);
        if (::fork() == 0) {
            ::close(control);
            serve(channel);
        }
        ::close(channel);
    }
}

/// The caller's end of the control socket, or -1 when the zygote could not be started.
int zygoteControl = -1;
/// Why the zygote could not be started (an errno), or 0.
int zygoteError = 0;

/// Starts the zygote while the process is still small and single-threaded (before main).
__attribute__((constructor)) void startZygote() {
    int control[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, control) != 0) {
        zygoteError = errno;
        return;
    }
    const pid_t zygote = ::fork();
    if (zygote < 0) {
        zygoteError = errno;
        ::close(control[0]);
        ::close(control[1]);
        return;
    }
    if (zygote == 0) {
        ::close(control[0]);
        runZygote(control[1]);
    }
    ::close(control[1]);
    zygoteControl = control[0];
}

/// Hands `channel` to the zygote, which forks a worker to serve it.
bool sendToZygote(int channel) {
    char byte = 0;
    iovec part{&byte, 1};
    alignas(cmsghdr) char space[CMSG_SPACE(sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    message.msg_control = space;
    message.msg_controllen = sizeof space;
    cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(header), &channel, sizeof channel);
    while (true) {
        const ssize_t sent = ::sendmsg(zygoteControl, &message, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
        return sent == 1;
    }
}

}  // namespace

// Debian's GDCM keeps its assert()s, and many damaged files reach one: abort() cannot be caught, so each
// decode runs in a worker process (forked by the zygote above) that sends its result back over a socket.
// A worker that dies, or runs past the time limit, makes the file CORRUPT instead of ending the caller.
extern "C" growda_dicom_status growda_dicom_decode(
    const uint8_t *bytes, size_t count, uint64_t max_pixels, growda_dicom_image *image) {
    if (image == nullptr) return GROWDA_DICOM_CORRUPT;
    *image = growda_dicom_image{};
    image->rescale_slope = 1;
    if (bytes == nullptr || count == 0) return fail(image, GROWDA_DICOM_TRUNCATED, "the file is empty");
    if (zygoteControl < 0) {
        return fail(image, GROWDA_DICOM_NO_DECODER, "its process could not be started (errno %d)", zygoteError);
    }

    int channel[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, channel) != 0) {
        return fail(image, GROWDA_DICOM_NO_DECODER, "cannot open a socket to it (errno %d)", errno);
    }
    const bool handed = sendToZygote(channel[1]);
    ::close(channel[1]);
    if (!handed) {
        ::close(channel[0]);
        return fail(image, GROWDA_DICOM_NO_DECODER, "its process has stopped");
    }

    const auto deadline = std::chrono::steady_clock::now() + decodeTimeLimit;
    const Request request{count, max_pixels};
    int32_t worker = 0;
    growda_dicom_status status = GROWDA_DICOM_CORRUPT;
    growda_dicom_image result;
    bool received = readAll(channel[0], &worker, sizeof worker, deadline) &&
        writeAll(channel[0], &request, sizeof request) && writeAll(channel[0], bytes, count) &&
        readAll(channel[0], &status, sizeof status, deadline) && readAll(channel[0], &result, sizeof result, deadline);
    if (received) {
        *image = result;
        image->pixels = nullptr;
        image->pixel_bytes = 0;
        image->message[sizeof image->message - 1] = '\0';
        image->transfer_syntax[sizeof image->transfer_syntax - 1] = '\0';
        const size_t expected = size_t(result.width) * result.height * (result.bits_allocated / 8);
        if (status == GROWDA_DICOM_OK) {
            if (result.pixels == nullptr || result.pixel_bytes != expected || expected == 0) {
                received = false;
            } else if ((image->pixels = std::malloc(expected)) == nullptr) {
                status = fail(image, GROWDA_DICOM_OUT_OF_MEMORY, "no memory for %zu bytes", expected);
            } else {
                image->pixel_bytes = expected;
                received = readAll(channel[0], image->pixels, expected, deadline);
            }
        }
    }
    ::close(channel[0]);
    if (received) return status;
    if (std::chrono::steady_clock::now() >= deadline) {
        // Still running (a worker that died closed its socket, so it would not be here): stop it.
        if (worker > 0) ::kill(pid_t(worker), SIGKILL);
        return fail(image, GROWDA_DICOM_CORRUPT, "GDCM did not finish decoding within %lld seconds",
            static_cast<long long>(decodeTimeLimit.count()));
    }
    return fail(image, GROWDA_DICOM_CORRUPT, "GDCM stopped on one of its internal checks while decoding");
}

extern "C" void growda_dicom_free(growda_dicom_image *image) {
    if (image == nullptr) return;
    std::free(image->pixels);
    image->pixels = nullptr;
    image->pixel_bytes = 0;
}
