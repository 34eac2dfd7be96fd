#!/usr/bin/env python3
"""Writes the small DICOM fixtures for GrowdaDataTests (DICOMTests.swift) and the pixels they must decode to.

Every image is the same 32x32 12-bit pattern (a diagonal ramp with a bright square), stored in a different
way: 8 or 16 bits, signed or unsigned, MONOCHROME1 or 2, with or without a window and rescale, and in each
compressed transfer syntax an encoder here can write. For each one the script computes the 8-bit gray image
Growda must produce, with the same arithmetic as DICOM.swift (rescale, then the first window or a min-max
stretch, then MONOCHROME1 inversion), and writes it as dicom/expected/NAME.png. dicom/fixtures.json lists
every file with its transfer syntax, its expected image (or the error it must give) and, for lossy syntaxes,
the largest error pydicom's own decoders show (the Swift test allows a stated tolerance above that).

Every file carries made-up patient attributes (PATIENT below) so a test can check none of them ever
appears in a message.

Needs: pip install pydicom numpy pylibjpeg pylibjpeg-openjpeg pylibjpeg-libjpeg pyjpegls imagecodecs
(pyjpegls writes JPEG-LS, pylibjpeg-openjpeg JPEG 2000, imagecodecs JPEG baseline, extended and lossless,
which pydicom cannot write itself; pydicom writes RLE and deflate natively).
Run from anywhere: `python3 Tests/GrowdaDataTests/Fixtures/make_dicom_fixtures.py`; it writes beside itself.
"""
import json
import math
import os
import sys

import imagecodecs
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    UID, DeflatedExplicitVRLittleEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian, JPEG2000,
    JPEG2000Lossless, JPEGBaseline8Bit, JPEGExtended12Bit, JPEGLosslessSV1, JPEGLSLossless, JPEGLSNearLossless,
    RLELossless, generate_uid)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "dicom")
sys.path.insert(0, HERE)
from make_pngs import png  # noqa: E402  (the standard-library PNG writer the PNG fixtures use)

SIZE = 32
# Made-up identifiers: DICOMTests checks these bytes never appear in an error message or on stderr.
PATIENT = {"PatientName": "Quintessa^Growdafixture", "PatientID": "GRWD-PID-7741Q", "PatientBirthDate": "19491231"}
HTJ2K_LOSSLESS = UID("1.2.840.10008.1.2.4.201")


def pattern():
    """The 12-bit source image: a ramp from 256 to 3971 with a 4000 square in the upper left quarter."""
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    image = 256 + 80 * x + 40 * y
    image[8:16, 8:16] = 4000
    return image.astype(np.int64)


def to_gray(stored, slope=1.0, intercept=0.0, window=None, monochrome1=False):
    """The 8-bit image Growda must make of `stored` samples, computed as DICOM.swift does (in doubles)."""
    values = [slope * float(v) + intercept for v in stored.flatten()]
    out = []
    if window is not None:
        center, width = window
        low = center - 0.5 - (width - 1) / 2
        high = center - 0.5 + (width - 1) / 2
        for v in values:
            if v <= low:
                level = 0.0
            elif v > high:
                level = 255.0
            else:
                level = ((v - (center - 0.5)) / (width - 1) + 0.5) * 255
            out.append(level)
    else:
        lo, hi = min(values), max(values)
        out = [0.0 if hi == lo else (v - lo) / (hi - lo) * 255 for v in values]
    levels = [min(255, max(0, math.floor(level + 0.5))) for level in out]
    if monochrome1:
        levels = [255 - level for level in levels]
    return np.array(levels, dtype=np.uint8).reshape(stored.shape)


