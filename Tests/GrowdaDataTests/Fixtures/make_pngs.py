#!/usr/bin/env python3
"""Writes the tiny PNG fixtures for GrowdaDataTests, using only Python's standard library.

Every fixture is 4x2 pixels and stores the same eight gray levels in a different colour type and
bit depth, so each must decode to the same 8-bit gray values (see PNGFixtureTests.swift).
Run from anywhere: `python3 Tests/GrowdaDataTests/Fixtures/make_pngs.py`; it writes beside itself.
"""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
WIDTH, HEIGHT = 4, 2
GRAYS = [0, 51, 102, 153, 204, 255, 17, 128]
# Alpha variants: the last pixel is fully transparent (composited onto black -> 0) and the
# seventh is white at alpha 128 (composited in linear light -> sRGB 188).
ALPHA_GRAYS = [0, 51, 102, 153, 204, 255, 255, 128]
ALPHAS = [255, 255, 255, 255, 255, 255, 128, 0]


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(width, height, bit_depth, colour_type, rows, extra=b"", interlace=0):
    """rows: raw scanlines (without filter bytes) for a non-interlaced image, or for Adam7 the
    already-filtered bytes of every pass concatenated (passed through as is)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, interlace)
    raw = rows if interlace else b"".join(b"\x00" + row for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def rows_of(samples, per_pixel, depth):
    """Packs a flat list of samples (per_pixel samples a pixel) into scanlines."""
    rows = []
    for y in range(HEIGHT):
        line = samples[y * WIDTH * per_pixel:(y + 1) * WIDTH * per_pixel]
        if depth == 8:
            rows.append(bytes(line))
        elif depth == 16:
            rows.append(b"".join(struct.pack(">H", s) for s in line))
        else:  # 1, 2 or 4 bits, packed from the high bits down
            bits, acc, out = 0, 0, bytearray()
            for s in line:
                acc = (acc << depth) | s
                bits += depth
                if bits == 8:
                    out.append(acc)
                    bits, acc = 0, 0
            if bits:
                out.append(acc << (8 - bits))
            rows.append(bytes(out))
    return rows


def adam7(width, height, pixel):
    """Filter-0 scanlines for each Adam7 pass of an 8-bit gray image, concatenated."""
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    out = bytearray()
    for x0, y0, dx, dy in passes:
        xs = list(range(x0, width, dx))
        for y in range(y0, height, dy):
            if xs:
                out += b"\x00" + bytes(pixel(x, y) for x in xs)
    return bytes(out)


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def main():
    g8, g16 = GRAYS, [v * 257 for v in GRAYS]
    write("gray8.png", png(WIDTH, HEIGHT, 8, 0, rows_of(g8, 1, 8)))
    write("gray16.png", png(WIDTH, HEIGHT, 16, 0, rows_of(g16, 1, 16)))
    write("gray1.png", png(WIDTH, HEIGHT, 1, 0, rows_of([0, 1, 1, 0, 1, 0, 0, 1], 1, 1)))

    ga8 = [s for v, a in zip(ALPHA_GRAYS, ALPHAS) for s in (v, a)]
    ga16 = [s * 257 for s in ga8]
    write("gray-alpha8.png", png(WIDTH, HEIGHT, 8, 4, rows_of(ga8, 2, 8)))
    write("gray-alpha16.png", png(WIDTH, HEIGHT, 16, 4, rows_of(ga16, 2, 16)))

    rgb8 = [v for v in GRAYS for _ in range(3)]
    write("rgb8.png", png(WIDTH, HEIGHT, 8, 2, rows_of(rgb8, 3, 8)))
    write("rgb16.png", png(WIDTH, HEIGHT, 16, 2, rows_of([v * 257 for v in rgb8], 3, 16)))
    rgba8 = [s for v, a in zip(ALPHA_GRAYS, ALPHAS) for s in (v, v, v, a)]
    write("rgba8.png", png(WIDTH, HEIGHT, 8, 6, rows_of(rgba8, 4, 8)))
    write("rgba16.png", png(WIDTH, HEIGHT, 16, 6, rows_of([s * 257 for s in rgba8], 4, 16)))

    # Pure red, green, blue, white, black, mid gray, yellow, cyan: gray from Rec. 709 luminance.
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255),
               (0, 0, 0), (128, 128, 128), (255, 255, 0), (0, 255, 255)]
    write("rgb8-colours.png", png(WIDTH, HEIGHT, 8, 2, rows_of([c for p in colours for c in p], 3, 8)))

    # Palettes hold the gray levels in reverse order so an index is never its own gray value.
    palette = list(reversed(GRAYS))
    plte = chunk(b"PLTE", b"".join(bytes((v, v, v)) for v in palette))
    indices = [palette.index(v) for v in GRAYS]
    write("palette8.png", png(WIDTH, HEIGHT, 8, 3, rows_of(indices, 1, 8), extra=plte))
    write("palette4.png", png(WIDTH, HEIGHT, 4, 3, rows_of(indices, 1, 4), extra=plte))

    # A 9x9 Adam7-interlaced 8-bit gray image whose pixel (x, y) is 28 * x + y.
    write("gray8-interlaced.png", png(9, 9, 8, 0, adam7(9, 9, lambda x, y: 28 * x + y), interlace=1))


if __name__ == "__main__":
    main()