def dataset(stored, bits_allocated, bits_stored, signed, photometric="MONOCHROME2", frames=1, samples=1):
    """A Digital X-Ray dataset around `stored` (uncompressed PixelData; callers may replace it)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.1.1")  # Digital X-Ray, for presentation
    meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=["growda", str(bits_allocated), photometric])
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "DX"
    for key, value in PATIENT.items():
        setattr(ds, key, value)
    ds.StudyDescription = "Growda fixture"
    ds.Rows, ds.Columns = stored.shape[1:3] if frames > 1 else stored.shape[0:2]
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = photometric
    if samples > 1:
        ds.PlanarConfiguration = 0
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    dtype = {(8, False): np.uint8, (8, True): np.int8, (16, False): np.uint16, (16, True): np.int16}[
        (bits_allocated, signed)]
    ds.PixelData = stored.astype(dtype).astype(dtype().dtype.newbyteorder("<")).tobytes()
    return ds


def write(ds, name, syntax=ExplicitVRLittleEndian):
    ds.file_meta.TransferSyntaxUID = syntax
    path = os.path.join(OUT, name)
    ds.save_as(path, enforce_file_format=True, implicit_vr=syntax == ImplicitVRLittleEndian,
               little_endian=True)
    return path


def encapsulated(ds, frame, syntax):
    """`ds` with `frame` (one compressed frame's bytes) as its encapsulated Pixel Data."""
    ds.PixelData = encapsulate([frame])
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = syntax
    return ds


def main():
    os.makedirs(os.path.join(OUT, "expected"), exist_ok=True)
    source = pattern()
    entries = []

    def record(name, syntax, expected=None, error=None, lossy=False, note=""):
        entry = {"file": name, "transferSyntax": str(syntax), "note": note}
        if expected is not None:
            png_name = "expected/" + name.replace(".dcm", ".png")
            with open(os.path.join(OUT, png_name), "wb") as f:
                f.write(png(SIZE, SIZE, 8, 0, [bytes(row) for row in expected.tolist()]))
            entry["expected"] = png_name
            # What pydicom's own decoders make of the file, through the same display arithmetic.
            ds = pydicom.dcmread(os.path.join(OUT, name))
            stored = ds.pixel_array.astype(np.int64)
            slope, intercept = float(ds.get("RescaleSlope", 1)), float(ds.get("RescaleIntercept", 0))
            window = None
            if "WindowCenter" in ds:
                first = lambda v: float(v[0]) if isinstance(v, pydicom.multival.MultiValue) else float(v)
                window = (first(ds.WindowCenter), first(ds.WindowWidth))
            other = to_gray(stored, slope, intercept, window, ds.PhotometricInterpretation == "MONOCHROME1")
            difference = int(np.abs(other.astype(int) - expected.astype(int)).max())
            if not lossy and difference != 0:
                raise SystemExit(f"{name}: pydicom decodes a lossless file {difference} levels off")
            entry["pydicomMaxError"] = difference
        entry["lossy"] = lossy
        if error is not None:
            entry["error"] = error
        entries.append(entry)
        print(f"{name}: {os.path.getsize(os.path.join(OUT, name))} bytes", file=sys.stderr)

    window = (2000.0, 3000.0)
    win16 = lambda: dataset(source, 16, 12, False)

    # Uncompressed, 16-bit (12 stored), window from the file.
    ds = win16()
    ds.WindowCenter, ds.WindowWidth = window
    write(ds, "mono2-u16-window.dcm")
    record("mono2-u16-window.dcm", ExplicitVRLittleEndian, to_gray(source, window=window))

    # Implicit VR, several windows: the first is used.
    ds = win16()
    ds.WindowCenter, ds.WindowWidth = [1500, 2500], [2000, 500]
    write(ds, "mono2-u16-implicit-windows.dcm", ImplicitVRLittleEndian)
    record("mono2-u16-implicit-windows.dcm", ImplicitVRLittleEndian, to_gray(source, window=(1500, 2000)))

    # 8-bit without a window: a min-max stretch.
    source8 = source // 16
    write(dataset(source8, 8, 8, False), "mono2-u8-minmax.dcm")
    record("mono2-u8-minmax.dcm", ExplicitVRLittleEndian, to_gray(source8))

    # 16-bit without a window, with a rescale: the stretch runs over the rescaled values.
    ds = win16()
    ds.RescaleSlope, ds.RescaleIntercept = 3, -700
    write(ds, "mono2-u16-minmax.dcm")
    record("mono2-u16-minmax.dcm", ExplicitVRLittleEndian, to_gray(source, 3, -700))

    # MONOCHROME1: the same window, inverted.
    ds = dataset(source, 16, 12, False, photometric="MONOCHROME1")
    ds.WindowCenter, ds.WindowWidth = window
    write(ds, "mono1-u16-window.dcm")
    record("mono1-u16-window.dcm", ExplicitVRLittleEndian, to_gray(source, window=window, monochrome1=True))

    # Signed 16-bit (CT-like) with a rescale; the window is in rescaled units.
    signed = source - 2048
    ds = dataset(signed, 16, 16, True)
    ds.RescaleSlope, ds.RescaleIntercept = 0.5, -100
    ds.WindowCenter, ds.WindowWidth = 0, 1200
    write(ds, "mono2-s16-rescale.dcm")
    record("mono2-s16-rescale.dcm", ExplicitVRLittleEndian, to_gray(signed, 0.5, -100, (0, 1200)))

    # Signed 12-bit in 16: negative values must be sign-extended from bit 11.
    ds = dataset(signed, 16, 12, True)
    ds.WindowCenter, ds.WindowWidth = 0, 3000
    write(ds, "mono2-s12-window.dcm")
    record("mono2-s12-window.dcm", ExplicitVRLittleEndian, to_gray(signed, window=(0, 3000)))

    # Deflated explicit VR little endian.
    ds = win16()
    ds.WindowCenter, ds.WindowWidth = window
    write(ds, "deflate-u16.dcm", DeflatedExplicitVRLittleEndian)
    record("deflate-u16.dcm", DeflatedExplicitVRLittleEndian, to_gray(source, window=window))

    # Compressed syntaxes, lossless then lossy. Each keeps the 16-bit window fixture's attributes.
    def compressed(name, syntax, frame, lossy=False, stored=source, bits=(16, 12), window=window, note=""):
        ds = dataset(stored, bits[0], bits[1], False)
        ds.WindowCenter, ds.WindowWidth = window
        if lossy:
            ds.LossyImageCompression = "01"
        write(encapsulated(ds, frame, syntax), name, syntax)
        record(name, syntax, to_gray(stored, window=window), lossy=lossy, note=note)

    u16 = source.astype(np.uint16)
    u8 = source8.astype(np.uint8)
    ds = win16()
    ds.WindowCenter, ds.WindowWidth = window
    ds.compress(RLELossless, encoding_plugin="pydicom", generate_instance_uid=False)
    write(ds, "rle-u16.dcm", RLELossless)
    record("rle-u16.dcm", RLELossless, to_gray(source, window=window))

    compressed("jpeg-lossless-sv1-u16.dcm", JPEGLosslessSV1,
               imagecodecs.jpeg8_encode(u16, lossless=True, predictor=1, bitspersample=12))
    compressed("jpegls-lossless-u16.dcm", JPEGLSLossless, imagecodecs.jpegls_encode(u16, level=0))
    compressed("j2k-lossless-u16.dcm", JPEG2000Lossless,
               imagecodecs.jpeg2k_encode(u16, level=0, reversible=True, codecformat="J2K", bitspersample=12))
    compressed("jpeg-baseline-u8.dcm", JPEGBaseline8Bit, imagecodecs.jpeg8_encode(u8, level=95), lossy=True,
               stored=source8, bits=(8, 8), window=(128.0, 200.0))
    compressed("jpeg-extended-u12.dcm", JPEGExtended12Bit,
               imagecodecs.jpeg8_encode(u16, level=95, bitspersample=12), lossy=True)
    compressed("jpegls-near-u16.dcm", JPEGLSNearLossless, imagecodecs.jpegls_encode(u16, level=3), lossy=True,
               note="NEAR=3: every sample within 3 of the source")
    compressed("j2k-lossy-u16.dcm", JPEG2000,
               imagecodecs.jpeg2k_encode(u16, level=40, reversible=False, codecformat="J2K", bitspersample=12),
               lossy=True, note="irreversible wavelet, PSNR target 40 dB")

    # Files that must be refused, each with the error Growda gives.
    ds = win16()
    del ds.PixelData
    write(ds, "no-pixel-data.dcm")
    record("no-pixel-data.dcm", ExplicitVRLittleEndian, error="noPixelData")

    with open(os.path.join(OUT, "mono2-u16-window.dcm"), "rb") as f:
        whole = f.read()
    with open(os.path.join(OUT, "truncated.dcm"), "wb") as f:
        f.write(whole[:len(whole) - SIZE * SIZE])  # half the pixel data is missing
    record("truncated.dcm", ExplicitVRLittleEndian, error="truncated")

    rgb = np.stack([source8, source8[::-1], source8[:, ::-1]], axis=-1).astype(np.uint8)
    write(dataset(rgb, 8, 8, False, photometric="RGB", samples=3), "rgb-u8.dcm")
    record("rgb-u8.dcm", ExplicitVRLittleEndian, error="unsupported")

    frames = np.stack([source, source[::-1]]).astype(np.int64)
    write(dataset(frames, 16, 12, False, frames=2), "multiframe-u16.dcm")
    record("multiframe-u16.dcm", ExplicitVRLittleEndian, error="unsupported")

    # HTJ2K: newer than GDCM 3.0.21's codecs, so it must be refused by name, not crash.
    compressed_htj2k = imagecodecs.htj2k_encode(u16, reversible=True)
    ds = win16()
    write(encapsulated(ds, compressed_htj2k, HTJ2K_LOSSLESS), "htj2k-lossless-u16.dcm", HTJ2K_LOSSLESS)
    record("htj2k-lossless-u16.dcm", HTJ2K_LOSSLESS, error="unsupported")

    manifest = {
        "generator": "make_dicom_fixtures.py",
        "pydicom": pydicom.__version__,
        "imagecodecs": imagecodecs.__version__,
        "size": SIZE,
        "patient": PATIENT,
        "fixtures": entries,
    }
    with open(os.path.join(OUT, "fixtures.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
